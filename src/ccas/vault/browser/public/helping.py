"""A relative or trusted person as mandatary, on the skin (issue 24, decision 0049).

* ``/mon-coffre/proche`` (the person): name a relative, their relation, what they
  may do (consult, deposit, share) and for how long, sign; then
  ``proche/lien?mandate=<id>`` shows the invitation link to give them.
* ``/mon-coffre/invitation?code=…`` (the relative, on their phone): read the
  mandate, log in or open an account of their own (login and password chosen by
  them, no e-mail needed, the notice read and agreed), and sign.
* ``/mon-coffre/coffres-aides``: the safes they help with, until when.  Inside a
  safe, ``/mon-coffre/aide/<id>/…`` (the router's :class:`HelperPage`) serves the
  person's own pages, limited by the mandate's permissions.

The work is done by :mod:`ccas.vault.api.mandates`.
"""

from ccas.vault import _
from ccas.vault import roles
from ccas.vault.account.sessions import open_session
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import get_account
from ccas.vault.accounts import password_failure
from ccas.vault.api import mandates as mandate_api
from ccas.vault.api import vaults
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.public.access import SCOPE_TEXTS
from ccas.vault.browser.public.account import AccountFormMixin
from ccas.vault.browser.public.account import PASSWORD_SHORT
from ccas.vault.browser.public.owner_pages import day_words
from ccas.vault.browser.public.owner_pages import OwnerPage
from ccas.vault.browser.public.router import HELPED_VAULTS
from ccas.vault.browser.public.router import HELPER_ROUTE
from ccas.vault.browser.public.router import PublicPage
from ccas.vault.browser.public.self_service import LOGIN
from ccas.vault.content.vault import IVault
from ccas.vault.lookup import vault_of
from ccas.vault.policies.mandates import mandate_rules
from ccas.vault.security import as_system
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from urllib.parse import urlencode
from zope.interface import alsoProvides
import transaction


#: the lengths offered to the person, in months (within the records managers' maximum)
MONTHS = (1, 3, 6, 12)
NEVER = (
    _("See the private papers."),
    _("Download or print the papers."),
    _("Touch the account, the password or the history."),
)
ERRORS = {
    "no_name": ("name", _("Write the name of the person.")),
    "no_relation": ("relation", _("Write who the person is for you. For example: my son.")),
    "bad_scopes": ("scopes", _("Tick what the person may do.")),
    "scope_not_for_a_relative": ("scopes", _("Tick what the person may do.")),
    "bad_dates": ("months", _("Choose how long.")),
    "mandate_too_long": ("months", _("Choose a shorter length.")),
}


#: what each scope lets the relative do, in their own words (the person's are SCOPE_TEXTS)
HELPER_SCOPE_TEXTS = {
    "consult": _("See the person's shared papers. Not download them."),
    "deposit": _("Add papers to the person's shared space."),
    "share": _("Share the person's shared papers."),
}


def scope_lines(scopes, texts=SCOPE_TEXTS):
    return [{"scope": scope, "text": texts[scope]} for scope in scopes]


class RelativeMandatePage(OwnerPage):
    """``coffre-proche``: the person names a relative or trusted person and signs."""

    section = "acces"
    subpaths = ("lien",)
    template = ViewPageTemplateFile("templates/proche.pt")
    link_template = ViewPageTemplateFile("templates/proche_lien.pt")
    mandate = None

    def update(self):
        if self.subpath == ["lien"]:
            return self._link()
        if self.request.method != "POST":
            return None
        self.check_post()
        form = self.request.form
        if not form.get("agree"):
            self.add_error("agree", _("Tick the box to say you agree. Then sign."))
        try:
            months = int(form.get("months") or 0)
        except (TypeError, ValueError):
            months = 0
        if months not in self.month_choices():
            self.add_error("months", ERRORS["bad_dates"][1])
        if self.errors:
            return None
        savepoint = transaction.savepoint()
        try:
            mandate, _code = mandate_api.name_mandatary(
                self.vault,
                name=self.typed("name"),
                relation=self.typed("relation"),
                scopes=self.ticked(),
                months=months,
            )
            mandate_api.sign_as_person(mandate)
        except VaultError as refusal:
            savepoint.rollback()
            field, message = ERRORS.get(refusal.code, ("form", refusal.message_fr))
            self.add_error(field, message)
            return None
        return self.redirect("proche/lien", mandate=mandate.getId())

    def typed(self, name):
        value = self.request.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def ticked(self):
        ticked = self.request.form.get("scopes") or []
        return [ticked] if isinstance(ticked, str) else [s for s in ticked if isinstance(s, str)]

    def scope_choices(self):
        offered = set(mandate_rules()["scopes"])
        ticked = set(self.ticked())
        return [
            {**line, "checked": line["scope"] in ticked}
            for line in scope_lines(mandate_api.PERSONAL_SCOPES)
            if line["scope"] in offered
        ]

    def month_choices(self):
        longest = mandate_rules()["max_months"]
        return [months for months in MONTHS if not longest or months <= longest]

    def chosen_months(self):
        try:
            return int(self.request.form.get("months") or 3)
        except (TypeError, ValueError):
            return 3

    def never(self):
        return NEVER

    # --- the invitation link ---------------------------------------------------------------

    def _link(self):
        mandate_id = str(self.request.form.get("mandate") or "")
        found = self.vault.get(mandate_id) if mandate_id else None
        if (
            found is None
            or found not in mandate_api.mandates_of(self.vault)
            or not mandate_api.is_personal(found)
            or not found.invitation
        ):
            return self.redirect("acces")
        self.mandate = found
        return self.render_other(self.link_template)

    def invitation_url(self):
        return self.url("invitation", code=self.mandate.invitation)

    def mandatary_name(self):
        return self.mandate.mandatary_name

    def person_signed(self):
        return bool(self.mandate.person_signature)


class InvitationPage(AccountFormMixin, PublicPage):
    """``coffre-invitation?code=…``: the relative reads the mandate and signs it."""

    template = ViewPageTemplateFile("templates/invitation.pt")
    mandate = None
    refusal = None

    def __call__(self):
        self.errors = {}
        self.values = {"login": "", "fullname": ""}
        self.code = self.request.form.get("code")
        with as_system():
            self.mandate = mandate_api.invited_mandate(self.code)
        if self.mandate is None:
            return self.render(status=404)
        self.person_vault = vault_of(self.mandate)
        self.values["fullname"] = self.mandate.mandatary_name
        if self.logged_in:
            refusal = mandate_api.may_be_mandatary(api.user.get_current(), self.person_vault)
            self.refusal = refusal.message_fr if refusal is not None else None
        if self.request.get("REQUEST_METHOD") == "POST" and self.request.form.get("form.submitted"):
            self.check_authenticator()
            done = self.accept() if self.logged_in else self.open_account()
            if done:
                return self.redirect(HELPED_VAULTS, fait="accepte")
        return self.render(status=400 if (self.errors or self.refusal) else 200)

    # --- what the relative reads -------------------------------------------------------------

    def person(self):
        vault = self.person_vault
        return f"{vault.first_name or ''} {vault.last_name or ''}".strip()

    def relation(self):
        return self.mandate.relation

    def scopes(self):
        return scope_lines(
            (s for s in mandate_api.PERSONAL_SCOPES if s in self.mandate.scopes),
            HELPER_SCOPE_TEXTS,
        )

    def until(self):
        return day_words(self.mandate.end, self.lang) if self.mandate.end else ""

    def never(self):
        return NEVER

    def login_url(self):
        here = self.url("invitation", code=self.code)
        return f"{self.url('connexion')}?{urlencode({'came_from': here})}"

    # --- acting ------------------------------------------------------------------------------

    def accept(self):
        if self.refusal:
            return False
        if not self.request.form.get("agree"):
            self.errors["agree"] = _("Read the notice, then tick the box to say that you agree.")
            return False
        try:
            mandate_api.accept_invitation(self.code, agreed=True)
        except VaultError as refusal:
            self.errors["form"] = refusal.message_fr
            return False
        return True

    def open_account(self):
        form = self.request.form
        login = (form.get("login") or "").strip().lower()
        fullname = " ".join((form.get("fullname") or "").split())[:100]
        self.values = {"login": login, "fullname": fullname}
        if not fullname:
            self.errors["fullname"] = _("Write your first name and last name.")
        if not LOGIN.fullmatch(login):
            self.errors["login"] = _(
                "Your login: small letters without accents, digits, dot or dash. "
                "For example: jdupont."
            )
        elif get_account(login) is not None:
            self.errors["login"] = _(
                "This login is already taken. If it is yours, log in with it instead."
            )
        password = self.check_new_password(form)
        if password and not self.errors.get("new_password") and password_failure(password):
            self.errors["new_password"] = PASSWORD_SHORT
        if not form.get("agree"):
            self.errors["agree"] = _("Read the notice, then tick the box to say that you agree.")
        if self.errors:
            return False
        savepoint = transaction.savepoint()
        try:
            with as_system():
                ensure_account(login, password, fullname, groups=[roles.BENEFICIARIES_GROUP])
            with api.env.adopt_user(username=login):
                mandate_api.accept_invitation(self.code, agreed=True)
        except (ValueError, VaultError) as refusal:
            savepoint.rollback()
            self.errors["form"] = getattr(refusal, "message_fr", None) or _(
                "Something went wrong. Try again."
            )
            return False
        self.log_in(login, password)
        return True

    def log_in(self, login, password):
        """Open the relative's session, as the login page does."""
        alsoProvides(self.request, IDisableCSRFProtection)
        self.request["__ac_name"] = login
        self.request["__ac_password"] = password
        try:
            with api.env.adopt_user(username=login):
                open_session(self.request)
        finally:
            del self.request.other["__ac_password"]

    def error(self, name):
        message = self.errors.get(name)
        if message is None:
            return ""
        return self.translate(message) if hasattr(message, "domain") else message


class HelpedVaultsPage(PublicPage):
    """``coffre-coffres-aides``: the safes the relative helps with, and until when.

    Also the refusal page of ``/mon-coffre/aide/…`` (``refused``: 403).
    """

    template = ViewPageTemplateFile("templates/coffres_aides.pt")
    section = HELPED_VAULTS
    refused = False

    def __call__(self):
        if api.user.is_anonymous():
            here = self.url(HELPED_VAULTS)
            return self.redirect("connexion", came_from=here)
        return self.render(status=403 if self.refused else None)

    def items(self):
        found = []
        for item in mandate_api.helped_vaults():
            found.append(
                {
                    "name": f"{item['first_name']} {item['last_name']}".strip(),
                    "relation": item["relation"],
                    "until": day_words(item["until"], self.lang) if item["until"] else "",
                    "scopes": scope_lines(
                        [s for s in item["scopes"] if s in HELPER_SCOPE_TEXTS], HELPER_SCOPE_TEXTS
                    ),
                    "url": f"{self.skin_url}/{HELPER_ROUTE}/{item['id']}/papiers",
                }
            )
        return found

    def accepted(self):
        return self.request.form.get("fait") == "accepte"

    def has_own_vault(self):
        return vaults.vault_of(api.user.get_current().getUserName()) is not None

    @property
    def vault(self):
        return self.context if IVault.providedBy(self.context) else None
