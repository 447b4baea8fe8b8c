"""``/mon-coffre/partager`` (make a link) and ``/mon-coffre/partages`` (see the links, stop one).

The sharing API (:mod:`ccas.vault.sharing.links`) does the work and checks the
rights; these pages only ask, in plain words, and show the answer.  The link
and its code are shown once, big, with a copy button; they are never stored.
"""

from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.public.owner_pages import OwnerPage
from ccas.vault.browser.sharing import _shareable_papers
from ccas.vault.content.spaces import PRIVATE_SPACE_ID
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.document_types import label as type_label
from ccas.vault.services.share_links.share_links import documents_by_uid
from ccas.vault.services.share_links.share_links import share_url
from ccas.vault.sharing import links
from plone import api
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
import re


_PAPER_ID = re.compile(r" \([^()]*\)$")  # "Bulletin (d-1a2b3c)" -> "Bulletin"

DURATION_CHOICES = (
    ("3h", _("3 hours")),
    ("1d", _("1 day")),
    ("7d", _("7 days")),
    ("1m", _("1 month")),
    ("revoked", _("Until I stop it")),
)

#: the sharing API's error codes -> (field, message for the person)
ERRORS = {
    "no_document": ("papers", _("Tick at least one paper.")),
    "too_many_documents": ("papers", _("Tick 20 papers at most.")),
    "unknown_document": ("papers", _("One of the papers is not in your safe. Tick another one.")),
    "superseded": ("papers", _("One of the papers has a newer version. Tick the new one.")),
    "not_shareable": (
        "papers",
        _("Only PDF files and photos can be shared. Tick another paper."),
    ),
    "no_recipient": (
        "recipient",
        _("Write who gets the link. For example: CAF de Démoville."),
    ),
    "recipient_too_long": ("recipient", _("The name is too long. Write a shorter name.")),
    "bad_duration": ("duration", _("Choose how long the link works.")),
    "duration_not_offered": ("duration", _("Choose another duration in the list.")),
    "vault_not_open": ("form", _("Your safe is being closed. You cannot share any more.")),
}

STATES = {
    "active": (_("Works"), "state-active", "ok"),
    "expired": (_("Ended"), "state-ended", "history"),
    "revoked": (_("Stopped"), "state-stopped", "close"),
}


#: why the safe stopped a link (decision 0037), shown under its state
STOP_REASONS = {
    "mandate_ended": _("Stopped because the mandate of the agent who made it has ended."),
    "replaced": _("Stopped because a paper was replaced by a newer version."),
}


class SharePage(OwnerPage):
    """``coffre-partager``: tick papers, name the recipient, choose a duration, maybe a code.

    Also a relative's page when they help with the safe with the share scope
    (decision 0049): the papers offered and the link are then decided by the
    same permission as for agents (``Share document``, the shared space only).
    """

    helpers_welcome = True

    section = "partages"
    template = ViewPageTemplateFile("templates/partager.pt")
    result_template = ViewPageTemplateFile("templates/partager_fait.pt")
    link = token = code = None

    def durations(self):
        """The durations the CCAS offers (workflow policy ``sharing-rules``)."""
        from ccas.vault.policies.sharing import sharing_rules

        offered = sharing_rules()["durations"]
        return [
            {"value": value, "label": label, "id": f"duration-{value}"}
            for value, label in DURATION_CHOICES
            if value in offered
        ]

    @property
    def code_required(self):
        from ccas.vault.policies.sharing import sharing_rules

        return bool(sharing_rules()["code_required"])

    closed_message = ERRORS["vault_not_open"][1]

    @property
    def vault_open(self):
        return api.content.get_state(self.vault) == "open"

    def chosen_uids(self):
        chosen = self.request.form.get("uids") or []
        return chosen if isinstance(chosen, list) else [chosen]

    def papers(self):
        """Every paper the owner may share (uid, title, kind, private, checked)."""
        chosen = set(self.chosen_uids())
        papers = []
        for space_id in (SHARED_SPACE_ID, PRIVATE_SPACE_ID):
            space = self.vault.get(space_id)
            if space is None:
                continue
            for document in _shareable_papers(space):
                if not api.user.has_permission("ccas.vault: Share document", obj=document):
                    continue
                uid = document.UID()
                papers.append(
                    {
                        "uid": uid,
                        "id": f"paper-{uid}",
                        "title": document.Title() or type_label(document.document_type, self.lang),
                        "kind": type_label(document.document_type, self.lang),
                        "private": space_id == PRIVATE_SPACE_ID,
                        "checked": uid in chosen,
                    }
                )
        return papers

    def chosen_duration(self):
        return self.request.form.get("duration") or "7d"

    def update(self):
        form = self.request.form
        if not form.get("form.submitted"):
            return None
        self.check_post()
        if not self.vault_open:
            self.add_error("form", ERRORS["vault_not_open"][1])
            return None
        recipient = (form.get("recipient") or "").strip()
        uids = [uid for uid in self.chosen_uids() if uid]
        # Every empty field at once, each with its own sentence.
        if not uids:
            self.add_error("papers", ERRORS["no_document"][1])
        if not recipient:
            self.add_error("recipient", ERRORS["no_recipient"][1])
        if form.get("duration") not in {d["value"] for d in self.durations()}:
            self.add_error("duration", ERRORS["bad_duration"][1])
        if self.errors:
            return None
        try:
            documents = documents_by_uid(self.vault, uids)
            self.link, self.token, self.code = links.create_link(
                self.vault,
                documents,
                recipient,
                form.get("duration"),
                with_code=bool(form.get("with_code")),
            )
        except VaultError as refusal:
            field, message = ERRORS.get(refusal.code, ("form", None))
            self.add_error(field, message if message is not None else refusal.message_fr)
            return None
        except Unauthorized:
            self.add_error("papers", ERRORS["unknown_document"][1])
            return None
        return self.render_other(self.result_template)

    def link_url(self):
        return share_url(self.token)

    def expires(self):
        return self.moment(self.link.expires) if self.link.expires else None

    def documents(self):
        return [doc.Title() for doc in links.documents_of(self.link)]


class SharesPage(OwnerPage):
    """``coffre-partages``: every link of the person, its openings, a "Stop" button."""

    section = "partages"
    template = ViewPageTemplateFile("templates/partages.pt")

    def items(self):
        found = links.visible_links(self.vault) or []
        items = []
        for link in sorted(found, key=lambda link: link.created_at or "", reverse=True):
            info = links.link_info(link)
            state = info["review_state"]
            state_label, css, icon = STATES.get(state, STATES["expired"])
            items.append(
                {
                    "id": info["id"],
                    "recipient": info["recipient"],
                    "papers": [doc["title"] for doc in info["documents"]],
                    "active": state == "active",
                    "state": state,
                    "state_label": state_label,
                    "state_css": css,
                    "state_icon": icon,
                    "stop_reason": STOP_REASONS.get(info["ended_why"] or ""),
                    "created": self.moment(info["created"]),
                    "expires": self.moment(info["expires"]) if info["expires"] else None,
                    "with_code": info["with_code"],
                    "openings": [
                        {
                            "when": self.moment(opening["when"]),
                            "what": [_PAPER_ID.sub("", what) for what in opening["what"]],
                        }
                        for opening in reversed(info["openings"])
                    ],
                }
            )
        return items

    def done(self):
        """The message after an action (``?fait=arrete``)."""
        if self.request.form.get("fait") == "arrete":
            return self.translate(_("The link is stopped. It does not work any more."))
        return None

    def update(self):
        form = self.request.form
        if not form.get("revoke"):
            return None
        self.check_post()
        link = self.vault.get(str(form.get("link", "")))
        if link is None or not links.IShareLink.providedBy(link):
            self.add_error("form", _("This link does not exist any more."))
            return None
        try:
            links.revoke(link)
        except VaultError:
            self.add_error("form", _("This link is already stopped."))
            return None
        return self.redirect("partages", fait="arrete")
