"""``@@dossier`` on a vault: the agent's page of a person they accompany (decision 0045).

The product's own screen, not Plone's: no toolbar, no folder listing, no raw
id.  It shows the person (names, date of birth, GED ids, contact channel), the
agent's mandate (scopes in force, until when), the papers of the shared space
the agent may see (type, validity badge, certification, watermarked preview),
the actions their scopes allow (each one a link to the page that does it, which
checks again) and the agent's own lines of the vault's history.

Access: registered with ``ccas.vault.ReachVault`` (decision 0031; a mandated
agent holds no View on the vault); the view lets through only an agent holding
a mandate in force on this vault (the roster, as ``@my-vaults``), and each
paper, link and action is checked with the same Zope permissions the REST
services use (the mandate's local roles on the shared space).
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from AccessControl.PermissionRole import rolesForPermissionOn
from Acquisition import aq_base
from Acquisition import aq_inner
from Acquisition import aq_parent
from ccas.vault import _
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault.api import connectors as connector_api
from ccas.vault.api.accompaniments import _in_force_groups
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.accompaniments import SCOPE_LABELS
from ccas.vault.browser.accompaniments import UNTIL_REVOKED
from ccas.vault.browser.public.papers import badges
from ccas.vault.browser.public.papers import review_state
from ccas.vault.browser.public.papers import uid_of
from ccas.vault.browser.views import ACTION_LABELS
from ccas.vault.browser.views import local_time
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import sort_key
from ccas.vault.history import api as history
from ccas.vault.scopes import ACCOUNT
from ccas.vault.scopes import CERTIFY
from ccas.vault.scopes import CONSULT
from ccas.vault.scopes import DEPOSIT
from ccas.vault.scopes import EXTRACT
from ccas.vault.scopes import SHARE
from ccas.vault.security import as_system
from ccas.vault.workspace import vaults_of_agent
from datetime import date
from datetime import datetime
from functools import partial
from html import escape
from plone import api
from plone.transformchain.interfaces import DISABLE_TRANSFORM_REQUEST_KEY
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate


HISTORY_LINES = 20
CERTIFIABLE = ("deposited", "pending_certification")
CHANNELS = {
    "email": _("By e-mail"),
    "sms": _("By SMS"),
    "none": _("No message: letters are handed over at the CCAS"),
}


def agent_scopes(vault, user_id, today=None):
    """``(scopes in force, end date or None)`` of ``user_id`` on ``vault``, from the roster."""
    today = today or clock.paris_now().date()
    groups = vaults_of_agent(vault.aq_parent, user_id).get(vault.getId()) or {}
    return _in_force_groups(groups, today)


def dossier_url(vault_url):
    return f"{vault_url}/@@dossier"


def _day(value):
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else ""


def _walk(container):
    for obj in container.objectValues():
        if IVaultDocument.providedBy(obj):
            yield obj
        elif getattr(obj, "isPrincipiaFolderish", False):
            yield from _walk(obj)  # "Courrier du CCAS"


class AgentVaultView(BrowserView):
    """The agent's page of one vault."""

    template = ViewPageTemplateFile("templates/agent_vault.pt")

    def __call__(self):
        if api.user.is_anonymous():
            raise Unauthorized("Log in as an agent")
        user = api.user.get_current()
        if roles.VAULT_AGENT not in user.getRoles():
            raise Unauthorized("This page is for agents")
        self.user_id = user.getId()
        self.scopes, self.until = agent_scopes(self.context, self.user_id)
        if not self.scopes:
            raise Unauthorized("A mandate in force on this vault is needed")
        self.portal_url = api.portal.get().absolute_url()
        self.vault_url = self.context.absolute_url()
        self.lang = "en" if str(self.request.get("LANGUAGE", "fr")).startswith("en") else "fr"
        self._types = {}
        with as_system():
            self.person = self._person()
            shared = self.context.get(SHARED_SPACE_ID)
            documents = list(_walk(shared)) if shared is not None else []
        self.shared = shared
        self.papers = self._papers(documents)
        self.actions = self._actions()
        self.lines = self._history()
        response = self.request.response
        response.setHeader("Cache-Control", NO_STORE)
        response.setHeader("X-Theme-Disabled", "1")  # a page of its own: no Plone theme to apply
        response.setHeader("Referrer-Policy", "same-origin")
        response.setHeader("X-Frame-Options", "SAMEORIGIN")
        response.setHeader("X-Content-Type-Options", "nosniff")
        # No form on the page, no theme: the transform chain (plone.protect's token
        # injection parses the whole page) has nothing to do on it.
        self.request.environ[DISABLE_TRANSFORM_REQUEST_KEY] = True
        return self.template()

    def t(self, message):
        """``message`` translated, once per request for messages without a mapping."""
        if getattr(message, "mapping", None):
            return translate(message, context=self.request)
        cache = self.__dict__.setdefault("_translated", {})
        if message not in cache:
            cache[message] = translate(message, context=self.request)
        return cache[message]

    def texts(self):
        """The words of each paper's row, translated once."""
        return {
            "until": self.t(_("until")),
            "certified_by": self.t(_("Certified by")),
            "pending": self.t(_("Certification asked, waiting for a second agent")),
            "preview": self.t(_("Preview")),
            "print": self.t(_("Print it")),
            "certify": self.t(_("Certify")),
        }

    # --- the person and the mandate ------------------------------------------------------

    def _person(self):
        vault = self.context
        channel = vault.contact_channel or "none"
        address = {"email": vault.email, "sms": vault.phone}.get(channel) or ""
        return {
            "name": f"{vault.first_name or ''} {vault.last_name or ''}".strip(),
            "birth_date": _day(vault.birth_date),
            "ged_ids": ", ".join(vault.ged_person_ids or ()),
            "channel": self.t(CHANNELS.get(channel, CHANNELS["none"])),
            "address": address,
        }

    def scope_labels(self):
        return [self.t(SCOPE_LABELS.get(scope, scope)) for scope in self.scopes]

    def until_label(self):
        return self.until.strftime("%d/%m/%Y") if self.until else self.t(UNTIL_REVOKED)

    # --- papers --------------------------------------------------------------------------

    def _type(self, type_id):
        if type_id not in self._types:
            info = get_document_type(type_id) if type_id else None
            self._types[type_id] = (info, info.label(self.lang) if info else (type_id or ""))
        return self._types[type_id]

    def _allowed(self, permission, document):
        """``checkPermission(permission, document)``, asked once per kind of paper.

        Zope's answer depends on the roles the paper's workflow state maps the
        permission to (stored on the paper), the paper's own local roles and the
        roles the user holds above it (the same for the papers of one folder):
        papers of one folder alike in the first two get the same answer, so 200 papers cost a
        handful of checks (the same checks, not a rule of our own).
        """
        base = aq_base(document)
        key = (
            permission,
            _roles_key(rolesForPermissionOn(permission, document)),
            tuple(sorted((k, tuple(v)) for k, v in (base.__ac_local_roles__ or {}).items()))
            if getattr(base, "__ac_local_roles__", None)
            else (),
            bool(getattr(base, "__ac_local_roles_block__", False)),
            base.portal_type,
            id(aq_base(aq_parent(aq_inner(document)))),  # the shared space or a folder in it
        )
        if key not in self._checks:
            self._checks[key] = bool(self._check(permission, document))
        return self._checks[key]

    def _papers(self, documents):
        self._check = getSecurityManager().checkPermission
        self._checks = {}
        check = self._allowed
        may_extract = EXTRACT in self.scopes
        may_certify = CERTIFY in self.scopes
        now = clock.paris_now().date()
        papers = []
        for document in documents:
            state = review_state(document)
            if state == "superseded" or not check(permissions.VIEW_METADATA, document):
                continue
            info, type_label = self._type(document.document_type)
            url = document.absolute_url()
            certification = document.certification if state != "superseded" else None
            papers.append(
                {
                    "uid": uid_of(document),
                    "title": document.title or type_label,
                    "type": type_label,
                    "valid_until": _day(document.valid_until),
                    "badges": [
                        {"css": css, "text": self.t(text)}
                        for css, text in badges(document, state, info, now)
                    ],
                    "certified_by": (certification or {}).get("organisation_title", "")
                    if certification
                    else "",
                    "certified_on": _day(_iso_date((certification or {}).get("at"))),
                    "pending": state == "pending_certification",
                    "preview_url": f"{url}/@@preview"
                    if check(permissions.VIEW_PREVIEW, document)
                    else "",
                    "print_url": f"{url}/@@print"
                    if may_extract and check(permissions.DOWNLOAD_ORIGINAL, document)
                    else "",
                    "certify_url": f"{url}/@@certify?retour=dossier"
                    if may_certify and state in CERTIFIABLE and check(permissions.CERTIFY, document)
                    else "",
                }
            )
        papers.sort(key=lambda paper: (sort_key(paper["type"]), sort_key(paper["title"])))
        return papers

    def rows_html(self):
        """The papers' rows, escaped, written here: a page template's expressions cost
        ~0.1 ms each, 15 per row (decision 0045: 200 papers within 100 ms)."""
        words = self.texts()
        text = partial(escape, quote=False)
        rows = []
        for paper in self.papers:
            badges_html = "".join(
                f'<span class="badge {escape(b["css"])}">{text(b["text"])}</span>'
                for b in paper["badges"]
            )
            if paper["valid_until"]:
                until = f"{words['until']} {paper['valid_until']}"
                badges_html += f" <span>{text(until)}</span>"
            if paper["certified_by"]:
                certification = f"{text(words['certified_by'])} {text(paper['certified_by'])}"
                if paper["certified_on"]:
                    certification += f", {text(paper['certified_on'])}"
            elif paper["pending"]:
                certification = f"<span>{text(words['pending'])}</span>"
            else:
                certification = '<span class="muted">—</span>'
            links = []
            if paper["preview_url"]:
                links.append(
                    f'<a class="preview-link" target="_blank" rel="noopener" '
                    f'href="{escape(paper["preview_url"])}">{text(words["preview"])}</a>'
                )
            if paper["print_url"]:
                links.append(
                    f'<a class="print-link" href="{escape(paper["print_url"])}">'
                    f"{text(words['print'])}</a>"
                )
            if paper["certify_url"]:
                links.append(
                    f'<a class="certify-link" href="{escape(paper["certify_url"])}">'
                    f"{text(words['certify'])}</a>"
                )
            rows.append(
                f'<tr class="paper" data-uid="{escape(paper["uid"])}">'
                f'<td class="paper-title">{text(paper["title"])}</td>'
                f'<td class="paper-type">{text(paper["type"])}</td>'
                f'<td class="paper-validity">{badges_html}</td>'
                f'<td class="paper-certification">{certification}</td>'
                f'<td class="paper-links">{" · ".join(links)}</td></tr>'
            )
        return "\n".join(rows)

    # --- actions -------------------------------------------------------------------------

    def _actions(self):
        check = getSecurityManager().checkPermission
        shared, url = self.shared, self.vault_url
        shared_url = f"{url}/{SHARED_SPACE_ID}"
        found = []

        def add(action_id, label, href):
            found.append({"id": action_id, "label": self.t(label), "url": href})

        if shared is not None and DEPOSIT in self.scopes and check(permissions.DEPOSIT, shared):
            add("deposit", _("Deposit a paper"), f"{shared_url}/@@deposit?retour=dossier")
        if (
            shared is not None
            and DEPOSIT in self.scopes
            and check(permissions.DEPOSIT, shared)
            and connector_api.offered(self.context)
        ):
            add("connectors", _("Fetch a paper (API Particulier…)"), f"{url}/@@connecteurs")
        if shared is not None and SHARE in self.scopes and check(permissions.SHARE, shared):
            add("share", _("Share papers"), f"{shared_url}/@@partager")
        if CONSULT in self.scopes:
            add("identity-check", _("Check the identity"), f"{url}/@@identity-check")
        if ACCOUNT in self.scopes:
            add("account-help", _("Help with the password"), f"{url}/@@aide-compte")
        add("appointments", _("Appointments"), f"{url}/@@rendez-vous")
        add("history", _("My actions in this vault"), f"{url}/@@vault-history")
        add(
            "propose",
            _("Propose another mandate"),
            f"{self.portal_url}/@@proposer-un-mandat?coffre={self.context.getId()}",
        )
        return found

    # --- history -------------------------------------------------------------------------

    def _history(self):
        entries = history.entries(self.context, actor=self.user_id)[-HISTORY_LINES:]
        return [
            {
                "when": local_time(entry.when),
                "when_iso": entry.when,
                "action": self.t(ACTION_LABELS.get(entry.action, entry.action)),
                "target": entry.target_title or "",
            }
            for entry in reversed(entries)
        ]


def _roles_key(found):
    """Roles as a key; a list (acquired from above) differs from a tuple (not acquired)."""
    if found is None:
        return None
    return (type(found).__name__, tuple(found) if not isinstance(found, str) else (found,))


def _iso_date(value):
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
