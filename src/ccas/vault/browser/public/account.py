"""The person's account in the public skin (decision 0016).

* ``/mon-coffre/mot-de-passe-oublie`` — choose how to get a new password: a
  link by e-mail, the personal questions, or a code from the CCAS;
* ``/mon-coffre/nouveau-mot-de-passe`` — choose the new password, with the
  e-mail link's token (``?jeton=…``) or with the login, the code, the date
  of birth and, for a printed code of a person without phone nor e-mail, the
  answer to one personal question (decision 0043): the login is asked first,
  then the whole form with the question of that login (a decoy for a login
  without questions: the page never tells which logins exist);
* ``/mon-coffre/compte`` — "Mon compte": change the password, the personal
  questions, how the person is told (e-mail, SMS, nothing), the language;
* ``coffre-avis`` — the notices kept for the next login (expiry reminders, a
  mandate that ended, a changed password), shown once by the layout; a
  password changed with the CCAS's help stays until the person dismisses it
  (``/mon-coffre/avis-lu``, a POST with the form token).

The work is done by :mod:`ccas.vault.account`; these pages ask in plain
words and put every refusal, as a French sentence, next to its field.
"""

from ccas.vault import _
from ccas.vault.account import options
from ccas.vault.account import recovery
from ccas.vault.account.notices import dismiss_notice
from ccas.vault.account.notices import take_notices
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.public.owner_pages import OwnerPage
from ccas.vault.browser.public.router import PublicPage
from datetime import date
from plone.protect.utils import safeWrite
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
import re


LOGIN_MISSING = _("Write your login. It is on your welcome sheet.")
PASSWORD_MISSING = _("Write your new password.")
PASSWORD_SHORT = _("This password is too short. Choose one with at least 8 characters.")
PASSWORD_MISMATCH = _("The two passwords are not the same. Write the same password twice.")
CODE_MISSING = _("Write the code. It is on the paper or in the SMS from the CCAS.")
BIRTH_BAD = _("Write your date of birth like this: 17/05/1980.")
ANSWER_MISSING = _("Write your answer.")

#: codes of the recovery API -> (field, message for the person)
ERRORS = {
    "wrong_code": (
        "code",
        _(
            "This code does not work. Check your login, the code, your date of birth "
            "and, if the paper asks for it, your answer."
        ),
    ),
    "wrong_token": (
        "form",
        _('This link does not work. Ask for a new link on the page "I forgot my password".'),
    ),
    "expired": ("code", _("This code is no longer valid. Ask for a new code or a new link.")),
    "already_used": ("code", _("This code was already used. Ask for a new code or a new link.")),
    "wrong_answers": (
        "answers",
        _("The answers do not match. Check the spelling, then try again."),
    ),
    "password_refused": ("new_password", PASSWORD_SHORT),
    "staff_session": (
        "form",
        _("Log out first: only the person chooses their password."),
    ),
    "wrong_password": (
        "current_password",
        _("The current password is wrong. Write it again."),
    ),
}
LOCKED = _(
    "Too many attempts. Wait until ${time}, then try again. "
    "You can also ask the CCAS reception desk for help."
)

_BIRTH = re.compile(r"^\s*(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})\s*$")


def parse_birth_date(text):
    """``17/05/1980`` (or ``1980-05-17``) → a date; ``None`` when it is not a date."""
    text = (text or "").strip()
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            return date.fromisoformat(text)
        match = _BIRTH.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def field(form, name):
    """A text field of the form, stripped (the first one when the name comes twice, e.g. in
    the query string and in the body)."""
    value = form.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value.strip() if isinstance(value, str) else ""


class AccountFormMixin:
    """Field errors as translated sentences; API refusals placed next to their field."""

    password_macros = ViewPageTemplateFile("templates/account_password_macros.pt")

    def error(self, name):
        message = self.errors.get(name)
        return self.translate(message) if message is not None else ""

    def described_by(self, name, hint=True):
        ids = [f"{name}-hint"] if hint else []
        if self.errors.get(name):
            ids.append(f"{name}-error")
        return " ".join(ids) or None

    def invalid(self, name):
        return "true" if self.errors.get(name) else None

    def refusal(self, error):
        if isinstance(error, recovery.RecoveryLocked):
            local = error.until.astimezone(recovery.clock.PARIS).strftime("%H:%M")
            self.errors["form"] = _(LOCKED, mapping={"time": local})
            return
        field, message = ERRORS.get(
            getattr(error, "code", ""), ("form", _("Something went wrong. Try again."))
        )
        self.errors[field] = message

    def check_new_password(self, form):
        new, again = form.get("new_password") or "", form.get("new_password_again") or ""
        if not new:
            self.errors["new_password"] = PASSWORD_MISSING
        elif len(new) < 8:
            self.errors["new_password"] = PASSWORD_SHORT
        elif new != again:
            self.errors["new_password_again"] = PASSWORD_MISMATCH
        return new


class ForgottenPasswordPage(AccountFormMixin, PublicPage):
    """``/mon-coffre/mot-de-passe-oublie``: the three ways, in plain words."""

    template = ViewPageTemplateFile("templates/account_forgotten.pt")
    ROUTES = ("email", "questions", "code")

    def __call__(self):
        self.errors = {}
        form = self.request.form
        self.route = form.get("moyen") if form.get("moyen") in self.ROUTES else None
        self.login = (form.get("identifiant") or "").strip()
        self.sent = False
        self.questions = []
        if self.route == "code":
            return self.redirect("nouveau-mot-de-passe")
        posted = self.request.get("REQUEST_METHOD") == "POST"
        if self.route == "email" and posted:
            self.check_authenticator()
            if not self.login:
                self.errors["login"] = LOGIN_MISSING
            else:
                recovery.start_email_reset(self.login)
                self.sent = True
        elif self.route == "questions" and self.login:
            self.questions = [
                {"id": qid, "text": self.translate(recovery.QUESTION_TEXTS[qid])}
                for qid in recovery.questions_for(self.login)
            ]
            if posted and form.get("answers.submitted"):
                self.check_authenticator()
                done = self.answer_questions(form)
                if done:
                    return self.redirect("nouveau-mot-de-passe", fait="1")
        elif self.route == "questions" and posted:
            self.errors["login"] = LOGIN_MISSING
        return self.render()

    def answer_questions(self, form):
        answers = {}
        for question in self.questions:
            answer = (form.get(f"answer-{question['id']}") or "").strip()
            if not answer:
                self.errors[f"answer-{question['id']}"] = ANSWER_MISSING
            answers[question["id"]] = answer
        new = self.check_new_password(form)
        if self.errors:
            return False
        try:
            token = recovery.check_questions(self.login, answers)
            recovery.set_password_with(token, new)
        except VaultError as error:
            self.refusal(error)
            return False
        return True


class NewPasswordPage(AccountFormMixin, PublicPage):
    """``/mon-coffre/nouveau-mot-de-passe``: with the link's token, or with a code."""

    template = ViewPageTemplateFile("templates/account_new_password.pt")

    def __call__(self):
        self.errors = {}
        form = self.request.form
        self.token = field(form, "jeton")
        self.login = field(form, "identifiant")
        self.code = field(form, "code")
        self.birth = field(form, "naissance")
        self.answer = field(form, "reponse")
        self.done = bool(form.get("fait"))
        self.question = None
        if self.login and not self.token:
            qid = recovery.code_question(self.login)
            self.question = {"id": qid, "text": self.translate(recovery.QUESTION_TEXTS[qid])}
        if self.request.get("REQUEST_METHOD") == "POST" and form.get("form.submitted"):
            self.check_authenticator()
            if self.submit(form):
                return self.redirect("nouveau-mot-de-passe", fait="1")
        return self.render()

    def submit(self, form):
        birth_date = None
        if not self.token:
            if not self.login:
                self.errors["login"] = LOGIN_MISSING
            if not self.code:
                self.errors["code"] = CODE_MISSING
            birth_date = parse_birth_date(self.birth)
            if birth_date is None:
                self.errors["birth"] = BIRTH_BAD
        new = self.check_new_password(form)
        if self.errors:
            return False
        try:
            if self.token:
                recovery.set_password_with(self.token, new)
            else:
                recovery.set_password_with(
                    self.code, new, login=self.login, birth_date=birth_date, answer=self.answer
                )
        except VaultError as error:
            self.refusal(error)
            return False
        return True


CHANNELS = (
    ("email", _("By e-mail")),
    ("sms", _("By SMS")),
    ("none", _("No message: I see the news when I log in")),
)
LANGUAGES = (("fr", "Français"), ("en", "English"))
DONE = {
    "password": _("Your new password is saved."),
    "questions": _("Your questions are saved."),
    "contact": _("Your choice is saved."),
}
OPTION_ERRORS = {
    "contact_channel": _("Choose how the CCAS tells you the news."),
    "email": _("This e-mail address is not valid. Check it, for example name@example.fr."),
    "phone": _("Write your mobile number with 10 digits, for example 06 12 34 56 78."),
    "preferred_language": _("Choose French or English."),
}
EMAIL_NEEDED = _("Write your e-mail address, or choose another way.")
PHONE_NEEDED = _("Write your mobile number, or choose another way.")
TWO_QUESTIONS = _("Choose two different questions and answer both.")


class AccountPage(AccountFormMixin, OwnerPage):
    """``/mon-coffre/compte`` ("Mon compte")."""

    template = ViewPageTemplateFile("templates/account_page.pt")
    section = "compte"

    def __call__(self):
        self.check_owner()
        self.check_subpath()
        self.errors = {}
        form = self.request.form
        self.done = DONE.get(form.get("fait", ""))
        action = form.get("form.action")
        if self.request.get("REQUEST_METHOD") == "POST" and action:
            self.check_authenticator()
            handler = {
                "password": self.change_password,
                "questions": self.change_questions,
                "contact": self.change_contact,
            }.get(action)
            if handler is not None and handler(form):
                return self.redirect("compte", fait=action)
        return self.render()

    # -- forms ---------------------------------------------------------------------
    def change_password(self, form):
        current = form.get("current_password") or ""
        if not current:
            self.errors["current_password"] = _("Write your current password.")
        new = self.check_new_password(form)
        if self.errors:
            return False
        try:
            recovery.change_password(self.context, current, new)
        except VaultError as error:
            self.refusal(error)
            return False
        return True

    def change_questions(self, form):
        chosen = {}
        for number in ("1", "2"):
            qid = form.get(f"question{number}") or ""
            answer = (form.get(f"answer{number}") or "").strip()
            if qid not in recovery.QUESTION_TEXTS:
                self.errors[f"question{number}"] = _("Choose a question in the list.")
            elif qid in chosen:
                self.errors[f"question{number}"] = TWO_QUESTIONS
            if len(recovery.normalise_answer(answer)) < 2:
                self.errors[f"answer{number}"] = _(
                    "Write your answer, with at least 2 letters or digits."
                )
            chosen[qid] = answer
        if self.errors:
            return False
        try:
            options.update_questions(self.context, chosen)
        except VaultError:
            self.errors["question1"] = TWO_QUESTIONS
            return False
        return True

    def change_contact(self, form):
        channel = form.get("contact_channel") or ""
        email = (form.get("email") or "").strip()
        phone = (form.get("phone") or "").strip()
        language = form.get("preferred_language") or None
        try:
            options.update_contact(
                self.context,
                contact_channel=channel,
                email=email,
                phone=phone,
                preferred_language=language,
            )
        except options.InvalidOptions as error:
            for name in error.fields:
                self.errors[name] = OPTION_ERRORS.get(name)
            if "email" in error.fields and not email:
                self.errors["email"] = EMAIL_NEEDED
            if "phone" in error.fields and not phone:
                self.errors["phone"] = PHONE_NEEDED
            return False
        if language:
            self.request.response.setCookie("I18N_LANGUAGE", language, path="/")
        return True

    # -- what the template shows -----------------------------------------------------
    def channels(self):
        current = self.request.form.get("contact_channel") or self.context.contact_channel
        return [
            {"id": cid, "title": self.translate(title), "checked": cid == current}
            for cid, title in CHANNELS
        ]

    def languages(self):
        current = self.request.form.get("preferred_language") or self.context.preferred_language
        return [{"id": lid, "title": title, "checked": lid == current} for lid, title in LANGUAGES]

    def value(self, name):
        if name in self.request.form:
            return self.request.form.get(name) or ""
        return getattr(self.context, name, None) or ""

    def question_choices(self, number):
        chosen = recovery.chosen_questions(self.context)
        index = int(number) - 1
        current = self.request.form.get(f"question{number}") or (
            chosen[index] if len(chosen) > index else ""
        )
        return [
            {"id": qid, "title": self.translate(text), "selected": qid == current}
            for qid, text in recovery.QUESTION_TEXTS.items()
        ]

    def has_questions(self):
        return bool(recovery.chosen_questions(self.context))


class NoticesBanner(PublicPage):
    """``coffre-avis``: the notices kept for the next login (layout): shown once, or — a
    password changed with the CCAS's help — until the person dismisses them."""

    template = ViewPageTemplateFile("templates/account_notices.pt")

    def __call__(self):
        from ccas.vault.browser.public.owner_pages import links

        if not links.is_owner(self.context):
            return ""
        pending = getattr(self.context, "pending_notices", None)
        if not pending:
            return ""
        self.items = take_notices(self.context)
        safeWrite(self.context, self.request)  # shown on a GET: not a CSRF write
        return self.template()


class DismissNotice(OwnerPage):
    """``/mon-coffre/avis-lu``: the person dismisses a notice that stays (POST, form token)."""

    def __call__(self):
        self.check_owner()
        self.check_subpath()
        self.check_post()
        dismiss_notice(self.context, self.request.form.get("avis") or "")
        return self.redirect("papiers")


class WelcomeSheetPage(OwnerPage):
    """``/mon-coffre/feuille-accueil``: the person prints their welcome sheet again (PDF).

    The sheet the agent printed at the opening (:mod:`ccas.vault.printouts.welcome`):
    the address, the login, how to recover access, the CCAS's contact and the rights;
    never a password. Printing it is traced, as at the counter."""

    def __call__(self):
        from ccas.vault.history import api as history
        from ccas.vault.printouts.views import pdf
        from ccas.vault.printouts.welcome import welcome_sheet
        from plone.protect.interfaces import IDisableCSRFProtection
        from zope.interface import alsoProvides

        self.check_owner()
        self.check_subpath()
        data = welcome_sheet(self.context)
        alsoProvides(self.request, IDisableCSRFProtection)  # the trace is written on a GET
        history.record(self.context, "welcome_sheet_printed")
        return pdf(
            self.request, data, f"feuille-d-accueil-{self.context.owner_login}.pdf", private=True
        )
