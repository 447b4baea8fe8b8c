"""The idempotency store: one receipt per ``ged_reference``, in an ``OOBTree``.

A partner's letters are keyed ``partner~<organisation id>~<reference>``
(:mod:`ccas.vault.letters.sources`, decision 0055): the same store serves
every source, and no key of one source is the key of another.

The tree lives on the vault directory.  Two transactions (threads, ZEO
clients) inserting the same reference write the same bucket: ZODB cannot
resolve that conflict, one of them is retried and then finds the other's
receipt — so a reference is delivered once, whatever the concurrency.
A receipt holds the delivery status and dates, never the letter's content.
"""

from BTrees.OOBTree import OOBTree
from ccas.vault.api.vaults import vault_directory
from datetime import datetime
from datetime import UTC
from persistent import Persistent


RECEIPTS = "_ccas_ged_receipts"

DELIVERED = "delivered"
PARKED = "parked"
DISCARDED = "discarded"


def now_iso():
    return datetime.now(UTC).isoformat(timespec="seconds")


class Receipt(Persistent):
    """What the vault answers about one GED letter."""

    status = PARKED
    source = "ged"  # the letter source (ccas.vault.letters.sources): "ged", "partner:caf"…
    connector = ""
    received_sha256 = ""
    sha256 = ""
    received_at = None
    parked_at = None
    parked_reason = ""
    delivered_at = None
    vault_id = ""
    document_path = ""
    document_uid = ""
    discarded_at = None
    discarded_by = ""
    discard_reason = ""

    def __init__(self, reference, connector, received_sha256, sha256, source="ged"):
        self.reference = reference
        if source != "ged":
            self.source = source
        self.connector = connector
        self.received_sha256 = received_sha256
        self.sha256 = sha256
        self.received_at = now_iso()

    def status_info(self):
        """The delivery status told to the GED (``GET @ged-letters/{ref}``): no content."""
        info = {
            "ged_reference": self.reference,
            "status": self.status,
            "sha256": self.sha256,
            "received_at": self.received_at,
            "parked_at": self.parked_at,
            "delivered_at": self.delivered_at,
            "discarded_at": self.discarded_at,
        }
        if self.status == PARKED:
            info["reason"] = self.parked_reason
        if self.status == DISCARDED:
            info["discard_reason"] = self.discard_reason
        return info


def _store(create=True):
    directory = vault_directory()
    store = getattr(directory, RECEIPTS, None)
    if store is None and create:
        store = OOBTree()
        setattr(directory, RECEIPTS, store)
    return store


def get_receipt(reference):
    store = _store(create=False)
    return None if store is None else store.get(reference)


def add_receipt(receipt):
    """Insert ``receipt``; ``False`` when its reference already has one."""
    return bool(_store().insert(receipt.reference, receipt))


def all_receipts():
    store = _store(create=False)
    return [] if store is None else list(store.values())
