"""@parked-letters: agents list the GED letters waiting for a vault, and discard them."""

from ccas.vault import permissions
from ccas.vault.api.errors import VaultError
from ccas.vault.letters import parking
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import refused
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import text
from ccas.vault.services.base import TraversingService
from ccas.vault.services.base import VaultService


class ParkedLettersGet(VaultService):
    """``GET @parked-letters``: reference, person, type, date, reason — never the content."""

    required_permission = permissions.MANAGE_PARKED_LETTERS

    def reply(self):
        items = parking.list_parked()
        return {
            "@id": f"{self.context.absolute_url()}/@parked-letters",
            "items": items,
            "items_total": len(items),
        }


class ParkedLettersPost(TraversingService):
    """``POST @parked-letters/{ged_reference}/discard`` with ``{"reason": "..."}``."""

    required_permission = permissions.MANAGE_PARKED_LETTERS

    def reply(self):
        if len(self.params) != 2 or self.params[1] != "discard":
            raise RequestError(404, "not_found", "Unknown address.", "Adresse inconnue.")
        data = self.body()
        errors = {}
        reason = text(data if isinstance(data, dict) else {}, "reason", errors, required=True)
        if errors:
            raise invalid_fields(errors)
        disable_csrf(self.request)
        try:
            receipt = parking.discard(self.params[0], reason)
        except VaultError as error:
            raise refused(error, status=404 if error.code == "not_parked" else 400) from error
        return {
            "ged_reference": self.params[0],
            "status": "discarded",
            "discarded_at": receipt.discarded_at if receipt else None,
            "discard_reason": receipt.discard_reason if receipt else reason,
        }
