"""Whole-site operations: encrypt existing files, rotate keys, shred a closed vault's key.

Every stored file is found by walking the vault directory: the attributes of each
object (papers, vaults with their consent forms, mandates with their signed
forms) and the mappings, lists and BTrees they hold (the parked letters).
"""

from Acquisition import aq_base
from BTrees.OOBTree import OOBTree
from ccas.vault.encryption import keys
from ccas.vault.encryption.blobs import encrypted_file
from ccas.vault.encryption.blobs import EncryptedBlobFile
from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from plone.namedfile.file import NamedBlobFile
from plone.namedfile.file import NamedFile
import logging


logger = logging.getLogger("ccas.vault.encryption")

_FILES = (NamedBlobFile, NamedFile)


def _nested(value, put, key_id, seen):
    """Yield ``(file, put, key_id)`` for every file inside ``value``."""
    if isinstance(value, _FILES):
        yield value, put, key_id
        return
    if id(value) in seen:
        return
    if isinstance(value, dict | PersistentMapping | OOBTree):
        seen.add(id(value))
        for name, item in list(value.items()):
            yield from _nested(item, _item_setter(value, name), key_id, seen)
    elif isinstance(value, list | PersistentList):
        seen.add(id(value))
        for index, item in enumerate(list(value)):
            yield from _nested(item, _item_setter(value, index), key_id, seen)
    elif isinstance(value, Persistent) and not hasattr(value, "objectIds"):
        seen.add(id(value))  # a plain persistent object (a parked letter), not content
        yield from _attributes(value, key_id, seen)


def _item_setter(container, key):
    def put(new):
        container[key] = new

    return put


def _attr_setter(obj, name):
    def put(new):
        setattr(obj, name, new)

    return put


def _attributes(obj, key_id, seen):
    attributes = getattr(aq_base(obj), "__dict__", None) or {}
    for name, value in list(attributes.items()):
        if name.startswith(("_p_", "__")) or name in ("_objects", "_tree", "_mt_index"):
            continue
        yield from _nested(value, _attr_setter(aq_base(obj), name), key_id, seen)


def stored_files(site=None):
    """Yield ``(file, put, key_id)`` for every file stored under the vault directory.

    ``put(new)`` replaces the file where it is; ``key_id`` is the data key the
    file belongs under (its vault's, the parking key outside any vault).
    """
    from ccas.vault.api.vaults import vault_directory
    from ccas.vault.content.vault import IVault

    seen = set()
    directory = vault_directory()

    def walk(obj, key_id):
        if IVault.providedBy(obj):
            key_id = keys.vault_key_id(obj)
        seen.add(id(aq_base(obj)))
        yield from _attributes(obj, key_id, seen)
        for child in obj.objectValues() if hasattr(aq_base(obj), "objectValues") else ():
            if id(aq_base(child)) not in seen:
                yield from walk(child, key_id)

    yield from walk(directory, keys.parking_key_id(site))


def encrypt_existing(portal=None) -> int:
    """Encrypt in place every file stored in plaintext; return how many (idempotent).

    The upgrade step to profile version 1003 calls it after ``keys.ensure_master()``.
    """
    count = 0
    for file, put, key_id in list(stored_files(portal)):
        if isinstance(file, EncryptedBlobFile):
            continue
        new = encrypted_file(file.data, file.contentType, file.filename, key_id=key_id)
        new._modified = getattr(file, "_modified", new._modified)
        put(new)
        count += 1
    logger.info("encrypted %d existing files", count)
    return count


def rotate_vault(vault) -> int:
    """Give ``vault`` a new data key, re-encrypt its files, destroy the old key; return the
    number of files re-encrypted."""
    old = keys.vault_key_id(vault)
    new = keys.new_data_key()
    count = 0
    for file, put, key_id in list(stored_files()):
        if key_id != old:
            continue
        if isinstance(file, EncryptedBlobFile) and file.key_id not in (old, new):
            continue
        fresh = encrypted_file(file.data, file.contentType, file.filename, key_id=new)
        fresh._modified = getattr(file, "_modified", fresh._modified)
        put(fresh)
        count += 1
    setattr(vault, keys.VAULT_ATTRIBUTE, new)
    keys.delete_data_key(old)
    return count


def rotate_master(directory=None, site=None) -> dict:
    """New master key, every data key re-wrapped under it, unused master keys removed.

    Safe to run again after a crash: the old master key files are removed only
    once the re-wrapped keys are committed (the caller commits between
    :func:`rewrap` and :func:`remove_unused_masters`, see ``scripts/keys.py``).
    """
    new = keys.create_master(directory)
    return {"master": new, "rewrapped": keys.rewrap_all(site)}


def remove_unused_masters(directory=None, site=None) -> list[str]:
    """Delete the master key files no data key is wrapped under any more."""
    used = keys.masters_in_use(site) | {keys.current_master_id(directory)}
    removed = [m for m in keys.known_master_ids(directory) if m not in used]
    for master_id in removed:
        keys.remove_master(master_id, directory)
    return removed


def shred_vault(vault) -> bool:
    """Crypto-shred ``vault``: destroy its data key (called when the vault is deleted)."""
    key_id = getattr(aq_base(vault), keys.VAULT_ATTRIBUTE, None)
    return keys.delete_data_key(key_id) if key_id else False
