"""The watermarked PNG preview of a paper; each preview is a ``preview`` history entry."""

from ccas.vault import permissions
from ccas.vault.browser.access import traced_preview
from ccas.vault.services.base import VaultService


class PreviewGet(VaultService):
    """PNG bytes (rendered by ``ccas.vault.browser.preview``)."""

    required_permission = permissions.VIEW_PREVIEW

    def reply(self):
        return traced_preview(self.context, self.request)
