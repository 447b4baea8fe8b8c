"""``/mon-coffre/dossiers`` and ``/mon-coffre/dossiers/<id>``: the papers a procedure asks for.

For each procedure (a checklist of :mod:`ccas.vault.checklists`): which papers
are ready, missing, out of date or too old.  The valid ones can be shared
(``/mon-coffre/partager?uids=…``) or printed together (``@@print-bundle``).
"""

from ccas.vault import _
from ccas.vault import permissions
from ccas.vault.browser.checklists import procedure_summaries
from ccas.vault.browser.checklists import status_rows
from ccas.vault.browser.public.owner_pages import OwnerPage
from ccas.vault.checklists import checklist_status
from ccas.vault.checklists import EXPIRED
from ccas.vault.checklists import get_checklist
from ccas.vault.checklists import MISSING
from ccas.vault.checklists import TOO_OLD
from ccas.vault.checklists import VALID
from ccas.vault.sharing.watermark import SHAREABLE
from plone import api
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from urllib.parse import urlencode
from zExceptions import NotFound


BADGES = {
    VALID: (_("Ready"), "state-active", "ok"),
    MISSING: (_("Missing"), "state-missing", "close"),
    EXPIRED: (_("Out of date"), "state-ended", "warn"),
    TOO_OLD: (_("Too old"), "state-ended", "warn"),
}

HINTS = {
    MISSING: _("This paper is not in your safe. Add it."),
    EXPIRED: _("This paper is out of date. Ask for a new one. Then add it."),
    TOO_OLD: _("This paper is too old. Ask for a new one. Then add it."),
}


class DossiersPage(OwnerPage):
    """``coffre-dossiers``: the list of procedures, or one of them (``dossiers/<id>``)."""

    section = "dossiers"
    template = ViewPageTemplateFile("templates/dossiers.pt")
    one_template = ViewPageTemplateFile("templates/dossier.pt")
    subpaths = ("*",)
    status = None

    def update(self):
        if not self.subpath:
            return None
        checklist = get_checklist(self.subpath[0])
        if checklist is None or not checklist.enabled:
            raise NotFound(self.subpath[0])
        self.status = checklist_status(self.vault, checklist.id)
        return self.render_other(self.one_template)

    def procedures(self):
        return procedure_summaries(self.vault, self.lang, lambda id_: self.url(f"dossiers/{id_}"))

    def title(self):
        return self.status.checklist.title(self.lang)

    def rows(self):
        return status_rows(self.status, self.request, self.lang, BADGES, HINTS, self._day)

    def _day(self, value):
        return self.day(value) if value else ""

    def _valid(self, permission):
        return [
            document
            for document in self.status.valid_documents
            if api.user.has_permission(permission, obj=document)
        ]

    def share_url(self):
        """The skin's share page with the valid papers ticked (PDF and photos only)."""
        uids = [
            document.UID()
            for document in self._valid(permissions.SHARE)
            if document.file is not None and document.file.contentType in SHAREABLE
        ]
        return self.url("partager", uids=uids) if uids else None

    def print_url(self):
        uids = [
            document.UID()
            for document in self._valid(permissions.DOWNLOAD_ORIGINAL)
            if document.file is not None and document.file.contentType in SHAREABLE
        ]
        if not uids:
            return None
        return f"{self.vault.absolute_url()}/@@print-bundle?{urlencode({'uids': uids}, doseq=True)}"
