"""``/mon-coffre/ouvrir``: a person opens their own vault online (decision 0022).

Off by default (setting ``self_service_opening``): the page then only says
to come to the CCAS, with its address and opening hours, and refuses any
form sent to it.  On: one form (names, date of birth, login, password twice,
the information notice with "I have read it and I agree", optional e-mail and
mobile number) opens the vault, records the person's electronic consent, logs
the person in and shows their papers.

The person has no permission yet, so the vault is opened as the system user,
then the consent is given as the person.  A person who may already have a
vault (same names and date of birth) gets a neutral refusal that does not
say a vault exists; every complete form counts against a limit per client
address (the limiter of :mod:`ccas.vault.account.recovery`).
"""

from ccas.vault import _
from ccas.vault.account import recovery
from ccas.vault.account.notices import add_notice
from ccas.vault.account.sessions import open_session
from ccas.vault.accounts import get_account
from ccas.vault.accounts import password_failure
from ccas.vault.api import vaults
from ccas.vault.api.errors import DuplicateVault
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.public.account import AccountFormMixin
from ccas.vault.browser.public.account import parse_birth_date
from ccas.vault.browser.public.account import PASSWORD_SHORT
from ccas.vault.browser.public.router import PublicPage
from ccas.vault.security import as_system
from ccas.vault.settings import ccas_identity
from datetime import date
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.CMFPlone.RegistrationTool import checkEmailAddress
from Products.CMFPlone.RegistrationTool import EmailAddressInvalid
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.interface import alsoProvides
import re
import transaction


SETTING = "ccas.vault.settings.self_service_opening"
#: the limiter's route (5 complete forms per client address in 15 minutes)
ROUTE = "self_service"
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MOBILE = re.compile(r"(?:\+33|0)[67]\d{8}")
MAX_NAME = 100

NEUTRAL = _("We cannot open this safe online. Come to the CCAS with an identity document.")
ERRORS = {
    "last_name": _("Write your last name."),
    "first_name": _("Write your first name."),
    "name_long": _("This name is too long."),
    "birth": _("Write your date of birth like this: 17/05/1980."),
    "birth_impossible": _("This date of birth is not possible. Check it."),
    "login_bad": _(
        "Your login: small letters without accents, digits, dot or dash. For example: jdupont."
    ),
    "login_taken": _("This login is already taken. Choose another one."),
    "agree": _("Read the notice, then tick the box to say that you agree."),
    "email": _("This e-mail address is not valid. Check it, for example name@example.fr."),
    "phone": _("Write your mobile number with 10 digits, for example 06 12 34 56 78."),
}
LOGIN_SUGGESTED = _(
    "We suggest this login. Keep it or change it, write it down, then press the button again."
)
WELCOME = _("Your safe is open. Your login is ${login}. Write it down: you need it to log in.")


def self_service_enabled():
    """Whether people may open their vault themselves (off when the record is missing)."""
    return bool(api.portal.get_registry_record(SETTING, default=False))


class SelfServicePage(AccountFormMixin, PublicPage):
    """``/mon-coffre/ouvrir``."""

    template = ViewPageTemplateFile("templates/self_service.pt")

    def __call__(self):
        self.enabled = self_service_enabled()
        self.errors = {}
        self.values = {}
        posted = self.request.get("REQUEST_METHOD") == "POST"
        if not self.enabled:
            # A form sent anyway is refused: nothing is read, nothing is created.
            return self.render(status=403 if posted else 200)
        if self.logged_in:
            return self.redirect("papiers")
        form = self.request.form
        self.values = {name: _text(form, name) for name in FIELDS}
        if posted and form.get("form.submitted"):
            self.check_authenticator()
            if self.submit(form):
                return self.redirect("papiers")
        status = 200
        if self.errors.get("form") is not None and self.locked:
            status = 429
        return self.render(status=status)

    locked = False

    # -- the form ---------------------------------------------------------------
    def submit(self, form):
        address = recovery.client_address(self.request)
        try:
            recovery.check_not_locked(ROUTE, "", address)
        except recovery.RecoveryLocked as error:
            self.locked = True
            self.refusal(error)
            return False
        checked = self.check(form)
        if self.errors:
            return False
        recovery.attempt(ROUTE, "", address)
        savepoint = transaction.savepoint()
        try:
            vault = self.open(checked)
        except DuplicateVault:
            savepoint.rollback()
            self.errors["form"] = NEUTRAL
            return False
        except VaultError as error:
            savepoint.rollback()
            if getattr(error, "code", "") == "login_taken":
                self.errors["login"] = ERRORS["login_taken"]
            else:
                self.errors["form"] = NEUTRAL
            return False
        self.log_in(vault, checked["login"], checked["password"])
        return True

    def check(self, form):
        """The form's values, checked; refusals go to ``self.errors`` (msgids)."""
        values = self.values
        for name in ("last_name", "first_name"):
            if not values[name]:
                self.errors[name] = ERRORS[name]
            elif len(values[name]) > MAX_NAME:
                self.errors[name] = ERRORS["name_long"]
        birth = parse_birth_date(values["birth"])
        if birth is None:
            self.errors["birth"] = ERRORS["birth"]
        elif birth >= date.today() or birth.year < 1900:
            self.errors["birth"] = ERRORS["birth_impossible"]
        password = self.check_new_password(form)
        if password and not self.errors.get("new_password") and password_failure(password):
            self.errors["new_password"] = PASSWORD_SHORT
        if not form.get("agree"):
            self.errors["agree"] = ERRORS["agree"]
        email, phone = values["email"], values["phone"]
        if email:
            try:
                checkEmailAddress(email)
            except EmailAddressInvalid:
                self.errors["email"] = ERRORS["email"]
        mobile = re.sub(r"[ .\-]", "", phone)
        if phone and not MOBILE.fullmatch(mobile):
            self.errors["phone"] = ERRORS["phone"]
        self.check_login()
        return {
            "first_name": values["first_name"],
            "last_name": values["last_name"],
            "birth_date": birth,
            "login": values["login"],
            "password": password,
            "email": email or None,
            "phone": mobile or None,
        }

    def check_login(self):
        login = self.values["login"].lower()
        self.values["login"] = login
        if not login:
            if self.values["first_name"] and self.values["last_name"]:
                self.values["login"] = vaults.suggest_login(
                    self.values["first_name"], self.values["last_name"]
                )
                self.errors["login"] = LOGIN_SUGGESTED
            else:
                self.errors["login"] = ERRORS["login_bad"]
        elif not LOGIN.fullmatch(login):
            self.errors["login"] = ERRORS["login_bad"]
        elif get_account(login) is not None:
            self.errors["login"] = ERRORS["login_taken"]

    def open(self, checked):
        """Open the vault (as the system) and give the consent (as the person)."""
        channel = "email" if checked["email"] else ("sms" if checked["phone"] else "none")
        with as_system():
            vault = vaults.open_vault(
                first_name=checked["first_name"],
                last_name=checked["last_name"],
                birth_date=checked["birth_date"],
                login=checked["login"],
                password=checked["password"],
                email=checked["email"],
                phone=checked["phone"],
                contact_channel=channel,
                preferred_language=self.lang,
            )
            vault.information_notice["delivered_by"] = checked["login"]
            vault.information_notice["delivered_online"] = True
        with api.env.adopt_user(username=checked["login"]):
            vaults.record_consent(vault, method="electronic")
        with as_system():
            text = self.translate(_(WELCOME, mapping={"login": checked["login"]}))
            add_notice(vault, text, kind="welcome")
        return vault

    def log_in(self, vault, login, password):
        """Open the person's session, as the login page does."""
        alsoProvides(self.request, IDisableCSRFProtection)
        self.request["__ac_name"] = login
        self.request["__ac_password"] = password
        try:
            with api.env.adopt_user(username=login):
                open_session(self.request)
        finally:
            del self.request.other["__ac_password"]

    # -- the page ----------------------------------------------------------------
    def ccas(self):
        return ccas_identity()

    def login_url(self):
        return self.url("connexion")


FIELDS = ("last_name", "first_name", "birth", "login", "email", "phone")


def _text(form, name):
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""
