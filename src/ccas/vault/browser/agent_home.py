"""@@accueil-agent: an agent's home page (decision 0020).

One screen gathering what an agent needs at the start of the day: open a
vault, the mandates waiting for their signature (read the form, sign), their
accompaniments (with each person's next appointment), the mandates ending
within 30 days, the GED letters waiting for a vault (only for agents who may
handle them), the identity check and their next appointments.

Only what the agent may see: the vaults come from their mandates in force
(``my_vaults``), the appointments from those vaults only, and no paper's title
is ever shown here.  Anybody without the global VaultAgent role is refused.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from Acquisition import aq_parent
from ccas.vault import _
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault.api import accompaniments
from ccas.vault.api import appointments
from ccas.vault.api import mandates as mandate_api
from ccas.vault.api.errors import VaultError
from ccas.vault.api.vaults import vault_directory
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.accompaniments import french_date
from ccas.vault.browser.accompaniments import SCOPE_LABELS
from ccas.vault.browser.accompaniments import SOON_DAYS
from ccas.vault.browser.accompaniments import UNTIL_REVOKED
from ccas.vault.deposit import antivirus
from ccas.vault.letters import parking
from ccas.vault.scopes import ACCOUNT
from ccas.vault.scopes import CONSULT
from plone import api
from plone.protect import CheckAuthenticator
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate


UPCOMING_LIMIT = 20
SIGNED = {
    "signe": _("You signed the mandate."),
    "signe-actif": _("You signed the mandate. It is in force now."),
}


def mandates_to_sign(agent_id):
    """The mandates naming ``agent_id`` that wait for their signature (read as system:
    the agent holds no View on a mandate before it is in force)."""
    catalog = api.portal.get_tool("portal_catalog")
    brains = catalog.unrestrictedSearchResults(
        portal_type="Mandate", review_state="awaiting_signatures"
    )
    found = []
    for brain in brains:
        mandate = brain._unrestrictedGetObject()
        if agent_id in (mandate.agents or ()) and agent_id not in (mandate.agent_signatures or {}):
            found.append(mandate)
    return found


def french_moment(moment):
    """``24/11/2026 à 14 h 30`` (Europe/Paris)."""
    moment = moment.astimezone(clock.PARIS)
    return f"{moment:%d/%m/%Y} à {moment.hour} h {moment:%M}"


def appointment_row(item, person="", vault_url=""):
    return {
        "id": item["id"],
        "when": french_moment(item["start"]),
        "when_iso": item["start"].isoformat(),
        "place": item["place"],
        "purpose": item["purpose"],
        "with_whom": item["with_whom"],
        "person": person,
        "url": f"{vault_url}/@@rendez-vous" if vault_url else "",
    }


class AgentHomeView(BrowserView):
    """The agent's home page on the site root."""

    template = ViewPageTemplateFile("templates/agent_home.pt")
    soon_days = SOON_DAYS

    def __call__(self):
        if api.user.is_anonymous():
            raise Unauthorized("Log in as an agent")
        if roles.VAULT_AGENT not in api.user.get_current().getRoles():
            raise Unauthorized("The agent home page is for agents")
        portal = api.portal.get()
        self.portal_url = portal.absolute_url()
        self.sign_error = None
        if self.request.get("REQUEST_METHOD") == "POST":
            CheckAuthenticator(self.request)  # any post: the page's form (sign a mandate)
            done = self._sign(self.request.form.get("sign"))
            if done:
                self.request.response.redirect(
                    f"{self.portal_url}/@@accueil-agent?fait={done}", status=303
                )
                return ""
        signed = SIGNED.get(self.request.form.get("fait"))
        self.signed = self._translate(signed) if signed else None
        checker = getSecurityManager()
        self.may_open = bool(checker.checkPermission(permissions.OPEN_VAULT, portal))
        self.may_see_letters = parking.may_manage_parked()  # CCAS agents only (0037)
        self.openings = self._openings()  # openings waiting for consent (0046)
        self.parked_count = len(parking.list_parked()) if self.may_see_letters else None
        self.directory_url = vault_directory().absolute_url()
        self.antivirus_down = antivirus.status() == "down"
        vaults = accompaniments.my_vaults()
        self.upcoming = []
        self.items = [self._row(item) for item in vaults]
        self.upcoming.sort(key=lambda row: (row["when_iso"], row["person"]))
        self.upcoming = self.upcoming[:UPCOMING_LIMIT]
        self.ending_soon = [
            self._row(item, collect=False)
            for item in accompaniments.mandates_ending_soon(SOON_DAYS)
        ]
        self.identity_checks = [row for row in self.items if row["identity_check_url"]]
        self.to_sign = self._to_sign()
        self.request.response.setHeader("Cache-Control", NO_STORE)
        return self.template()

    def _openings(self):
        from ccas.vault.browser.opening.unfinished import unfinished_openings

        if not self.may_open:
            return []
        return unfinished_openings(api.user.get_current().getId(), self.may_see_letters)

    def _translate(self, message):
        return translate(message, context=self.request)

    def _sign(self, uid):
        """The agent signs the mandate ``uid``: the key of :data:`SIGNED`, or ``None``."""
        me = api.user.get_current().getId()
        wanted = uid if isinstance(uid, str) else ""
        mandate = next((m for m in mandates_to_sign(me) if m.UID() == wanted), None)
        if mandate is None:
            self.sign_error = self._translate(
                _("This mandate does not wait for your signature any more.")
            )
            return None
        try:
            mandate_api.sign_as_agent(mandate)
        except VaultError as refusal:
            self.sign_error = refusal.message_fr
            return None
        return "signe-actif" if api.content.get_state(mandate) == "active" else "signe"

    def _to_sign(self):
        rows = []
        for mandate in mandates_to_sign(api.user.get_current().getId()):
            vault = aq_parent(mandate)
            rows.append(
                {
                    "id": mandate.getId(),
                    "uid": mandate.UID(),
                    "person": f"{vault.first_name or ''} {vault.last_name or ''}".strip(),
                    "birth_date": vault.birth_date.strftime("%d/%m/%Y") if vault.birth_date else "",
                    "scopes": [
                        self._translate(SCOPE_LABELS.get(s, s)) for s in sorted(mandate.scopes)
                    ],
                    "until": mandate.end.strftime("%d/%m/%Y")
                    if mandate.end
                    else self._translate(UNTIL_REVOKED),
                    "until_iso": mandate.end.isoformat() if mandate.end else "",
                    "person_signed": bool(mandate.person_signature),
                    "form_url": f"{mandate.absolute_url()}/@@mandate-form",
                    "paper_url": f"{self.portal_url}/@@mandat-papier?mandat={mandate.UID()}",
                }
            )
        return sorted(rows, key=lambda row: (row["person"].lower(), row["id"]))

    def _upcoming_of(self, vault_id):
        vault = vault_directory().get(vault_id)
        if vault is None:
            return []
        try:
            return appointments.list_appointments(vault, upcoming_only=True)
        except VaultError:  # the mandate ended a moment ago
            return []

    def _code_to_confirm(self, vault_id):
        """A printed code made by another agent waits for a second agent (decision 0043)."""
        from ccas.vault.account import recovery

        vault = vault_directory().get(vault_id)
        reset = recovery.awaiting_confirmation(vault) if vault is not None else None
        return reset is not None and reset["started_by"] != api.user.get_current().getId()

    def _row(self, item, collect=True):
        person = f"{item['first_name']} {item['last_name']}".strip()
        vault_url = f"{self.directory_url}/{item['id']}"
        upcoming = self._upcoming_of(item["id"])
        if collect:
            self.upcoming.extend(appointment_row(a, person, vault_url) for a in upcoming)
        return {
            "id": item["id"],
            "person": person,
            "birth_date": french_date(item["birth_date"]),
            "scopes": [self._translate(SCOPE_LABELS.get(s, s)) for s in item["scopes"]],
            "until": french_date(item["until"]) or self._translate(UNTIL_REVOKED),
            "until_iso": item["until"] or "",
            "shared_space_url": item["shared_space_url"],
            "dossier_url": item["dossier_url"],
            "appointments_url": f"{vault_url}/@@rendez-vous",
            "identity_check_url": (
                f"{vault_url}/@@identity-check" if CONSULT in item["scopes"] else ""
            ),
            "account_help_url": (f"{vault_url}/@@aide-compte" if ACCOUNT in item["scopes"] else ""),
            "code_to_confirm": ACCOUNT in item["scopes"] and self._code_to_confirm(item["id"]),
            "next": appointment_row(upcoming[0]) if upcoming else None,
        }
