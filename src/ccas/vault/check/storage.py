"""Storage level: every record reachable from the root, its references and its blob.

From the root (oid 0), every record is loaded once, as of the storage's last
transaction (``loadBefore``: one consistent view of a live database), through
the storage's own API, so the walk works on a ``FileStorage`` (a backup), a
ZEO ``ClientStorage`` and RelStorage alike.  For each reference:

- the target has no record: a *dangling reference* (as ZODB's ``fsrefs``);
- ZODB writes the target's class into a persistent reference
  (``(oid, class)``): when the target's record is of another class, one object
  id was given to two objects (issue 18) — a *class mismatch*;

and each ``ZODB.blob.Blob`` record must have its file (``loadBlob``).

ZODB's :func:`ZODB.serialize.get_refs` reads a pickle without loading it
(``noload``), which drops the class of each reference; the records are read
here by :class:`_Unpickler`, the ZODB unpickler whose classes are stand-ins
(nothing is imported, nothing is built), and the class of a record by ZODB's
:func:`ZODB.utils.get_pickle_metadata`.  Unreachable records (garbage until
the next pack) are not looked at.
"""

from ccas.vault.check.report import Report
from collections import deque
from io import BytesIO
from ZODB._compat import Unpickler
from ZODB.POSException import POSKeyError
from ZODB.utils import get_pickle_metadata
from ZODB.utils import oid_repr
from ZODB.utils import p64
from ZODB.utils import u64
import functools
import importlib
import itertools
import logging


logger = logging.getLogger("ccas.vault.check")

BLOB_CLASS = ("ZODB.blob", "Blob")
_MISSING = "missing"
_UNREADABLE = "unreadable"
_GC_EVERY = 5000
#: Records asked for ahead of the walk from a storage that can (ZEO's ``prefetch``).
PREFETCH = 200


class _StandIn:
    """An instance of a class named in a pickle: accepts anything, keeps nothing."""

    def __init__(self, *args, **kw):
        pass

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, value):
        pass

    def extend(self, values):
        pass


@functools.lru_cache(maxsize=4096)
def _stand_in(module, name):
    return type(name, (_StandIn,), {"__module__": module, "_named": (module, name)})


class _Unpickler(Unpickler):
    """ZODB's unpickler; classes are stand-ins, persistent references are collected."""

    def __init__(self, data):
        super().__init__(BytesIO(data))
        self.refs = []

    def find_class(self, module, name):
        return _stand_in(module, name)

    def persistent_load(self, reference):
        if isinstance(reference, tuple) and len(reference) == 2:
            oid, klass = reference
            named = getattr(klass, "_named", None)
        elif isinstance(reference, (bytes, str)):
            oid, named = reference, None
        else:  # a weak or cross-database reference ([kind, args]): not followed
            return None
        if isinstance(oid, str):
            oid = oid.encode("latin-1")
        self.refs.append((oid, named))
        return None


def references(data):
    """``[(oid, (module, class) or None)]``: the persistent references of a record."""
    unpickler = _Unpickler(data)
    unpickler.load()  # the class
    unpickler.load()  # the state
    return unpickler.refs


@functools.lru_cache(maxsize=4096)
def _resolved(named):
    try:
        return getattr(importlib.import_module(named[0]), named[1])
    except Exception:
        return None


def same_class(named, actual):
    """Whether a reference naming ``named`` may lead to a record of class ``actual``."""
    if named is None or named == actual:
        return True
    resolved = _resolved(named)
    return resolved is not None and resolved is _resolved(actual)


def _dotted(named):
    return ".".join(named) if named else "?"


def _where(oid, named):
    return f"oid {oid_repr(p64(oid))} ({_dotted(named)})"


def check_storage(storage, report=None):
    """Walk ``storage`` from its root; add the problems to ``report`` (a new one by default)."""
    report = Report() if report is None else report
    last = storage.lastTransaction()
    before = p64(u64(last) + 1)
    classes = {}  # u64 oid -> (module, name), _MISSING or _UNREADABLE
    waiting = {0: []}  # u64 oid queued -> [(class named by a referrer, referrer u64 oid)]
    queue = deque([0])
    interned = {}
    records = 0

    def dangling(target, named, referrer):
        report.add(
            "dangling_reference",
            _where(referrer, classes.get(referrer)),
            f"references {oid_repr(p64(target))} ({_dotted(named)}), which has no record",
            f"référence {oid_repr(p64(target))} ({_dotted(named)}), absent de la base",
        )

    def mismatch(target, named, actual, referrer):
        report.add(
            "class_mismatch",
            _where(referrer, classes.get(referrer)),
            f"references {oid_repr(p64(target))} as {_dotted(named)}, "
            f"but its record is a {_dotted(actual)}",
            f"référence {oid_repr(p64(target))} comme {_dotted(named)}, "
            f"mais son enregistrement est un {_dotted(actual)}",
        )

    prefetch = getattr(storage, "prefetch", None)  # ZEO: ask for the next records at once
    prefetched = set()
    while queue:
        key = queue.popleft()
        if prefetch is not None and key not in prefetched:
            ahead = [p64(oid) for oid in itertools.islice(queue, PREFETCH)]
            prefetched = {key, *map(u64, ahead)}
            try:
                prefetch(ahead, before)
            except Exception:  # an optimisation only
                prefetch = None
        oid = p64(key)
        expected = waiting.pop(key)
        try:
            loaded = storage.loadBefore(oid, before)
        except POSKeyError:
            loaded = None
        except Exception as error:
            classes[key] = _UNREADABLE
            report.add(
                "unreadable_record",
                _where(key, None),
                f"cannot be loaded: {error.__class__.__name__}: {error}",
                f"ne peut être lu : {error.__class__.__name__} : {error}",
            )
            continue
        if loaded is None:
            classes[key] = _MISSING
            for named, referrer in expected:
                dangling(key, named, referrer)
            continue
        data, serial, _end = loaded
        records += 1
        actual = get_pickle_metadata(data)
        actual = interned.setdefault(actual, actual)
        classes[key] = actual
        for named, referrer in expected:
            if not same_class(named, actual):
                mismatch(key, named, actual, referrer)
        if actual == BLOB_CLASS:
            report.count("blob files")
            try:
                storage.loadBlob(oid, serial)
            except (POSKeyError, OSError) as error:
                report.add(
                    "blob_missing",
                    _where(key, actual),
                    f"its file is missing from the blob storage ({error.__class__.__name__})",
                    f"son fichier manque au stockage des fichiers ({error.__class__.__name__})",
                )
        try:
            refs = references(data)
        except Exception as error:
            report.add(
                "unreadable_record",
                _where(key, actual),
                f"its pickle cannot be read: {error.__class__.__name__}: {error}",
                f"son contenu ne peut être lu : {error.__class__.__name__} : {error}",
            )
            continue
        for target_oid, named in refs:
            target = u64(target_oid)
            known = classes.get(target)
            if known is None:
                if target in waiting:
                    waiting[target].append((named, key))
                else:
                    waiting[target] = [(named, key)]
                    queue.append(target)
            elif known is _MISSING:
                dangling(target, named, key)
            elif known is not _UNREADABLE and not same_class(named, known):
                mismatch(target, named, known, key)
        if records % _GC_EVERY == 0:
            logger.debug("storage walk: %s records", records)
    report.count("storage", records)
    return report
