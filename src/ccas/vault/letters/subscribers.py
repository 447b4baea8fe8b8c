"""Parked letters follow their vault: indexed GED ids, delivery once the vault may receive them."""

from ccas.vault.letters import parking
from ccas.vault.letters import persons
from ccas.vault.setuphandlers.install import VAULT_DIRECTORY_ID
from plone import api


def _directory_present():
    try:
        return api.portal.get().get(VAULT_DIRECTORY_ID) is not None
    except api.exc.CannotGetPortalError:
        return False


def vault_changed(vault, event=None):
    """A vault was added, edited or consented: reindex its GED ids, deliver what waits for it."""
    if not _directory_present():
        return
    persons.index_vault(vault)
    parking.deliver_parked(vault)


def vault_transitioned(vault, event):
    """A vault back to *open* (a closure cancelled) may receive its parked letters.

    The first consent is handled by ``ConsentRecorded``, fired once the consent
    is written in the history (so deliveries come after it there).
    """
    transition = getattr(event, "transition", None)
    if transition is None or transition.getId() == "consent" or event.new_state.getId() != "open":
        return
    vault_changed(vault)


def vault_removed(vault, event):
    if event.oldParent is None or not _directory_present():
        return
    persons.unindex_vault(vault.getId())
