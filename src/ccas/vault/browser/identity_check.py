"""@@identity-check: the person's identity papers, for mail pick-up at the reception.

For an agent holding the consult scope through a mandate in force (checked on
the roster); anybody else is refused.  Each visit is traced (a ``view`` entry
with ``what: identity_check``), and every preview it shows is traced too.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from ccas.vault import permissions
from ccas.vault.api.accompaniments import holds_scope_in_force
from ccas.vault.browser.access import NO_STORE
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import label
from ccas.vault.history import api as history
from ccas.vault.scopes import CONSULT
from ccas.vault.security import as_system
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.interface import alsoProvides


IDENTITY = "identity"
SHOWN_STATES = ("deposited", "certified")


def is_identity_paper(document):
    info = get_document_type(document.document_type or "")
    return info is not None and info.category == IDENTITY


class IdentityCheckView(BrowserView):
    """One screen: the person's name and the watermarked previews of their identity papers."""

    template = ViewPageTemplateFile("templates/identity_check.pt")

    def __call__(self):
        if not holds_scope_in_force(self.context, CONSULT):
            raise Unauthorized("The consult scope, in force, is needed")
        with as_system():
            self.person = f"{self.context.first_name} {self.context.last_name}".strip()
            shared = self.context.get(SHARED_SPACE_ID)
            documents = list(shared.objectValues()) if shared is not None else []
        checker = getSecurityManager()
        self.papers = [
            {
                "title": document.Title() or label(document.document_type),
                "type": label(document.document_type),
                "preview_url": f"{document.absolute_url()}/@@preview",
            }
            for document in documents
            if IVaultDocument.providedBy(document)
            and is_identity_paper(document)
            and api.content.get_state(document) in SHOWN_STATES
            and checker.checkPermission(permissions.VIEW_PREVIEW, document)
        ]
        alsoProvides(self.request, IDisableCSRFProtection)
        history.record(self.context, "view", details={"what": "identity_check"})
        self.request.response.setHeader("Cache-Control", NO_STORE)
        return self.template()
