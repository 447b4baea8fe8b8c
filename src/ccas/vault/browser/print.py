"""@@print (one paper) and @@print-bundle (several papers of a vault or a space).

Both answer one PDF shown inline, for the browser's print button (photos
become A4 pages), and write a ``print`` history entry per paper.  Printing
needs ``Download original`` on each paper: the owner, or an agent with the
extract scope (shared space only).  Office documents cannot be printed here.
"""

from AccessControl import Unauthorized
from ccas.vault import permissions
from ccas.vault.browser.access import NO_STORE
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from ccas.vault.sharing.watermark import NotShareable
from ccas.vault.sharing.watermark import to_pdf
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from zExceptions import BadRequest
from zope.interface import alsoProvides


def print_response(request, documents, filename):
    """The PDF of ``documents`` (already checked), traced as ``print``."""
    try:
        data = to_pdf([(doc.file.data, doc.file.contentType) for doc in documents])
    except NotShareable as error:
        raise BadRequest("Only PDF files and photos can be printed here") from error
    alsoProvides(request, IDisableCSRFProtection)  # traces written on a GET
    for document in documents:
        details = {"bundle": str(len(documents))} if len(documents) > 1 else None
        history.record(vault_of(document), "print", target=document, details=details)
    response = request.response
    response.setHeader("Content-Type", "application/pdf")
    response.setHeader("Content-Disposition", f'inline; filename="{filename}"')
    response.setHeader("Content-Length", str(len(data)))
    response.setHeader("Cache-Control", NO_STORE)
    response.setHeader("X-Content-Type-Options", "nosniff")
    return data


class PrintView(BrowserView):
    """``@@print`` on a paper (``Download original``, checked in ZCML)."""

    def __call__(self):
        return print_response(self.request, [self.context], f"imprimer-{self.context.getId()}.pdf")


class PrintBundleView(BrowserView):
    """``@@print-bundle?uids=…&uids=…`` on a vault or a space: the papers chosen, one PDF."""

    def documents(self):
        uids = self.request.form.get("uids") or []
        if isinstance(uids, str):
            uids = [uids]
        catalog = api.portal.get_tool("portal_catalog")
        path = "/".join(self.context.getPhysicalPath())
        found = []
        for uid in dict.fromkeys(uids):
            brains = catalog.unrestrictedSearchResults(UID=uid, path=path)
            document = brains[0]._unrestrictedGetObject() if brains else None
            if document is None or not IVaultDocument.providedBy(document):
                raise Unauthorized("Not a paper of this vault")
            if not api.user.has_permission(permissions.DOWNLOAD_ORIGINAL, obj=document):
                raise Unauthorized(f"{permissions.DOWNLOAD_ORIGINAL!r} is needed")
            found.append(document)
        if not found:
            raise BadRequest("Choose at least one paper (uids)")
        return found

    def __call__(self):
        return print_response(self.request, self.documents(), "imprimer-papiers.pdf")
