"""@@download and @@display-file of a paper: the original, traced, never cached.

Both need ``Download original`` (ZCML) and serve the ``file`` field only.
Each answer is a ``download`` history entry whose details say how it was
served (``attachment`` or ``inline``).  Byte ranges are not offered
(``Accept-Ranges: none``): one request, one whole file, one trace.
``@@display-file`` keeps plone.namedfile's rule: inline only for PDF and
images (what the deposit inspection lets through), as an attachment otherwise.
"""

from ccas.vault.browser.access import NO_STORE
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.encryption.blobs import stream
from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from plone.formwidget.namedfile.widget import Download as WidgetDownloadBase
from plone.namedfile.browser import DisplayFile
from plone.namedfile.browser import Download
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from zope.interface import alsoProvides
from zope.publisher.interfaces import NotFound


FIELD = "file"


class TracedDownloadMixin:
    view_name = "download"
    default_disposition = "attachment"

    def publishTraverse(self, request, name):
        if self.fieldname is None and name != FIELD:
            raise NotFound(self, name, request)
        return super().publishTraverse(request, name)

    def _getFile(self):
        self.fieldname = self.fieldname or FIELD
        return super()._getFile()

    def handle_request_range(self, file):
        return {}

    def __call__(self):
        file = self._getFile()
        self.set_headers(file)
        response = self.request.response
        response.setHeader("Accept-Ranges", "none")
        response.setHeader("Cache-Control", NO_STORE)
        response.setHeader("X-Content-Type-Options", "nosniff")
        header = response.getHeader("Content-Disposition")
        disposition = header.split(";")[0] if header else self.default_disposition
        alsoProvides(self.request, IDisableCSRFProtection)  # a trace written on a GET
        history.record(
            vault_of(self.context),
            "download",
            target=self.context,
            details={"view": self.view_name, "disposition": disposition},
        )
        return stream(file)  # the plaintext of an encrypted file, never its blob on disk


class VaultDownload(TracedDownloadMixin, Download):
    """The original as an attachment."""


class VaultDisplayFile(TracedDownloadMixin, DisplayFile):
    """The original inline (PDF, images) or as an attachment (ODT, DOCX)."""

    view_name = "display-file"
    default_disposition = "inline"


class NoImages(BrowserView):
    """``@@images`` of a paper: none (a paper has no image field; it would be an untraced route)."""

    def publishTraverse(self, request, name):
        raise NotFound(self, name, request)

    def __call__(self):
        raise NotFound(self, "images", self.request)


class WidgetDownload(WidgetDownloadBase):
    """``++widget++form.widgets.file/@@download`` of a paper: through the traced view.

    plone.formwidget.namedfile serves the bytes itself, without a trace; for
    a paper, answer with a redirect to ``@@download/file``, which checks
    ``Download original`` and writes the history.
    """

    def __call__(self):
        widget = self.context
        content = widget.form.getContent() if widget.form is not None else widget.context
        if not IVaultDocument.providedBy(content):
            return super().__call__()
        return self.request.response.redirect(f"{content.absolute_url()}/@@download/{FIELD}")
