"""Public verification: was this file (or this SHA-256) certified, when, by whom?

The answer says nothing else about the vault or the person: no vault id,
no title, no person name, no document URL — only what the seal states
(date, certifier, organisation, document type) and whether it was replaced.
"""

from ccas.vault.certification import registry
from ccas.vault.certification.seal import check_seal
import hashlib
import re


SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class BadHash(ValueError):
    """Not a SHA-256 in hexadecimal."""


def normalise(sha256):
    if not isinstance(sha256, str) or not SHA256.match(sha256.strip()):
        raise BadHash(sha256)
    return sha256.strip().lower()


def _type_label(type_id):
    try:
        from ccas.vault.document_types import get_document_type

        info = get_document_type(type_id)
    except Exception:
        info = None
    return (info.label_fr if info is not None else "") or type_id


def _public(entry, sha256):
    check = check_seal(entry)
    payload = check.payload or {}
    return {
        "valid": check.valid,
        "reason": check.reason,
        "matches": "certified_file" if payload.get("sha256") == sha256 else "deposited_file",
        "certified_at": payload.get("certified_at", ""),
        "by_fullname": payload.get("by_fullname", ""),
        "organisation": payload.get("organisation", ""),
        "organisation_title": payload.get("organisation_title", ""),
        "document_type": payload.get("document_type", ""),
        "document_type_label": _type_label(payload.get("document_type", "")),
        "origin": payload.get("origin", ""),
        "superseded": bool(entry.get("superseded")),
        "superseded_at": entry.get("superseded_at", "") or "",
        "key_id": entry.get("key_id", ""),
    }


def verify_hash(sha256):
    """The public answer for ``sha256`` (raises :class:`BadHash` for garbage)."""
    sha256 = normalise(sha256)
    seals = [_public(entry, sha256) for entry in registry.lookup(sha256)]
    return {
        "sha256": sha256,
        "certified": any(seal["valid"] for seal in seals),
        "seals": seals,
    }


def verify_bytes(data: bytes):
    """The public answer for a file's bytes."""
    return verify_hash(hashlib.sha256(data).hexdigest())
