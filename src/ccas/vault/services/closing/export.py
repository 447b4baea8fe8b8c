"""``@vault-export`` on a vault: the zip of every paper, the index and the history."""

from ccas.vault import permissions
from ccas.vault.export import build_export
from ccas.vault.export import export_filename
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import VaultService


class VaultExport(VaultService):
    """GET: the export as a zip attachment (never cached: see ``VaultService``)."""

    required_permission = permissions.DOWNLOAD_ORIGINAL

    def reply(self):
        disable_csrf(self.request)  # a GET that writes: the ``download`` history entry
        data = build_export(self.context)  # the owner only, checked again there
        response = self.request.response
        response.setHeader("Content-Type", "application/zip")
        response.setHeader("Content-Disposition", f'attachment; filename="{export_filename()}"')
        response.setHeader("Content-Length", str(len(data)))
        response.setHeader("X-Content-Type-Options", "nosniff")
        return data
