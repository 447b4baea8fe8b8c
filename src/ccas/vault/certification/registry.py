"""The site-level registry of seals: SHA-256 -> seals, for public verification.

Kept in an annotation of the portal (an ``OOBTree``).  An entry holds the
seal (signed payload, signature, key id) and a ``superseded`` flag kept in
step with the paper; nothing about the beneficiary (no vault, title, name or
URL).  Entries survive the deletion of the paper and the closure of the
vault: a paper handed out once stays verifiable (see decision 0007).

The seals of one hash are kept in an ``OOBTree`` keyed by ``(certified_at,
signature)``, oldest first (decision 0053): two papers of the same bytes certified
at once (a form everybody downloads, the same attestation deposited for two
people) add two keys, which ZODB merges; with the ``PersistentList`` used before,
the second append conflicted and its request was replayed.  A list written before
is read as it is, and becomes a tree when its hash gets another seal.
"""

from BTrees.OOBTree import OOBTree
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from plone import api
from zope.annotation.interfaces import IAnnotations
import json
import re


KEY = "ccas.vault.seals"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _tree(create=False):
    annotations = IAnnotations(api.portal.get())
    tree = annotations.get(KEY)
    if tree is None and create:
        tree = annotations[KEY] = OOBTree()
    return tree


def _hashes(seal):
    payload = json.loads(seal["payload"])
    return {payload["sha256"], payload.get("deposited_sha256") or payload["sha256"]}


def register(seal):
    """Add ``seal`` under its sha256 and deposited_sha256; return the shared entry."""
    tree = _tree(create=True)
    entry = PersistentMapping(
        payload=seal["payload"],
        signature=seal["signature"],
        key_id=seal["key_id"],
        superseded=False,
        superseded_at="",
    )
    order = (json.loads(seal["payload"]).get("certified_at") or "", seal["signature"])
    for digest in sorted(_hashes(seal)):
        seals = tree.get(digest)
        if seals is None:
            seals = tree[digest] = OOBTree()
        elif isinstance(seals, PersistentList):  # written before 1009: kept, moved into a tree
            seals = tree[digest] = _as_tree(seals)
        seals[order] = entry
    return entry


def _as_tree(seals):
    """The seals of a list written before, as a tree keyed like :func:`register`'s."""
    moved = OOBTree()
    for position, entry in enumerate(seals):
        payload = json.loads(entry["payload"])
        moved[(payload.get("certified_at") or "", entry["signature"] or str(position))] = entry
    return moved


def _entries(seals):
    """The entries of one hash, oldest first, whichever way they were kept."""
    return list(seals.values()) if isinstance(seals, OOBTree) else list(seals)


def lookup(sha256):
    """The entries registered under ``sha256`` (oldest first); ``[]`` when none."""
    tree = _tree()
    if tree is None or not isinstance(sha256, str):
        return []
    return _entries(tree.get(sha256.lower(), ()))


def _entry_of(certification):
    for entry in lookup(certification.get("sha256", "")):
        if entry["signature"] == certification.get("signature"):
            return entry
    return None


def set_superseded(certification, superseded=True, when=""):
    """Flag the registry entry of a paper's ``certification`` as (not) superseded."""
    if not certification:
        return None
    entry = _entry_of(certification)
    if entry is not None:
        entry["superseded"] = bool(superseded)
        entry["superseded_at"] = when if superseded else ""
    return entry


def count():
    """Number of distinct hashes registered."""
    tree = _tree()
    return 0 if tree is None else len(tree)
