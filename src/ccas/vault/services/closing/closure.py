"""``@vault-closure`` on a vault: POST asks to close it, GET tells when, DELETE cancels."""

from ccas.vault import permissions
from ccas.vault.api import closing
from ccas.vault.api.errors import VaultError
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import refused
from ccas.vault.services.base import VaultService
from plone import api


def status(vault):
    """What the owner's screen shows: state, request date, planned deletion (ISO, Paris)."""
    state = api.content.get_state(vault)
    requested = closing.closure_requested_at(vault) if state == "closing" else None
    due = closing.deletion_due(vault) if state == "closing" else None
    return {
        "@id": f"{vault.absolute_url()}/@vault-closure",
        "state": state,
        "closure_requested_at": requested.isoformat() if requested else None,
        "deletion_due": due.isoformat() if due else None,
        "export": f"{vault.absolute_url()}/@vault-export",
    }


class ClosureService(VaultService):
    """The owner only (``Request closure``); a refused state change is a 409."""

    required_permission = permissions.REQUEST_CLOSURE


class RequestClosure(ClosureService):
    """POST: ask to close the vault; 200 with its closure status."""

    def reply(self):
        disable_csrf(self.request)
        try:
            closing.request_closure(self.context)
        except VaultError as error:
            raise refused(error, status=409) from error
        return status(self.context)


class ClosureStatus(ClosureService):
    """GET: the vault's closure status."""

    def reply(self):
        return status(self.context)


class CancelClosure(ClosureService):
    """DELETE: keep the vault open; 200 with its closure status."""

    def reply(self):
        disable_csrf(self.request)
        try:
            closing.cancel_closure(self.context)
        except VaultError as error:
            raise refused(error, status=409) from error
        return status(self.context)
