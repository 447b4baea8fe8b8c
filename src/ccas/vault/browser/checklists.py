"""@@mes-demarches: for a procedure, which papers are ready, missing or too old.

On a vault or a space.  The owner sees the papers of the whole vault (or of
the space), a mandated agent with a consult-like role those of the shared
space only; anybody else is refused (:func:`ccas.vault.checklists.visible_spaces`).
The valid papers are shared or printed as one bundle through the sharing
views (``@@partager``, ``@@print-bundle``) with their ``uids``.
"""

from ccas.vault import _
from ccas.vault.browser.access import NO_STORE
from ccas.vault.checklists import bundle_urls
from ccas.vault.checklists import checklist_status
from ccas.vault.checklists import EXPIRED
from ccas.vault.checklists import get_checklist
from ccas.vault.checklists import item_text
from ccas.vault.checklists import list_checklists
from ccas.vault.checklists import MISSING
from ccas.vault.checklists import sees_whole_vault
from ccas.vault.checklists import TOO_OLD
from ccas.vault.checklists import VALID
from ccas.vault.checklists import visible_spaces
from ccas.vault.document_types import current_language
from ccas.vault.document_types import label
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zExceptions import NotFound


BADGES = {
    VALID: (_("Present"), "badge-valid", "✔"),
    MISSING: (_("Missing"), "badge-missing", "✘"),
    EXPIRED: (_("Expired"), "badge-expired", "⌛"),
    TOO_OLD: (_("Too old"), "badge-too-old", "⌛"),
}

HINTS = {
    MISSING: _("This paper is not in the vault. Add it."),
    EXPIRED: _("This paper is expired. Ask for a new one, then add it."),
    TOO_OLD: _("This paper is too old. Ask for a new one, then add it."),
}


def short_date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def procedure_summaries(context, lang, url_of):
    """One line per enabled checklist: its title, its page (``url_of(id)``), valid papers of all."""
    for checklist in list_checklists(lang=lang):
        status = checklist_status(context, checklist.id)
        yield {
            "id": checklist.id,
            "title": checklist.title(lang),
            "url": url_of(checklist.id),
            "valid": status.counts[VALID],
            "total": len(status.items),
            "complete": status.complete,
        }


def status_rows(status, request, lang, badges, hints, day):
    """The papers of one checklist status, with the page's ``badges``, ``hints`` and date format."""
    for item_status in status.items:
        badge, css, icon = badges[item_status.state]
        document = item_status.document
        yield {
            "label": item_text(item_status.item, request),
            "state": item_status.state,
            "badge": badge,
            "css": css,
            "icon": icon,
            "hint": hints.get(item_status.state),
            "document": document is not None
            and {
                "title": document.title or label(document.document_type, lang),
                "issued": day(document.issued),
                "valid_until": day(document.valid_until),
            },
        }


class MyProceduresView(BrowserView):
    """The list of procedures, or (``?demarche=<id>``) one procedure paper by paper."""

    template = ViewPageTemplateFile("templates/checklists.pt")

    def __call__(self):
        self.spaces = visible_spaces(self.context)  # Unauthorized for anybody else
        self.lang = current_language(self.request)
        checklist_id = self.request.form.get("demarche")
        self.status = None
        if checklist_id:
            checklist = get_checklist(str(checklist_id))
            if checklist is None or not checklist.enabled:
                raise NotFound(str(checklist_id))
            self.status = checklist_status(self.context, checklist.id)
            self.share_url, self.print_url = bundle_urls(self.context, self.status)
        self.request.response.setHeader("Cache-Control", NO_STORE)
        return self.template()

    @property
    def agent(self):
        """True for a mandated agent: they see the papers of the shared space only."""
        return not sees_whole_vault(self.context)

    def page_url(self, checklist_id=None):
        base = f"{self.context.absolute_url()}/@@mes-demarches"
        return f"{base}?demarche={checklist_id}" if checklist_id else base

    def procedures(self):
        return procedure_summaries(self.context, self.lang, self.page_url)

    def title(self):
        return self.status.checklist.title(self.lang)

    def rows(self):
        return status_rows(self.status, self.request, self.lang, BADGES, HINTS, short_date)
