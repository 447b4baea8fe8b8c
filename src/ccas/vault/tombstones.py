"""Anonymous tombstones of closed vaults, kept for the evaluation indicators.

When the clock deletes a closed vault, only a tombstone remains on the vault
directory: dates and counts.  It holds no name, login, vault or document id,
no title and no document type (a rare type could point at a person); the
structure is checked on write so nothing else can slip in.
"""

from BTrees.IOBTree import IOBTree
from ccas.vault.content.vault_document import ORIGINS
from datetime import date
from datetime import datetime


TOMBSTONES = "_ccas_tombstones"  # attribute of the VaultDirectory: IOBTree seq -> dict

DATE_FIELDS = ("opened", "consented", "closure_requested", "closed")
COUNT_FIELDS = ("documents", "certified")
FIELDS = (*DATE_FIELDS, *COUNT_FIELDS, "deposits_by_origin")


def _directory(directory):
    if directory is not None:
        return directory
    from ccas.vault.api.vaults import vault_directory

    return vault_directory()


def _check_date(name, value, required=True):
    if value is None and not required:
        return
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"tombstone field {name!r} must be a date, not {value!r}")


def _check_count(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"tombstone field {name!r} must be a count, not {value!r}")


def add_tombstone(
    *,
    opened,
    consented,
    closure_requested,
    closed,
    documents,
    certified,
    deposits_by_origin,
    directory=None,
):
    """Append the tombstone of a closed vault; return a copy of it.

    Dates are ``datetime.date`` (Europe/Paris days), ``consented`` may be
    ``None``; counts are non-negative ints; ``deposits_by_origin`` maps origins
    (``ORIGINS``) to counts.  Raises ``TypeError`` / ``ValueError`` otherwise.
    """
    for name, value in (
        ("opened", opened),
        ("closure_requested", closure_requested),
        ("closed", closed),
    ):
        _check_date(name, value)
    _check_date("consented", consented, required=False)
    _check_count("documents", documents)
    _check_count("certified", certified)
    unknown = set(deposits_by_origin) - set(ORIGINS)
    if unknown:
        raise ValueError(f"unknown origins in a tombstone: {sorted(unknown)}")
    for origin, count in deposits_by_origin.items():
        _check_count(f"deposits_by_origin[{origin!r}]", count)
    record = {
        "opened": opened,
        "consented": consented,
        "closure_requested": closure_requested,
        "closed": closed,
        "documents": documents,
        "certified": certified,
        "deposits_by_origin": {origin: deposits_by_origin.get(origin, 0) for origin in ORIGINS},
    }
    directory = _directory(directory)
    tree = getattr(directory, TOMBSTONES, None)
    if tree is None:
        tree = IOBTree()
        setattr(directory, TOMBSTONES, tree)
    seq = tree.maxKey() + 1 if len(tree) else 0
    tree[seq] = record
    return _copy(record)


def _copy(record):
    copy = dict(record)
    copy["deposits_by_origin"] = dict(record["deposits_by_origin"])
    return copy


def list_tombstones(directory=None):
    """Every tombstone, oldest first, as plain dicts (copies) for the indicators."""
    tree = getattr(_directory(directory), TOMBSTONES, None)
    return [_copy(record) for record in tree.values()] if tree is not None else []


def purgeable(retention_days, today=None, directory=None):
    """Keys of the tombstones closed more than ``retention_days`` days before ``today``.

    ``retention_days`` 0 (or ``None``) means "kept for ever": nothing is purgeable.
    """
    if not retention_days:
        return []
    from ccas.vault.clock import paris_now
    from datetime import timedelta

    today = today or paris_now().date()
    limit = today - timedelta(days=retention_days)
    try:
        tree = getattr(_directory(directory), TOMBSTONES, None)
    except KeyError:  # no vault directory (yet)
        return []
    if tree is None:
        return []
    return [seq for seq, record in tree.items() if record["closed"] < limit]


def purge_tombstones(retention_days, today=None, directory=None):
    """Delete the tombstones older than the retention (clock job, idempotent); return how many."""
    keys = purgeable(retention_days, today, directory)
    if keys:
        tree = getattr(_directory(directory), TOMBSTONES)
        for seq in keys:
            del tree[seq]
    return len(keys)
