"""The CCAS seal: a signed statement of which bytes were certified, by whom, when.

The payload is canonical JSON (keys sorted, no whitespace, UTF-8); the
signature is Ed25519 over exactly those bytes, with the key named by
``key_id`` (see :mod:`ccas.vault.certification.keys`).  A seal carries no
data about the beneficiary: no vault, no title, no name, no URL.
"""

from ccas.vault.certification import keys
from cryptography.exceptions import InvalidSignature
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
import base64
import binascii
import json


VERSION = 1
#: Keys of the payload (``deposited_sha256`` only when the stored bytes differ).
PAYLOAD_KEYS = (
    "version",
    "sha256",
    "deposited_sha256",
    "document_type",
    "certified_at",
    "by",
    "by_fullname",
    "organisation",
    "organisation_title",
    "origin",
)
#: Only in the seals of a four-eyes certification: who asked (``by`` validated).
REQUEST_KEYS = ("requested_by", "requested_by_fullname", "requested_at")


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def now_iso():
    return datetime.now(UTC).isoformat(timespec="seconds")


def make_seal(
    *,
    sha256,
    document_type,
    by,
    by_fullname="",
    organisation="",
    organisation_title="",
    origin="",
    deposited_sha256=None,
    certified_at=None,
    directory=None,
    **request,
):
    """Sign a new seal with the current key; return ``{"payload", "signature", "key_id"}``.

    ``payload`` is the canonical JSON text that was signed.
    """
    payload = {
        "version": VERSION,
        "sha256": sha256,
        "deposited_sha256": deposited_sha256 or sha256,
        "document_type": document_type or "",
        "certified_at": certified_at or now_iso(),
        "by": by or "",
        "by_fullname": by_fullname or "",
        "organisation": organisation or "",
        "organisation_title": organisation_title or "",
        "origin": origin or "",
    }
    unknown = set(request) - set(REQUEST_KEYS)
    if unknown:
        raise TypeError(f"Unknown seal fields: {sorted(unknown)}")
    payload.update({key: value or "" for key, value in request.items()})
    key_id = keys.ensure_key(directory)
    data = canonical(payload)
    signature = keys.private_key(key_id, directory).sign(data)
    return {
        "payload": data.decode("utf-8"),
        "signature": base64.b64encode(signature).decode("ascii"),
        "key_id": key_id,
    }


@dataclass(frozen=True)
class SealCheck:
    """The outcome of :func:`check_seal`."""

    valid: bool
    reason: str  # "ok", "bad_signature", "unknown_key", "malformed"
    payload: dict | None


def check_seal(seal, directory=None) -> SealCheck:
    """Verify the signature of ``seal`` (a mapping with payload, signature, key_id)."""
    try:
        text = seal["payload"]
        signature = base64.b64decode(seal["signature"], validate=True)
        payload = json.loads(text)
        key_id = seal["key_id"]
    except (KeyError, TypeError, ValueError, binascii.Error):
        return SealCheck(False, "malformed", None)
    if not isinstance(payload, dict):
        return SealCheck(False, "malformed", None)
    try:
        public = keys.public_key(key_id, directory)
    except keys.MissingKey:
        return SealCheck(False, "unknown_key", payload)
    try:
        public.verify(signature, text.encode("utf-8"))
    except InvalidSignature:
        return SealCheck(False, "bad_signature", payload)
    return SealCheck(True, "ok", payload)
