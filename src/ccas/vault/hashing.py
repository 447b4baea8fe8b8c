"""Salted scrypt hashes of short secrets (access codes, reset codes, recovery answers)."""

import hashlib
import hmac
import secrets


SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def scrypt_hash(text, salt=None):
    """``scrypt$<salt hex>$<digest hex>`` of ``text`` (a new random salt unless given)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(text.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def scrypt_matches(text, stored):
    """Whether ``text`` hashes to ``stored`` (constant-time; ``False`` for a malformed hash)."""
    try:
        _scheme, salt, digest = stored.split("$")
        expected = scrypt_hash(text, bytes.fromhex(salt)).split("$")[2]
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(expected, digest)
