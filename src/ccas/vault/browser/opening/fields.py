"""What the wizard reads from its forms before the vault exists (steps 1 to 3).

Every check answers ``{field name: message}``; an empty dict means the step is
complete.  Nothing here stores anything: the vault API does, at step 3.
"""

from ccas.vault import _
from ccas.vault import input_limits
from ccas.vault.account.recovery import QUESTION_TEXTS
from ccas.vault.accounts import password_failure
from ccas.vault.content.vault import CONTACT_CHANNELS
from datetime import date
from Products.CMFPlone.RegistrationTool import checkEmailAddress
from Products.CMFPlone.RegistrationTool import EmailAddressInvalid
import re


#: carried from step to step in hidden fields until the vault is opened (never a secret)
IDENTITY = ("last_name", "first_name", "birth_date", "allow_duplicate")
CONTACT = ("email", "phone", "contact_channel", "preferred_language", "ged_person_ids")
LANGUAGES = ("fr", "en")
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
PHONE = re.compile(r"\+?[0-9 .-]{8,20}")


def text(form, name):
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def strings(form, name):
    """The values of a multi-valued field (``name:list``), a lone value included."""
    value = form.get(name) or []
    return [v for v in ([value] if isinstance(value, str) else value) if isinstance(v, str)]


def birth_date(form):
    try:
        return date.fromisoformat(text(form, "birth_date"))
    except ValueError:
        return None


def check_search(form):
    errors = {}
    if not text(form, "last_name"):
        errors["last_name"] = _("Write the last name.")
    if not text(form, "first_name"):
        errors["first_name"] = _("Write the first name.")
    born = birth_date(form)
    if born is None:
        errors["birth_date"] = _("Write the date of birth, e.g. 17/05/1980.")
    elif born > date.today() or born.year < 1900:
        errors["birth_date"] = _("This date of birth is not possible.")
    return errors


def check_contact(form):
    errors = {}
    email, phone = text(form, "email"), text(form, "phone")
    channel = form.get("contact_channel") or "none"
    if email:
        try:
            checkEmailAddress(email)
        except EmailAddressInvalid:
            errors["email"] = _("This e-mail address is not valid, e.g. jean.dupont@exemple.fr.")
    if phone and not PHONE.fullmatch(phone):
        errors["phone"] = _("This phone number is not valid, e.g. 06 12 34 56 78.")
    if channel not in CONTACT_CHANNELS:
        errors["contact_channel"] = _("Choose how the person wants to be told.")
    elif channel == "email" and not email:
        errors["email"] = _("To be told by e-mail, the person needs an e-mail address.")
    elif channel == "sms" and not phone:
        errors["phone"] = _("To be told by SMS, the person needs a mobile number.")
    if form.get("preferred_language", "fr") not in LANGUAGES:
        errors["preferred_language"] = _("Choose a language.")
    return errors


def ged_person_ids(form):
    """The GED person ids typed in the one field, separated by commas or semicolons."""
    items = re.split(r"[,;]", text(form, "ged_person_ids"))
    return [item.strip() for item in items if item.strip()]


def check_ged_person_ids(form, taken=None):
    """The ids must be text of at most 100 characters, each once, and no other vault's.

    ``taken(ged_id)`` answers the vault already carrying an id (or ``None``).
    """
    seen = set()
    for ged_id in ged_person_ids(form):
        key = ged_id.casefold()
        if len(ged_id) > 100 or input_limits.has_bad_characters(ged_id):
            return {"ged_person_ids": _("A GED id has at most 100 letters or digits.")}
        if key in seen:
            return {
                "ged_person_ids": _(
                    "The GED id ${ged} is written twice. Write it once.", mapping={"ged": ged_id}
                )
            }
        seen.add(key)
        other = taken(ged_id) if taken is not None else None
        if other is not None:
            return {
                "ged_person_ids": _(
                    "The GED id ${ged} is already the one of another safe (${vault}). A person "
                    "has one GED id: check it in the GED.",
                    mapping={"ged": ged_id, "vault": other.getId()},
                )
            }
    return {}


def recovery_answers(form):
    """``{question id: answer}`` of the (optional) personal questions."""
    answers = {}
    for number in ("1", "2"):
        question, answer = text(form, f"question{number}"), form.get(f"answer{number}") or ""
        if question or answer.strip():
            answers[question or f"missing{number}"] = answer
    return answers


def check_account(form):
    errors = {}
    login = text(form, "login")
    password, again = form.get("password") or "", form.get("password2") or ""
    if not LOGIN.fullmatch(login):
        errors["login"] = _(
            "The login: 2 to 40 small letters or digits, dots and dashes allowed, e.g. jdupont."
        )
    if not password:
        errors["password"] = _("The person types a password.")
    elif password_failure(password):
        errors["password"] = _("This password is too short: at least 8 characters.")
    elif password != again:
        errors["password2"] = _("The two passwords are different. The person types them again.")
    answers = recovery_answers(form)
    if answers:
        if set(answers) - set(QUESTION_TEXTS) or len(answers) < 2:
            errors["questions"] = _("Choose two different questions, or none.")
        elif any(len((a or "").strip()) < 2 for a in answers.values()):
            errors["questions"] = _("Each answer needs at least 2 letters or digits.")
    return errors
