"""A partner's papers parked for want of consent are delivered once the person consents."""

from ccas.vault.content.vault import IVault
from ccas.vault.letters import parking
from ccas.vault.partners import CONNECTOR


CONSENT_ACTION = "connector_consent"


def history_recorded(event):
    """``IHistoryRecorded``: the person consented to the partners' drop folder."""
    entry = event.entry
    if entry.action != CONSENT_ACTION or not IVault.providedBy(event.object):
        return
    if (entry.details or {}).get("connector") != CONNECTOR:
        return
    parking.deliver_parked(event.object)
