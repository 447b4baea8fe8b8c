"""Record, read, verify and export the history of a vault."""

from ccas.vault.history.storage import ACTIONS
from ccas.vault.history.storage import Entry
from ccas.vault.history.storage import FIELDS
from ccas.vault.history.storage import genesis_hash
from ccas.vault.history.storage import get_history
from ccas.vault.history.storage import object_uid
from ccas.vault.history.storage import VerificationFailure
from datetime import datetime
from datetime import UTC
from plone import api
from zope.event import notify
from zope.interface import Attribute
from zope.interface import implementer
from zope.interface import Interface
import csv
import io
import json


__all__ = (
    "ACTIONS",
    "Entry",
    "VerificationFailure",
    "entries",
    "export_csv",
    "export_json",
    "record",
    "verify",
)

EXPORT_FORMAT = "ccas.vault.history/1"
HASH_RULE = (
    "hash = SHA-256 (hex) of the UTF-8 JSON of the entry without 'hash', keys sorted, "
    "no whitespace, non-ASCII characters kept; prev_hash = hash of the previous entry, "
    "or the genesis for entry 0"
)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class IHistoryRecorded(Interface):
    """An entry was appended to the history of ``object`` (the indicators count it)."""

    object = Attribute("The object whose history got the entry (a vault, the portal)")
    entry = Attribute("The new entry (an Entry)")
    target = Attribute("The content object the entry is about, or None")


@implementer(IHistoryRecorded)
class HistoryRecorded:
    def __init__(self, obj, entry, target=None):
        self.object = obj
        self.entry = entry
        self.target = target


def _now():
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _user_id(user):
    return user.getId() or user.getUserName()


def _actor(actor, context):
    """``(id, fullname, roles in context)`` of a user, a user id or the current user."""
    if actor is None:
        user = api.user.get_current()
    elif isinstance(actor, str):
        user = api.user.get(userid=actor)
        if user is None:  # a removed account or a service name: keep the id only
            return actor, "", ()
    else:
        user = actor
    get_property = getattr(user, "getProperty", None)
    fullname = (get_property("fullname", "") if get_property else "") or ""
    return _user_id(user), fullname, tuple(user.getRolesInContext(context))


def record(
    obj_with_history,
    action,
    actor=None,
    target=None,
    details=None,
    on_behalf_of="",
    organisation="",
):
    """Append an entry to the history of ``obj_with_history`` and return it.

    ``actor`` is a user, a user id or ``None`` for the current user; its roles
    are taken in the context of ``target`` (a content object) or, without one,
    of ``obj_with_history``.  ``details`` maps strings to strings.
    Raises ``ValueError`` for an action not in ``ACTIONS``.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown history action: {action!r}")
    context = obj_with_history if target is None else target
    actor_id, fullname, roles = _actor(actor, context)
    if target is None:
        target_uid = target_title = ""
    else:
        target_uid = object_uid(target) or ""
        title = getattr(target, "Title", None)
        target_title = (title() if callable(title) else getattr(target, "title", "")) or ""
    history = get_history(obj_with_history, create=True)
    entry = history.append(
        when=_now(),
        actor=actor_id,
        actor_fullname=fullname,
        organisation=organisation,
        roles=roles,
        on_behalf_of=on_behalf_of,
        action=action,
        target_uid=target_uid,
        target_title=target_title,
        details=details,
    )
    notify(HistoryRecorded(obj_with_history, entry, target))
    return entry


def entries(obj, actor=None):
    """All entries of the history of ``obj`` in order, or only those made by ``actor``.

    ``actor`` is a user or a user id: agents are shown only their own actions.
    """
    history = get_history(obj)
    if history is None:
        return []
    if actor is None:
        return list(history)
    actor_id = actor if isinstance(actor, str) else _user_id(actor)
    return [entry for entry in history if entry.actor == actor_id]


def verify(obj):
    """``None`` if the history of ``obj`` is intact, else its first :class:`VerificationFailure`."""
    history = get_history(obj)
    if history is None:
        return None
    uid = object_uid(obj)
    if not uid or history.genesis != genesis_hash(uid):
        return VerificationFailure(0, "history does not belong to this object")
    return history.check()


def _csv_cell(value):
    """Neutralise cells a spreadsheet would run as a formula (the JSON export stays exact)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def export_csv(obj):
    """The history as CSV, one row per entry; roles space-separated, details as JSON."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for entry in entries(obj):
        row = entry.as_dict()
        row["roles"] = " ".join(entry.roles)
        row["details"] = json.dumps(row["details"], sort_keys=True, ensure_ascii=False)
        writer.writerow([_csv_cell(row[name]) for name in FIELDS])
    return out.getvalue()


def export_json(obj):
    """The history as a JSON document with what is needed to re-check the chain offline."""
    uid = object_uid(obj) or ""
    failure = verify(obj)
    document = {
        "format": EXPORT_FORMAT,
        "object_uid": uid,
        "genesis": genesis_hash(uid) if uid else "",
        "hash_rule": HASH_RULE,
        "intact": failure is None,
        "failure": failure._asdict() if failure else None,
        "entries": [entry.as_dict() for entry in entries(obj)],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
