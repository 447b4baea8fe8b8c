"""Parked letters: GED letters that cannot be delivered yet, kept (file and metadata) until
the vault opens and consents, or an agent discards them with a reason.

The store is an ``OOBTree`` (reference -> :class:`ParkedLetter`) on the vault
directory, with an index person key -> references.  Agents with ``Manage
parked letters`` see the metadata only, never the file: it is a person's
letter and they hold no mandate.  Parking, delivery and discarding are traced
in the vault directory's history (the site-level trace).
"""

from BTrees.OOBTree import OOBTree
from BTrees.OOBTree import OOTreeSet
from ccas.vault import permissions
from ccas.vault.api.errors import VaultError
from ccas.vault.api.vaults import vault_directory
from ccas.vault.encryption.blobs import encrypted_file
from ccas.vault.encryption.keys import parking_key_id
from ccas.vault.history import api as history
from ccas.vault.letters import persons
from ccas.vault.letters import receipts
from ccas.vault.security import check_permission
from persistent import Persistent
from plone import api
import logging
import transaction


logger = logging.getLogger("ccas.vault.letters")

PARKED = "_ccas_parked_letters"  # reference -> ParkedLetter
PARKED_BY_PERSON = "_ccas_parked_by_person"  # person key -> set of references


class ParkedLetter(Persistent):
    """A letter waiting for its vault: metadata, and the file as a blob."""

    source = "ged"  # the letter source (ccas.vault.letters.sources)

    def __init__(self, letter, reason, connector, source="ged"):
        self.ged_reference = letter.ged_reference
        self.person_kind = letter.person_kind
        self.person_id = letter.person_id
        self.document_type = letter.document_type
        self.title = letter.title
        self.issued = letter.issued
        self.valid_until = letter.valid_until
        self.file = encrypted_file(
            letter.data, letter.content_type, letter.filename, key_id=parking_key_id()
        )
        self.sha256 = letter.sha256
        self.reason = reason
        self.connector = connector
        if source != "ged":
            self.source = source
        self.parked_at = receipts.now_iso()

    @property
    def person_key(self):
        return persons.person_key(self.person_kind, self.person_id)

    def info(self):
        """What agents see: never the file, nor its title (it may say what the letter is about)."""
        info = {
            "ged_reference": self.ged_reference,
            "person": {"vault" if self.person_kind == "vault" else "ged_person_id": self.person_id},
            "document_type": self.document_type,
            "issued": self.issued.isoformat() if self.issued else None,
            "parked_at": self.parked_at,
            "reason": self.reason,
        }
        if self.source != "ged":  # a partner's paper (decision 0055)
            info["source"] = self.source
        return info


def _stores(create=True):
    directory = vault_directory()
    store = getattr(directory, PARKED, None)
    by_person = getattr(directory, PARKED_BY_PERSON, None)
    if (store is None or by_person is None) and create:
        store, by_person = OOBTree(), OOBTree()
        setattr(directory, PARKED, store)
        setattr(directory, PARKED_BY_PERSON, by_person)
    return store, by_person


_USERS = object()  # key of the per-transaction cache of user objects


def user_of(user_id):
    """The user object of ``user_id`` (the id itself when there is none), looked up once per
    transaction: a batch names the same connector a hundred times in the histories."""
    txn = transaction.get()
    try:
        users = txn.data(_USERS)
    except KeyError:
        users = {}
        txn.set_data(_USERS, users)
    if user_id not in users:
        users[user_id] = api.user.get(userid=user_id) or user_id
    return users[user_id]


def trace(action, details, actor=None):
    """A line of the site-level trace (the vault directory's history)."""
    if isinstance(actor, str) and actor:
        actor = user_of(actor)
    history.record(vault_directory(), action, actor=actor, details=details)


def park(letter, reason, receipt):
    """Keep ``letter`` until it can be delivered; the receipt says *parked*."""
    store, by_person = _stores()
    parked = ParkedLetter(letter, reason, receipt.connector, receipt.source)
    store[letter.ged_reference] = parked
    by_person.setdefault(parked.person_key, OOTreeSet()).insert(letter.ged_reference)
    receipt.status = receipts.PARKED
    receipt.parked_at = parked.parked_at
    receipt.parked_reason = reason
    details = {"ged_reference": letter.ged_reference, "person": parked.person_key, "reason": reason}
    if parked.source != "ged":
        details["source"] = parked.source
    trace("letter_parked", details, actor=receipt.connector)
    return parked


def _unpark(reference):
    store, by_person = _stores()
    parked = store.pop(reference)
    refs = by_person.get(parked.person_key)
    if refs is not None and reference in refs:
        refs.remove(reference)
        if not refs:
            del by_person[parked.person_key]
    return parked


def get_parked(reference):
    store, _by_person = _stores(create=False)
    return None if store is None else store.get(reference)


CCAS_KIND = "ccas"  # the organisation kind of the CCAS itself (ccas.vault.organisations)


def may_manage_parked():
    """Whether the current user may list and discard parked letters (decision 0037).

    ``Manage parked letters`` goes to ``VaultAgent`` and ``RecordsManager``, but
    ``VaultAgent`` is also the role of partner agents (the CAF's): only the
    CCAS's own agents (the group of an enabled organisation of kind ``ccas``)
    and records managers manage the CCAS's letters.
    """
    from AccessControl import getSecurityManager
    from ccas.vault import roles
    from ccas.vault.organisations import organisation_of

    portal = api.portal.get()
    checker = getSecurityManager()
    if not checker.checkPermission(permissions.MANAGE_PARKED_LETTERS, portal):
        return False
    user = checker.getUser()
    if roles.RECORDS_MANAGER in user.getRolesInContext(portal):
        return True
    organisation = organisation_of(user.getUserName())
    return organisation is not None and organisation.kind == CCAS_KIND


def check_may_manage_parked():
    from AccessControl import Unauthorized

    check_permission(permissions.MANAGE_PARKED_LETTERS, api.portal.get())
    if not may_manage_parked():
        raise Unauthorized("Only the CCAS's agents and records managers manage its letters")


def list_parked():
    """Every parked letter's metadata, oldest first (CCAS agents, records managers)."""
    check_may_manage_parked()
    store, _by_person = _stores(create=False)
    letters = [] if store is None else [parked.info() for parked in store.values()]
    return sorted(letters, key=lambda item: (item["parked_at"], item["ged_reference"]))


def deliver_parked(vault):
    """Deliver the letters parked for ``vault`` if it may receive them now; return how many.

    Called when the vault is created, edited or consents.  Letters that still
    cannot be delivered get their reason brought up to date.
    """
    from ccas.vault.letters.delivery import deliver

    store, by_person = _stores(create=False)
    if not store:
        return 0
    references = set()
    for key in persons.person_keys_of(vault):
        references.update(by_person.get(key, ()))
    delivered = 0
    for reference in sorted(references, key=lambda ref: store[ref].parked_at):
        parked = store[reference]
        target, reason = persons.resolve(parked.person_kind, parked.person_id, parked.source)
        receipt = receipts.get_receipt(reference)
        if reason is not None or target is None or target.getId() != vault.getId():
            if reason and reason != parked.reason:
                parked.reason = reason
                if receipt is not None:
                    receipt.parked_reason = reason
            continue
        try:
            deliver(vault, parked, receipt, data=parked.file.data)
        except VaultError as error:  # e.g. a document type disabled since: stays parked
            logger.warning("Parked letter %s not delivered: %s", reference, error)
            continue
        _unpark(reference)
        delivered += 1
    return delivered


def discard(reference, reason):
    """An agent gives up a parked letter, with a reason: its file is dropped, the fact traced."""
    check_may_manage_parked()
    reason = (reason or "").strip()
    if not reason:
        raise VaultError(
            "A reason is needed",
            "Indiquez pourquoi ce courrier est abandonné.",
            code="reason_missing",
        )
    if get_parked(reference) is None:
        raise VaultError(
            "No parked letter with this reference",
            "Aucun courrier en attente ne porte cette référence.",
            code="not_parked",
        )
    parked = _unpark(reference)
    receipt = receipts.get_receipt(reference)
    if receipt is not None:
        receipt.status = receipts.DISCARDED
        receipt.discarded_at = receipts.now_iso()
        receipt.discarded_by = api.user.get_current().getId()
        receipt.discard_reason = reason[:1000]
    trace(
        "letter_discarded",
        {"ged_reference": reference, "person": parked.person_key, "reason": reason[:1000]},
    )
    return receipt
