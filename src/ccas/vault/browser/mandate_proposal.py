"""A mandate after the opening (decision 0045): an agent proposes it, the person signs it.

``@@proposer-un-mandat``: an agent (global VaultAgent role) finds the person by
last name, first name and date of birth — all three, exactly — and sees only
their names and date of birth, never anything inside the vault; or comes from
the page of a vault they already accompany (``?coffre=<id>``, a mandate in
force needed).  They choose the scopes, the purpose, the end and the other
agents; :func:`ccas.vault.api.mandates.propose_mandate` writes it, waiting for
signatures.  The person signs it on their phone ("Qui a accès", where they may
untick scopes), or on the printed form that an agent of the mandate attaches
with ``@@mandat-papier``; every agent signs from "Mon accueil".
"""

from AccessControl import Unauthorized
from Acquisition import aq_parent
from ccas.vault import _
from ccas.vault import clock
from ccas.vault import roles
from ccas.vault.api import mandates as mandate_api
from ccas.vault.api import vaults as vault_api
from ccas.vault.api.errors import VaultError
from ccas.vault.api.vaults import vault_directory
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.accompaniments import SCOPE_LABELS
from ccas.vault.browser.agent_home import mandates_to_sign
from ccas.vault.browser.agent_vault import agent_scopes
from ccas.vault.browser.opening import fields
from ccas.vault.browser.opening.wizard import NOT_A_SCAN
from ccas.vault.browser.opening.wizard import SCAN_TYPES
from ccas.vault.content.mandate import DEFAULT_PURPOSE
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.deposit.inspection import inspect_upload
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from ccas.vault.settings import get_setting
from datetime import date
from plone import api
from plone.namedfile.file import NamedBlobFile
from plone.protect import CheckAuthenticator
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from unidecode import unidecode
from urllib.parse import urlencode
from zope.i18n import translate
import transaction


SEARCH = ("last_name", "first_name", "birth_date")


def _same(one, other):
    return " ".join(unidecode(one or "").lower().split()) == " ".join(
        unidecode(other or "").lower().split()
    )


def _organisation_title(organisation_id):
    if not organisation_id:
        return ""
    from ccas.vault.organisations import get_organisation

    organisation = get_organisation(organisation_id)
    return organisation.title if organisation is not None else organisation_id


def _require_agent():
    if api.user.is_anonymous():
        raise Unauthorized("Log in as an agent")
    user = api.user.get_current()
    if roles.VAULT_AGENT not in user.getRoles():
        raise Unauthorized("This page is for agents")
    return user


class ProposalBase(BrowserView):
    errors = None

    def t(self, message):
        return translate(message, context=self.request) if hasattr(message, "domain") else message

    def error(self, name):
        return self.t((self.errors or {}).get(name)) if (self.errors or {}).get(name) else None

    @property
    def portal_url(self):
        return api.portal.get().absolute_url()


class MandateProposalView(ProposalBase):
    """Find the person, then propose the mandate; the page that follows says what comes next."""

    template = ViewPageTemplateFile("templates/mandate_proposal.pt")
    vault = None
    matches = ()
    proposed = None

    def __call__(self):
        self.user = _require_agent()
        self.errors = {}
        # ?proche=1: a mandate to a relative or trusted person the person names (decision 0049)
        self.relative = bool(self.request.form.get("proche"))
        self.request.response.setHeader("Cache-Control", NO_STORE)
        form = self.request.form
        if form.get("fait"):
            self.proposed = self._proposed(form.get("fait"))
            return self.template()
        posted = self.request.get("REQUEST_METHOD") == "POST"
        if posted:
            CheckAuthenticator(self.request)
        self.vault = self._chosen_vault()
        if self.vault is None:
            if any(fields.text(form, name) for name in SEARCH):
                self._search()
            return self.template()
        if posted and form.get("propose"):
            done = self._propose()
            if done is not None:
                self.request.response.redirect(
                    f"{self.portal_url}/@@proposer-un-mandat?fait={done}", status=303
                )
                return ""
        return self.template()

    # --- finding the person --------------------------------------------------------------

    def _exact_matches(self):
        """Open vaults with exactly the names and date of birth typed (accents, case aside)."""
        form = self.request.form
        last, first = fields.text(form, "last_name"), fields.text(form, "first_name")
        born = fields.birth_date(form)
        if not last or not first or born is None:
            return []
        found = []
        for item in vault_api.find_vaults(last, first, born):
            if _same(item["last_name"], last) and _same(item["first_name"], first):
                vault = vault_directory().get(item["id"])
                with as_system():
                    state = api.content.get_state(vault) if vault is not None else None
                if state == "open":
                    found.append(item)
        return found

    def _search(self):
        form = self.request.form
        if not fields.text(form, "last_name"):
            self.errors["last_name"] = _("Write the last name.")
        if not fields.text(form, "first_name"):
            self.errors["first_name"] = _("Write the first name.")
        if fields.birth_date(form) is None:
            self.errors["birth_date"] = _("Write the date of birth, e.g. 17/05/1980.")
        if self.errors:
            return
        self.matches = [
            {
                "id": item["id"],
                "name": f"{item['first_name']} {item['last_name']}".strip(),
                "birth_date": date.fromisoformat(item["birth_date"]).strftime("%d/%m/%Y"),
            }
            for item in self._exact_matches()
        ]
        if not self.matches:
            self.errors["search"] = _(
                "No open vault for this person. Check the names and the date of birth with them."
            )

    def _chosen_vault(self):
        """The vault chosen: found again by the typed identity, or accompanied already."""
        wanted = self.request.form.get("coffre")
        if not isinstance(wanted, str) or not wanted:
            return None
        if any(fields.text(self.request.form, name) for name in SEARCH):
            if wanted in {item["id"] for item in self._exact_matches()}:
                return vault_directory().get(wanted)
            raise Unauthorized("This vault does not match the person searched")
        vault = vault_directory().get(wanted)
        if vault is None or not agent_scopes(vault, self.user.getId())[0]:
            raise Unauthorized("Find the person by their names and date of birth")
        return vault

    def hidden(self):
        """The fields that carry the choice from one form to the next."""
        form = self.request.form
        carried = [(name, fields.text(form, name)) for name in SEARCH if fields.text(form, name)]
        if self.vault is not None:
            carried.append(("coffre", self.vault.getId()))
        if self.relative:
            carried.append(("proche", "1"))
        return carried

    def person(self):
        with as_system():
            vault = self.vault
            return {
                "name": f"{vault.first_name or ''} {vault.last_name or ''}".strip(),
                "birth_date": vault.birth_date.strftime("%d/%m/%Y") if vault.birth_date else "",
            }

    # --- the proposal --------------------------------------------------------------------

    def rules(self):
        from ccas.vault.policies.mandates import mandate_rules

        return mandate_rules()

    def scopes(self):
        chosen = fields.strings(self.request.form, "scopes") or ["consult"]
        return [
            {"id": s, "label": self.t(SCOPE_LABELS[s]), "checked": s in chosen}
            for s in self.rules()["scopes"]
        ]

    def other_agents(self):
        """Every other agent, with their organisation (the agents' own screens pick them, 0034)."""
        from ccas.vault.organisations import organisation_of

        me = self.user.getId()
        chosen = set(fields.strings(self.request.form, "agents"))
        found = []
        for user in api.user.get_users():
            if user.getId() == me or roles.VAULT_AGENT not in api.user.get_roles(user=user):
                continue
            organisation = organisation_of(user)
            found.append(
                {
                    "id": user.getId(),
                    "name": user.getProperty("fullname") or user.getUserName(),
                    "organisation": organisation.title if organisation is not None else "",
                    "checked": user.getId() in chosen,
                }
            )
        return sorted(found, key=lambda a: (a["organisation"].lower(), a["name"].lower()))

    def purpose(self):
        return fields.text(self.request.form, "purpose") or DEFAULT_PURPOSE

    def default_end(self):
        return (
            fields.text(self.request.form, "end")
            or mandate_api._add_months(
                clock.paris_now().date(), self.rules()["default_months"]
            ).isoformat()
        )

    def relative_scopes(self):
        chosen = fields.strings(self.request.form, "scopes") or ["consult"]
        offered = self.rules()["scopes"]
        return [
            {"id": s, "label": self.t(SCOPE_LABELS[s]), "checked": s in chosen}
            for s in mandate_api.PERSONAL_SCOPES
            if s in offered
        ]

    def month_choices(self):
        longest = self.rules()["max_months"]
        return [months for months in (1, 3, 6, 12) if not longest or months <= longest]

    def _propose_to_relative(self):
        form = self.request.form
        try:
            months = int(fields.text(form, "months") or 0)
        except ValueError:
            months = 0
        savepoint = transaction.savepoint()
        try:
            mandate, _code = mandate_api.propose_personal_mandate(
                self.vault,
                name=fields.text(form, "relative_name"),
                relation=fields.text(form, "relation"),
                scopes=fields.strings(form, "scopes"),
                months=months,
            )
        except VaultError as refusal:
            savepoint.rollback()
            field = {
                "no_name": "relative_name",
                "no_relation": "relation",
                "bad_dates": "months",
                "mandate_too_long": "months",
            }.get(refusal.code, "scopes")
            self.errors[field] = refusal.message_fr
            return None
        return mandate.UID()

    def _propose(self):
        if self.relative:
            return self._propose_to_relative()
        form = self.request.form
        scopes = fields.strings(form, "scopes")
        if not scopes:
            self.errors["scopes"] = _("Choose what the agents may do.")
        until_revoked = bool(form.get("until_revoked")) and self.rules()["allow_until_revoked"]
        end = None
        if not until_revoked:
            try:
                end = date.fromisoformat(fields.text(form, "end"))
            except ValueError:
                self.errors["end"] = _("Write the end date, e.g. 23/11/2027.")
        if self.errors:
            return None
        savepoint = transaction.savepoint()
        try:
            mandate = mandate_api.propose_mandate(
                self.vault,
                agents=[self.user.getId(), *fields.strings(form, "agents")],
                scopes=scopes,
                purpose=fields.text(form, "purpose") or None,
                end=end,
                until_revoked=until_revoked,
            )
        except VaultError as refusal:
            savepoint.rollback()
            field = {"no_agent": "agents", "not_an_agent": "agents"}.get(refusal.code, "end")
            if refusal.code in ("bad_scopes", "scope_not_offered"):
                field = "scopes"
            self.errors[field] = refusal.message_fr
            return None
        return mandate.UID()

    def _proposed(self, uid):
        mandate = _named_mandate(uid, self.user.getId())
        if mandate is None:
            return None
        vault = aq_parent(mandate)
        with as_system():
            name = f"{vault.first_name or ''} {vault.last_name or ''}".strip()
        return {
            "person": name,
            "relative": mandate_api.is_personal(mandate),
            "scopes": [self.t(SCOPE_LABELS.get(s, s)) for s in sorted(mandate.scopes)],
            "form_url": f"{mandate.absolute_url()}/@@mandate-form",
            "paper_url": f"{self.portal_url}/@@mandat-papier?{urlencode({'mandat': uid})}",
            "home_url": f"{self.portal_url}/@@accueil-agent",
        }


def _named_mandate(uid, agent_id):
    """The mandate ``uid`` waiting for signatures that names ``agent_id``, else ``None``."""
    if not isinstance(uid, str) or not uid:
        return None
    catalog = api.portal.get_tool("portal_catalog")
    brains = catalog.unrestrictedSearchResults(UID=uid, portal_type="Mandate")
    mandate = brains[0]._unrestrictedGetObject() if brains else None
    if mandate is None:
        return None
    if mandate_api.is_personal(mandate):  # the agent who prepared it at the desk (0049)
        return mandate if mandate.proposed_by == agent_id else None
    if agent_id not in (mandate.agents or ()):
        return None
    return mandate


class PaperSignatureView(ProposalBase):
    """``@@mandat-papier?mandat=<uid>``: an agent of the mandate attaches the person's signed form.

    The agent ticks what the person ticked on paper (partial acceptance) and
    adds the scan; :func:`ccas.vault.api.mandates.sign_as_person` checks the rest.
    """

    template = ViewPageTemplateFile("templates/mandate_paper_signature.pt")
    done = False

    def __call__(self):
        user = _require_agent()
        self.errors = {}
        self.request.response.setHeader("Cache-Control", NO_STORE)
        uid = self.request.form.get("mandat")
        self.mandate = next(
            (m for m in mandates_to_sign(user.getId()) if m.UID() == uid), None
        ) or _named_mandate(uid, user.getId())
        if self.mandate is None or api.content.get_state(self.mandate) != "awaiting_signatures":
            raise Unauthorized("No mandate of yours waits for the person's form")
        if self.mandate.person_signature:
            self.done = True
            return self.template()
        if self.request.get("REQUEST_METHOD") == "POST":
            CheckAuthenticator(self.request)
            if self._attach():
                self.request.response.redirect(
                    f"{self.portal_url}/@@accueil-agent?fait=signe", status=303
                )
                return ""
        return self.template()

    def person(self):
        vault = aq_parent(self.mandate)
        with as_system():
            return {
                "name": f"{vault.first_name or ''} {vault.last_name or ''}".strip(),
                "birth_date": vault.birth_date.strftime("%d/%m/%Y") if vault.birth_date else "",
            }

    def scopes(self):
        posted = self.request.get("REQUEST_METHOD") == "POST"
        chosen = set(fields.strings(self.request.form, "scopes")) if posted else None
        return [
            {
                "id": s,
                "label": self.t(SCOPE_LABELS.get(s, s)),
                "checked": chosen is None or s in chosen,
            }
            for s in sorted(self.mandate.scopes)
        ]

    def form_url(self):
        return f"{self.mandate.absolute_url()}/@@mandate-form"

    def _attach(self):
        scopes = fields.strings(self.request.form, "scopes")
        if not scopes:
            self.errors["scopes"] = _("Tick what the person accepted on the form.")
            return False
        upload = self.request.form.get("mandate_form")
        if not upload or not getattr(upload, "filename", ""):
            self.errors["mandate_form"] = _("Choose the file of the signed form (scan or photo).")
            return False
        vault = aq_parent(self.mandate)
        try:
            inspected = inspect_upload(
                upload.read(),
                filename=upload.filename,
                max_size=get_setting("max_upload_size_mb") * 1024 * 1024,
            )
        except DepositRefused as refusal:
            self.errors["mandate_form"] = refusal.message_fr
            details = {"operation": "signed_form", "code": refusal.code}
            history.record(vault, "refused", details={**details, "filename": upload.filename})
            return False
        if inspected.content_type not in SCAN_TYPES:
            self.errors["mandate_form"] = NOT_A_SCAN
            return False
        scan = NamedBlobFile(
            inspected.data, contentType=inspected.content_type, filename=inspected.filename
        )
        try:
            mandate_api.sign_as_person(self.mandate, method="paper", form=scan, scopes=scopes)
        except VaultError as refusal:
            self.errors["scopes"] = refusal.message_fr
            return False
        return True
