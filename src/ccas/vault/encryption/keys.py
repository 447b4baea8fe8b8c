"""The master key (outside the ZODB) and the per-vault data keys (wrapped, in the ZODB).

Master key: 32 random bytes, from ``$CCAS_VAULT_MASTER_KEY`` (base64) when set, else
from the key directory of the seal keys (``certification.keys.key_directory()``)::

    master-current        the id of the current master key
    master-<id>.key       the master key, base64 (mode 0600)

``id`` is the first 16 hex characters of a SHA-256 of the key.  Data keys: 32
random bytes per vault (and one site-level key, ``parking``, for parked GED
letters), wrapped with AES-256-GCM under the master key (the key id is the
associated data) and kept in the site's annotations as
``key id -> (master id, nonce + wrapped key)``.  A stolen ``Data.fs`` holds
only wrapped keys; without the master key they open nothing.
"""

from BTrees.OOBTree import OOBTree
from ccas.vault.certification.keys import _cached
from ccas.vault.certification.keys import _write
from ccas.vault.certification.keys import key_directory
from ccas.vault.encryption.errors import DataKeyMissing
from ccas.vault.encryption.errors import MasterKeyMissing
from ccas.vault.encryption.errors import Undecipherable
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pathlib import Path
from zope.annotation.interfaces import IAnnotations
import base64
import binascii
import hashlib
import logging
import os
import re
import secrets


logger = logging.getLogger("ccas.vault.encryption")

ENV_VAR = "CCAS_VAULT_MASTER_KEY"
CURRENT = "master-current"
ANNOTATION = "ccas.vault.encryption.data_keys"
PARKING = "parking"
VAULT_ATTRIBUTE = "encryption_key_id"
_ID = re.compile(r"^[0-9a-f]{16}$")

#: (key id, master key, wrapped) -> data key: unwrapped once per process.
_UNWRAPPED = {}


# -- master key ----------------------------------------------------------------------


def master_id_of(key: bytes) -> str:
    return hashlib.sha256(b"ccas.vault master key\0" + key).hexdigest()[:16]


def _decode(text, origin):
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise MasterKeyMissing(
            f"{origin} is not a 32-byte key in base64",
            f"{origin} n'est pas une clé de 32 octets en base64 : corrigez-la.",
        )
    return key


def _env_master():
    value = os.environ.get(ENV_VAR)
    return _decode(value, ENV_VAR) if value else None


def _directory(directory):
    return Path(directory or key_directory())


def master_path(master_id, directory=None) -> Path:
    return _directory(directory) / f"master-{master_id}.key"


def create_master(directory=None, make_current=True) -> str:
    """Write a new master key file in the key directory; return its id."""
    directory = _directory(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(32)
    master_id = master_id_of(key)
    _write(master_path(master_id, directory), base64.b64encode(key) + b"\n", 0o600)
    if make_current:
        _write(directory / CURRENT, f"{master_id}\n".encode(), 0o644)
    return master_id


def current_master_id(directory=None) -> str | None:
    """The id of the master key new data keys are wrapped with, or ``None``."""
    env = _env_master()
    if env is not None:
        return master_id_of(env)
    try:
        master_id = _cached(_directory(directory) / CURRENT, lambda data: data.decode().strip())
    except FileNotFoundError:
        return None
    return master_id if _ID.match(master_id) else None


def ensure_master(directory=None) -> str:
    """The current master key id, the key created when there is none (install, upgrade)."""
    return current_master_id(directory) or create_master(directory)


def master_key(master_id, directory=None) -> bytes:
    """The master key ``master_id``; ``MasterKeyMissing`` when neither source holds it."""
    env = _env_master()
    if env is not None and master_id_of(env) == master_id:
        return env
    path = master_path(master_id, directory)
    if not _ID.match(master_id or "") or not path.is_file():
        raise MasterKeyMissing(f"master key {master_id} not found ({ENV_VAR} or {path})")
    key = _cached(path, lambda data: _decode(data.decode(), path.name))
    if master_id_of(key) != master_id:
        raise MasterKeyMissing(f"{path.name} does not hold master key {master_id}")
    return key


def known_master_ids(directory=None) -> list[str]:
    directory = _directory(directory)
    if not directory.is_dir():
        return []
    ids = {p.name[7:23] for p in directory.glob("master-*.key")}
    return sorted(i for i in ids if _ID.match(i))


def remove_master(master_id, directory=None):
    """Destroy the master key file ``master_id`` (never the current one)."""
    if master_id == current_master_id(directory):
        raise ValueError("the current master key cannot be removed")
    master_path(master_id, directory).unlink(missing_ok=True)


# -- data keys -----------------------------------------------------------------------


def _site(site=None):
    if site is not None:
        return site
    from plone import api

    return api.portal.get()


def registry(site=None, create=False):
    """``key id -> (master id, wrapped key)`` of the site (``None`` when absent)."""
    annotations = IAnnotations(_site(site))
    store = annotations.get(ANNOTATION)
    if store is None and create:
        store = annotations[ANNOTATION] = OOBTree()
    return store


def _aad(key_id):
    return b"ccas.vault data key\0" + key_id.encode()


def _wrap(key_id, data_key, master_id):
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(master_key(master_id)).encrypt(nonce, data_key, _aad(key_id))


def _unwrap(key_id, master_id, wrapped):
    master = master_key(master_id)  # checked on every use: a removed master key opens nothing
    cached = _UNWRAPPED.get((key_id, master, wrapped))
    if cached is not None:
        return cached
    try:
        data_key = AESGCM(master).decrypt(wrapped[:12], wrapped[12:], _aad(key_id))
    except InvalidTag:
        logger.error("data key %s does not open with master key %s", key_id, master_id)
        raise Undecipherable(
            f"data key {key_id} does not open with master key {master_id}"
        ) from None
    _UNWRAPPED[(key_id, master, wrapped)] = data_key
    return data_key


def new_data_key(key_id=None, site=None) -> str:
    """Create and register a data key wrapped under the current master key; return its id."""
    master_id = current_master_id()
    if master_id is None:
        raise MasterKeyMissing("no master key: run the install or `ccas-vault-keys create-master`")
    key_id = key_id or secrets.token_hex(8)
    store = registry(site, create=True)
    if key_id in store:
        raise ValueError(f"data key {key_id} exists")
    store[key_id] = (master_id, _wrap(key_id, secrets.token_bytes(32), master_id))
    return key_id


def data_key(key_id, site=None) -> bytes:
    """The data key ``key_id``; ``DataKeyMissing`` once shredded, ``MasterKeyMissing``…"""
    store = registry(site)
    entry = store.get(key_id) if store is not None else None
    if entry is None:
        raise DataKeyMissing(f"data key {key_id!r} does not exist (shredded?)")
    return _unwrap(key_id, *entry)


def delete_data_key(key_id, site=None) -> bool:
    """Crypto-shred: forget the data key ``key_id``; every file it encrypted is unreadable."""
    store = registry(site)
    if store is None or key_id not in store:
        return False
    del store[key_id]
    logger.info("data key %s destroyed", key_id)
    return True


def rewrap_all(site=None) -> int:
    """Re-wrap under the current master every data key wrapped under another one."""
    master_id = current_master_id()
    if master_id is None:
        raise MasterKeyMissing("no master key")
    store = registry(site) or {}
    count = 0
    for key_id, (old, wrapped) in list(store.items()):
        if old != master_id:
            store[key_id] = (master_id, _wrap(key_id, _unwrap(key_id, old, wrapped), master_id))
            count += 1
    return count


def masters_in_use(site=None) -> set[str]:
    return {master_id for master_id, _wrapped in (registry(site) or {}).values()}


def vault_key_id(vault, create=True):
    """The data key id of ``vault``, created on first use."""
    from Acquisition import aq_base

    key_id = getattr(aq_base(vault), VAULT_ATTRIBUTE, None)
    if key_id is None and create:
        key_id = new_data_key()
        setattr(vault, VAULT_ATTRIBUTE, key_id)
    return key_id


def parking_key_id(site=None) -> str:
    """The site-level data key of parked letters (they have no vault yet)."""
    store = registry(site, create=True)
    if PARKING not in store:
        new_data_key(PARKING, site)
    return PARKING


def key_id_for(obj):
    """The data key id of files stored on ``obj``: its vault's, else the parking key."""
    from ccas.vault.lookup import vault_of

    vault = vault_of(obj) if obj is not None else None
    return vault_key_id(vault) if vault is not None else parking_key_id()
