"""Appointments stored on the vault: an annotation holding a BTree ``id -> PersistentMapping``.

Nothing about the appointment leaves the vault: closing the vault deletes it
with everything else.  ``start`` is kept as a UTC ISO text (sortable),
``created_at`` too; :func:`as_dict` gives it back as a Europe/Paris ``datetime``.

So that the nightly reminder job does not wake every vault, the vault
directory keeps a day index: Paris date (ISO) -> ids of the vaults with an
appointment that day.  It holds random vault ids and dates, nothing of the
person nor of the appointment.
"""

from Acquisition import aq_base
from Acquisition import aq_parent
from BTrees.OOBTree import OOBTree
from BTrees.OOBTree import OOTreeSet
from ccas.vault import clock
from datetime import datetime
from datetime import UTC
from persistent.mapping import PersistentMapping
from zope.annotation.interfaces import IAnnotations
import secrets


KEY = "ccas.vault.appointments"
DAY_INDEX = "_ccas_appointment_days"  # on the vault directory: ISO day -> vault ids
FIELDS = (
    "id",
    "start",
    "place",
    "purpose",
    "with_whom",
    "created_by",
    "created_at",
    "cancelled",
    "reminded",
)


def _tree(vault, create=False):
    annotations = IAnnotations(vault)
    tree = annotations.get(KEY)
    if tree is None and create:
        tree = annotations[KEY] = OOBTree()
    return tree


def utc_text(moment):
    return moment.astimezone(UTC).isoformat()


def as_dict(record):
    """A plain copy of a stored appointment, ``start`` and ``created_at`` as Paris datetimes."""
    item = {name: record.get(name) for name in FIELDS}
    item["start"] = datetime.fromisoformat(record["start"]).astimezone(clock.PARIS)
    item["created_at"] = datetime.fromisoformat(record["created_at"]).astimezone(clock.PARIS)
    return item


def store(vault, *, start, place, purpose, with_whom, created_by, created_at):
    """Store a new appointment; return its id."""
    tree = _tree(vault, create=True)
    while True:
        appointment_id = f"rdv-{secrets.token_hex(4)}"
        if appointment_id not in tree:
            break
    tree[appointment_id] = PersistentMapping(
        id=appointment_id,
        start=utc_text(start),
        place=place,
        purpose=purpose,
        with_whom=with_whom,
        created_by=created_by,
        created_at=utc_text(created_at),
        cancelled=False,
        reminded=False,
    )
    _index_day(vault, start)
    return appointment_id


def _index_day(vault, start):
    directory = aq_parent(vault)
    index = getattr(aq_base(directory), DAY_INDEX, None)
    if index is None:
        index = OOBTree()
        setattr(directory, DAY_INDEX, index)
    day = start.astimezone(clock.PARIS).date().isoformat()
    vault_ids = index.get(day)
    if vault_ids is None:
        vault_ids = index[day] = OOTreeSet()
    vault_ids.add(vault.getId())


def vaults_on(directory, day):
    """Ids of the vaults with an appointment on ``day`` (a date)."""
    index = getattr(aq_base(directory), DAY_INDEX, None)
    if index is None:
        return []
    return list(index.get(day.isoformat(), ()))


def forget_days_before(directory, day):
    """Drop the index entries of the days before ``day``."""
    index = getattr(aq_base(directory), DAY_INDEX, None)
    if index is None:
        return
    for key in list(index.keys(max=day.isoformat(), excludemax=True)):
        del index[key]


def records(vault):
    """The stored appointments (live records), soonest first."""
    tree = _tree(vault)
    if not tree:
        return []
    return sorted(tree.values(), key=lambda record: (record["start"], record["id"]))


def record_of(vault, appointment_id):
    tree = _tree(vault)
    if tree is None or not isinstance(appointment_id, str):
        return None
    return tree.get(appointment_id)
