"""Who a letter is for: a vault id or a GED person id, and whether it can be delivered now.

GED person ids are looked up in an ``OOBTree`` on the vault directory
(normalised id -> vault ids), kept by subscribers when a vault is added,
edited or removed, and rebuilt once if missing.
"""

from BTrees.OOBTree import OOBTree
from BTrees.OOBTree import OOTreeSet
from ccas.vault.api.vaults import vault_directory
from ccas.vault.content.vault import IVault
from ccas.vault.letters import sources
from plone import api


GED_INDEX = "_ccas_ged_person_index"  # normalised GED person id -> set of vault ids
GED_KEYS = "_ccas_ged_person_keys"  # vault id -> tuple of its normalised GED person ids

UNKNOWN_PERSON = "unknown_person"
AMBIGUOUS_PERSON = "ambiguous_person"
VAULT_NOT_OPEN = "vault_not_open"
NO_LETTER_CONSENT = "no_letter_consent"
#: A partner's paper: the person has not consented to that partner's connector (decision 0055).
NO_CONNECTOR_CONSENT = "no_connector_consent"
REASONS = (
    UNKNOWN_PERSON,
    AMBIGUOUS_PERSON,
    VAULT_NOT_OPEN,
    NO_LETTER_CONSENT,
    NO_CONNECTOR_CONSENT,
)


def normalise(ged_person_id):
    return (ged_person_id or "").strip().casefold()


def _indexes(directory):
    index = getattr(directory, GED_INDEX, None)
    keys = getattr(directory, GED_KEYS, None)
    if index is None or keys is None:
        index, keys = OOBTree(), OOBTree()
        setattr(directory, GED_INDEX, index)
        setattr(directory, GED_KEYS, keys)
        for vault in directory.objectValues():
            if IVault.providedBy(vault):
                _index_vault(index, keys, vault)
    return index, keys


def _unindex(index, keys, vault_id):
    for key in keys.get(vault_id, ()):
        ids = index.get(key)
        if ids is not None and vault_id in ids:
            ids.remove(vault_id)
            if not ids:
                del index[key]
    if vault_id in keys:
        del keys[vault_id]


def _index_vault(index, keys, vault):
    vault_id = vault.getId()
    wanted = tuple(sorted({normalise(g) for g in (vault.ged_person_ids or ()) if normalise(g)}))
    if keys.get(vault_id) == wanted:
        return
    _unindex(index, keys, vault_id)
    for key in wanted:
        index.setdefault(key, OOTreeSet()).insert(vault_id)
    if wanted:
        keys[vault_id] = wanted


def index_vault(vault, directory=None):
    """(Re)index the GED person ids of ``vault``."""
    directory = directory if directory is not None else vault_directory()
    _index_vault(*_indexes(directory), vault)


def unindex_vault(vault_id, directory=None):
    directory = directory if directory is not None else vault_directory()
    _unindex(*_indexes(directory), vault_id)


def vaults_of_ged_person(ged_person_id):
    directory = vault_directory()
    index, _keys = _indexes(directory)
    ids = index.get(normalise(ged_person_id), ())
    return [directory[vault_id] for vault_id in ids if vault_id in directory]


def resolve(person_kind, person_id, source=sources.GED):
    """``(vault or None, reason or None)``: ``reason`` is why the letter cannot be delivered now.

    The consent the vault must hold is the letter source's (:mod:`.sources`).
    """
    if person_kind == "vault":
        vault = vault_directory().get(person_id)
        if vault is None or not IVault.providedBy(vault):
            return None, UNKNOWN_PERSON
    else:
        found = vaults_of_ged_person(person_id)
        if not found:
            return None, UNKNOWN_PERSON
        if len(found) > 1:
            return None, AMBIGUOUS_PERSON
        vault = found[0]
    if api.content.get_state(vault) != "open":
        return vault, VAULT_NOT_OPEN
    _name, sender = sources.split(source)
    return vault, sources.source_of(source).missing_consent(vault, sender)


def person_keys_of(vault):
    """The parking keys a letter for ``vault`` may be filed under."""
    return [f"vault:{vault.getId()}"] + [
        f"ged:{normalise(g)}" for g in (vault.ged_person_ids or ()) if normalise(g)
    ]


def person_key(person_kind, person_id):
    return f"vault:{person_id}" if person_kind == "vault" else f"ged:{normalise(person_id)}"
