"""``@@aide-compte`` on a vault: an agent with the account-help scope starts a password reset.

Classic UI, for staff.  The agent chooses how the person gets a one-time
code: by SMS (the agent never sees it) or on a printed sheet (shown this
once, to print and hand over; it works only with the person's date of
birth).  Either way the person types the new password themself, on
``/mon-coffre/nouveau-mot-de-passe``.  The view is ``zope2.Public``: an agent
holds no ``View`` on the vault; :func:`recovery.may_assist` decides (the
account scope of an active mandate, inside its dates).
"""

from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault.account import recovery
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.public.owner_pages import time_words
from plone import api
from plone.protect import CheckAuthenticator
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate


ERRORS = {
    "no_phone": _('The person has no mobile number. Choose "Print the code".'),
    "vault_not_open": _("This safe is closing: its password can no longer be changed."),
    "recovery_locked": _("Too many codes were asked for. Wait 15 minutes, then try again."),
    "bad_delivery": _("Choose how the person gets the code: by SMS or on paper."),
}


#: the printed sheet, for the person: translated into the person's language (not the agent's)
SHEET = {
    "title": _("Your code to choose a new password"),
    "login": _("Your login:"),
    "code": _("Your code:"),
    "until": _("It works once, until"),
    "go": _("Go to"),
    "write": _("Write your login, this code and your date of birth."),
    "choose": _("Choose your new password. Tell it to nobody, not even the CCAS."),
    "keep": _("Keep this paper for yourself. Throw it away once your new password is chosen."),
    "print": _("Print this sheet"),
    "done": _("Done"),
    "second_part": _(
        "You also receive 4 characters by SMS or e-mail. Write them just after this code: "
        "it works only with them."
    ),
}


class AccountHelpView(BrowserView):
    template = ViewPageTemplateFile("templates/account_help.pt")
    sheet = ViewPageTemplateFile("templates/account_help_sheet.pt")

    def __call__(self):
        if not recovery.may_assist(self.context):
            raise Unauthorized("The account-help scope of a mandate is needed")
        self.request.response.setHeader("Cache-Control", "private, no-store")
        self.error = ""
        self.result = None
        if self.request.get("REQUEST_METHOD") == "POST" and self.request.form.get("delivery"):
            CheckAuthenticator(self.request)
            try:
                self.result = recovery.start_assisted_reset(
                    self.context, self.request.form["delivery"]
                )
            except VaultError as error:
                self.error = self.translate(ERRORS.get(error.code, _("The code was not made.")))
            else:
                if self.result["delivery"] == "print":
                    return self.sheet()
        return self.template()

    def translate(self, msgid):
        return translate(msgid, context=self.request)

    @property
    def phone(self):
        return recovery.phone_masked(self.context.phone) if self.context.phone else ""

    @property
    def person_language(self):
        return "en" if self.context.preferred_language == "en" else "fr"

    def sheet_text(self, key):
        return translate(SHEET[key], context=self.request, target_language=self.person_language)

    def expires(self, language=None):
        language = language or (
            "en" if str(self.request.get("LANGUAGE", "")).startswith("en") else "fr"
        )
        return time_words(self.result["expires"], language) if self.result else ""

    def reset_url(self):
        return f"{api.portal.get().absolute_url()}/mon-coffre/nouveau-mot-de-passe"
