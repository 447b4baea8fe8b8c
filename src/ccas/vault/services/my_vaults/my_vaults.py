"""The vaults where the current agent holds a mandate in force (``?q=`` filters them)."""

from ccas.vault import permissions
from ccas.vault.api import accompaniments
from ccas.vault.services.base import VaultService


class MyVaultsGet(VaultService):
    """``{"items": [...], "items_total": n}``: 401 anonymous, 403 for non-agents."""

    required_permission = permissions.FIND_VAULT

    def reply(self):
        query = self.request.form.get("q", "")
        if not isinstance(query, str):
            query = ""
        items = accompaniments.my_vaults(query)
        return {"items": items, "items_total": len(items)}
