"""Persistent storage of a history: records in a ``LOBTree`` keyed by sequence number."""

from BTrees.Length import Length
from BTrees.LOBTree import LOBTree
from dataclasses import dataclass
from persistent import Persistent
from plone.uuid.interfaces import IUUID
from types import MappingProxyType
from typing import NamedTuple
from zope.annotation.interfaces import IAnnotations
import hashlib
import json
import re


ANNOTATION_KEY = "ccas.vault.history"

#: Every action a history may record; anything else is refused.
ACTIONS = (
    "deposit",
    "view",
    "preview",
    "download",
    "print",
    "share",
    "unshare",
    "share_opened",
    "share_locked",
    "share_expired",
    "share_stopped",  # the vault stopped a link: its mandate ended, a paper replaced (0037)
    "certify",
    "certification_requested",
    "certification_rejected",
    "replace",
    "delete",
    "consent",
    "mandate_created",
    "mandate_signed",
    "mandate_revoked",
    "mandate_expired",
    "login",
    "public_identity_linked",
    "public_identity_unlinked",
    "open",
    "close_requested",
    "close_cancelled",
    "closed",
    "expired",
    "renewed",
    "account_help",
    # account recovery and reminders (ccas.vault.account): never a secret in the details
    "password_reset_started",
    "password_reset_completed",
    "password_changed",
    "account_locked",
    "recovery_options_changed",
    "reminder_sent",
    # appointments (ccas.vault.appointments)
    "appointment_added",
    "appointment_cancelled",
    "appointment_reminder_sent",
    "refused",  # a file refused at deposit (nothing kept)
    "access_refused",  # a page of the vault refused to a user (ccas.vault.refusals, 0037)
    "letter_parked",
    "letter_delivered",
    "letter_discarded",
    "pdf_signed",
    "pdf_signing_failed",
    "welcome_sheet_printed",
    # site configuration history (workflow policies, imports): on the portal
    "policy_applied",
    "policy_reverted",
    "policy_refused",
    "configuration_imported",
    # a document type's validity applied to the papers already stored (counts only)
    "validity_recomputed",
    # connectors (ccas.vault.connectors, decision 0051): consent, papers, failures
    "connector_consent",
    "connector_consent_revoked",
    "connector_delivery",
    "connector_failed",
)

#: Fields of a record, in display order; ``hash`` covers all the others.
FIELDS = (
    "seq",
    "when",
    "actor",
    "actor_fullname",
    "organisation",
    "roles",
    "on_behalf_of",
    "action",
    "target_uid",
    "target_title",
    "details",
    "prev_hash",
    "hash",
)

_TEXT_FIELDS = (
    "when",
    "actor",
    "actor_fullname",
    "organisation",
    "on_behalf_of",
    "target_uid",
    "target_title",
)

_GENESIS_PREFIX = "ccas.vault.history:"


class VerificationFailure(NamedTuple):
    """The first broken link of a history: its sequence number and why."""

    seq: int
    reason: str


@dataclass(frozen=True)
class Entry:
    """A read-only copy of one record."""

    seq: int
    when: str
    actor: str
    actor_fullname: str
    organisation: str
    roles: tuple
    on_behalf_of: str
    action: str
    target_uid: str
    target_title: str
    details: MappingProxyType
    prev_hash: str
    hash: str

    @classmethod
    def from_record(cls, record):
        values = dict(record)
        values["roles"] = tuple(values["roles"])
        values["details"] = MappingProxyType(dict(values["details"]))
        return cls(**values)

    def as_dict(self):
        """Plain, JSON-ready dict (roles as a list)."""
        values = {name: getattr(self, name) for name in FIELDS}
        values["roles"] = list(self.roles)
        values["details"] = dict(self.details)
        return values


def canonical_json(record):
    """UTF-8 bytes hashed for ``record``: every field but ``hash``, sorted keys, no whitespace."""
    fields = {key: value for key, value in record.items() if key != "hash"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def record_hash(record):
    return hashlib.sha256(canonical_json(record)).hexdigest()


def genesis_hash(uid):
    """``prev_hash`` of the first entry of the history of the object with this UID."""
    return hashlib.sha256((_GENESIS_PREFIX + uid).encode("utf-8")).hexdigest()


def _check_text(name, value):
    if not isinstance(value, str):
        raise TypeError(f"history field {name!r} must be a string, not {type(value).__name__}")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value):
    """``value`` with lone surrogates (not UTF-8, so not hashable) replaced by U+FFFD.

    The services refuse such text (decision 0038); a value that gets here anyway (a file
    name, a title set by code) is written readable instead of failing the whole request.
    """
    return _SURROGATE.sub("\ufffd", value)


class History(Persistent):
    """Append-only chain of records; see the package docstring for the design."""

    def __init__(self, genesis):
        self.genesis = genesis
        self._entries = LOBTree()
        self._length = Length()
        self._head = (0, genesis)  # anchor: number of entries, hash of the last one

    def __len__(self):
        return self._length()

    def __iter__(self):
        return (Entry.from_record(record) for record in self._entries.values())

    def __getitem__(self, seq):
        return Entry.from_record(self._entries[seq])

    @property
    def head(self):
        """``(count, last hash)``: what to keep outside the database to detect truncation."""
        return self._head

    def append(
        self,
        *,
        when,
        actor,
        actor_fullname,
        organisation,
        roles,
        on_behalf_of,
        action,
        target_uid,
        target_title,
        details,
    ):
        """Add a record at the end of the chain and return it as an :class:`Entry`."""
        if action not in ACTIONS:
            raise ValueError(f"unknown history action: {action!r}")
        texts = {
            "when": when,
            "actor": actor,
            "actor_fullname": actor_fullname,
            "organisation": organisation,
            "on_behalf_of": on_behalf_of,
            "target_uid": target_uid,
            "target_title": target_title,
        }
        for name in _TEXT_FIELDS:
            _check_text(name, texts[name])
            texts[name] = _encodable(texts[name])
        roles = tuple(sorted(set(roles)))
        for role in roles:
            _check_text("roles", role)
        roles = tuple(_encodable(role) for role in roles)
        details = dict(details or {})
        for key, value in details.items():
            _check_text("details key", key)
            _check_text(f"details[{key!r}]", value)
        details = {_encodable(key): _encodable(value) for key, value in details.items()}
        seq, prev_hash = self._head
        record = {
            "seq": seq,
            **texts,
            "roles": roles,
            "action": action,
            "details": details,
            "prev_hash": prev_hash,
        }
        record["hash"] = record_hash(record)
        if not self._entries.insert(seq, record):
            raise RuntimeError(f"history entry {seq} already exists: anchor and entries disagree")
        self._length.change(1)
        self._head = (seq + 1, record["hash"])
        return Entry.from_record(record)

    def check(self):
        """Return the first :class:`VerificationFailure` of the chain, or ``None``."""
        prev_hash = self.genesis
        expected = 0
        for seq, record in self._entries.items():
            if seq != expected:
                reason = "entry missing" if seq > expected else f"unexpected entry key {seq}"
                return VerificationFailure(expected, reason)
            failure = _check_record(seq, record, prev_hash)
            if failure:
                return VerificationFailure(seq, failure)
            prev_hash = record["hash"]
            expected += 1
        count, head_hash = self._head
        if count > expected:
            return VerificationFailure(expected, f"{count - expected} entries missing at the end")
        if count < expected:
            return VerificationFailure(count, "entry added without the history API")
        if head_hash != prev_hash:
            return VerificationFailure(max(count - 1, 0), "last entry does not match the anchor")
        if self._length() != count:
            return VerificationFailure(min(self._length(), count), "entry counter altered")
        return None


def _check_record(seq, record, prev_hash):
    """Reason why ``record`` does not fit at ``seq`` after ``prev_hash``, or ``None``."""
    if not isinstance(record, dict) or set(record) != set(FIELDS):
        return "malformed entry"
    if record["seq"] != seq:
        return f"sequence number altered (says {record['seq']!r})"
    try:
        digest = record_hash(record)
    except (TypeError, ValueError):
        return "malformed entry"
    if digest != record["hash"]:
        return "hash mismatch: entry altered"
    if record["prev_hash"] != prev_hash:
        return "previous hash mismatch: chain broken"
    if record["action"] not in ACTIONS:
        return "unknown action"
    return None


def object_uid(obj):
    return IUUID(obj, None)


def get_history(obj, create=False):
    """The history of ``obj``; ``None`` if it has none, unless ``create``."""
    annotations = IAnnotations(obj, None)
    if annotations is None:
        if create:
            raise TypeError(f"{obj!r} is not annotatable: it cannot have a history")
        return None
    history = annotations.get(ANNOTATION_KEY)
    if history is None and create:
        uid = object_uid(obj)
        if not uid:
            raise ValueError(f"{obj!r} has no UID: it cannot have a history")
        history = annotations[ANNOTATION_KEY] = History(genesis_hash(uid))
    return history
