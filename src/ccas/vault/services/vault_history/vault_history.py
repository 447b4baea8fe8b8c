"""The history of a vault: all of it for the owner, their own actions for a mandated agent."""

from AccessControl import Unauthorized
from ccas.vault.browser.access import ALL
from ccas.vault.browser.access import history_scope
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.access import visible_entries
from ccas.vault.history import api as history
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import VaultService


FORMATS = ("csv", "json")
BAD_FORMAT = ("Use format=csv or format=json.", "Choisissez format=csv ou format=json.")
EXPORT_OWNER_ONLY = (
    "Only the person can export the whole history.",
    "Seule la personne peut exporter tout l'historique.",
)


class VaultHistoryGet(VaultService):
    """``{"items": [...], "intact": bool, "scope": "all" | "own"}``, or an export file.

    Exports (``?format=csv`` / ``?format=json``) hold the whole chain, which is
    needed to check it offline: they are the owner's only.  Reading the history
    is not itself traced.
    """

    def reply(self):
        scope = history_scope(self.context)
        if scope is None:
            raise Unauthorized("Reading this history is not allowed")
        export = self.request.form.get("format")
        if export:
            return self.export(export, scope)
        items = [entry.as_dict() for entry in visible_entries(self.context, scope)]
        return {
            "@id": f"{self.context.absolute_url()}/@vault-history",
            "items": items,
            "items_total": len(items),
            "intact": history.verify(self.context) is None,
            "scope": scope,
        }

    def export(self, export, scope):
        if export not in FORMATS:
            raise RequestError(400, "bad_format", *BAD_FORMAT, fields={"format": BAD_FORMAT})
        if scope != ALL:
            raise RequestError(403, "export_owner_only", *EXPORT_OWNER_ONLY)
        if export == "csv":
            body, content_type = history.export_csv(self.context), "text/csv; charset=utf-8"
        else:
            body, content_type = history.export_json(self.context), "application/json"
        filename = f"historique-{self.context.getId()}.{export}"
        response = self.request.response
        response.setHeader("Content-Type", content_type)
        response.setHeader("Content-Disposition", f'attachment; filename="{filename}"')
        response.setHeader("Cache-Control", NO_STORE)
        return body.encode("utf-8")
