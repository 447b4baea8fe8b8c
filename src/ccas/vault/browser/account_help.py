"""``@@aide-compte`` on a vault: an agent with the account-help scope starts a password reset.

Classic UI, for staff.  The agent chooses how the person gets a one-time
code: by SMS (the agent never sees it) or on a printed sheet (shown this
once, to print and hand over; it works only with the person's date of
birth and, since decisions 0035 and 0043, with something the agent cannot
have: a second part sent to the person's phone or e-mail, else the answer to
one of the person's questions, else a second CCAS agent's confirmation — which
this page also offers, to the agents who may give it).  Either way the person
types the new password themself, on ``/mon-coffre/nouveau-mot-de-passe``.
The view is ``zope2.Public``: an agent holds no ``View`` on the vault;
:func:`recovery.may_assist` decides (the account scope of an active mandate,
inside its dates).
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
from zope.i18nmessageid import Message


ERRORS = {
    "no_phone": _('The person has no mobile number. Choose "Print the code".'),
    "vault_not_open": _("This safe is closing: its password can no longer be changed."),
    "recovery_locked": _("Too many codes were asked for. Wait 15 minutes, then try again."),
    "bad_delivery": _("Choose how the person gets the code: by SMS or on paper."),
    "nothing_to_confirm": _("No printed code waits for a confirmation."),
    "same_agent": _("You made this code: another agent of the CCAS must confirm it."),
    "not_ccas_agent": _("Only an agent of the CCAS confirms a printed code."),
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
    "answer": _(
        "On the page, also answer your personal question: ${question} "
        "Nobody at the CCAS knows your answer."
    ),
    "confirmation": _(
        "A second person of the CCAS must confirm this code before it works. "
        "It is done at the desk, before you leave."
    ),
}
#: for the agent, under the sheet (not printed)
ASK_A_COLLEAGUE = _(
    "Before the person leaves, a colleague of the CCAS who holds the account-help scope "
    'for this person confirms the code on the page "Help with the password".'
)


class AccountHelpView(BrowserView):
    template = ViewPageTemplateFile("templates/account_help.pt")
    sheet = ViewPageTemplateFile("templates/account_help_sheet.pt")

    def __call__(self):
        if not recovery.may_assist(self.context):
            raise Unauthorized("The account-help scope of a mandate is needed")
        self.request.response.setHeader("Cache-Control", "private, no-store")
        self.error = ""
        self.result = None
        self.confirmed = None
        if self.request.get("REQUEST_METHOD") == "POST" and self.request.form.get("confirm"):
            CheckAuthenticator(self.request)
            try:
                self.confirmed = recovery.confirm_assisted_reset(self.context)
            except VaultError as error:
                self.error = self.translate(ERRORS.get(error.code, _("The code was not made.")))
        elif self.request.get("REQUEST_METHOD") == "POST" and self.request.form.get("delivery"):
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

    def question_text(self):
        """The person's question a printed code asks, in the person's language (no answer)."""
        qid = (self.result or {}).get("question")
        if not qid:
            return ""
        question = recovery.question_text(qid, self.person_language)
        quoted = f"« {question} »" if self.person_language == "fr" else f'"{question}"'
        message = Message(SHEET["answer"], mapping={"question": quoted})
        return translate(message, context=self.request, target_language=self.person_language)

    def ask_a_colleague(self):
        return self.translate(ASK_A_COLLEAGUE)

    def waiting(self):
        """The printed code waiting for a second agent, and whether this agent may confirm it."""
        reset = recovery.awaiting_confirmation(self.context)
        if reset is None:
            return None
        starter = api.user.get(userid=reset["started_by"])
        refusal = recovery.confirmation_refusal(self.context)
        return {
            "started_by": (starter.getProperty("fullname") if starter else "")
            or reset["started_by"],
            "created": time_words(reset["created"], self.agent_language),
            "expires": time_words(reset["expires"], self.agent_language),
            "may_confirm": refusal is None,
            "why_not": self.translate(ERRORS[refusal[2]]) if refusal else "",
        }

    @property
    def agent_language(self):
        return "en" if str(self.request.get("LANGUAGE", "")).startswith("en") else "fr"

    def expires(self, language=None):
        language = language or (
            "en" if str(self.request.get("LANGUAGE", "")).startswith("en") else "fr"
        )
        return time_words(self.result["expires"], language) if self.result else ""

    def reset_url(self):
        return f"{api.portal.get().absolute_url()}/mon-coffre/nouveau-mot-de-passe"
