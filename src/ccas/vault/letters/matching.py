"""Parked GED letters found and matched to a person from the browser (decision 0046).

* :func:`waiting_for` — how many letters are parked under a GED person id (the
  opening wizard says it when the agent types the id);
* :func:`ged_id_taken` — the vault that already carries a GED person id (one
  person, one GED id: a second vault would park its letters as ambiguous);
* :func:`search` — the parked letters' metadata filtered by a text (GED
  reference, GED person id, the name of the person's vault when the letter's
  person is known) and a date (the letter's date or the day it was parked);
* :func:`find_person` and :func:`match` — the agent finds the vault by last
  name, first name and date of birth (exact, as typed), then matches the GED
  id to it: the id is added to the vault, the fact is written in the vault's
  history, and the parked letters are delivered the usual way
  (:func:`parking.deliver_parked`).

Only the CCAS's own agents and records managers (decision 0037) use these.
"""

from ccas.vault import clock
from ccas.vault.api.errors import VaultError
from ccas.vault.api.vaults import _index
from ccas.vault.api.vaults import _normalise
from ccas.vault.api.vaults import _person_key
from ccas.vault.api.vaults import PERSON_INDEX
from ccas.vault.api.vaults import vault_directory
from ccas.vault.content.vault import IVault
from ccas.vault.history import api as history
from ccas.vault.letters import parking
from ccas.vault.letters import persons
from ccas.vault.security import as_system
from datetime import datetime
from plone import api


MAX_GED_ID = 100  # as a letter's person id (letters/validation.py)


def waiting_for(ged_person_id):
    """How many letters are parked under ``ged_person_id`` (no permission check: a count)."""
    _store, by_person = parking._stores(create=False)
    key = persons.normalise(ged_person_id)
    if by_person is None or not key:
        return 0
    return len(by_person.get(persons.person_key("ged", key), ()))


def ged_id_taken(ged_person_id, except_vault_id=None):
    """The first vault (other than ``except_vault_id``) carrying ``ged_person_id``, or ``None``."""
    for vault in persons.vaults_of_ged_person(ged_person_id):
        if vault.getId() != except_vault_id:
            return vault
    return None


def _display_name(vault):
    return f"{vault.first_name or ''} {vault.last_name or ''}".strip()


def _names_of(parked, cache):
    """The names of the vault(s) the letter's person resolves to (may be empty)."""
    key = parked.person_key
    if key not in cache:
        if parked.person_kind == "vault":
            vault = vault_directory().get(parked.person_id)
            found = [vault] if IVault.providedBy(vault) else []
        else:
            found = persons.vaults_of_ged_person(parked.person_id)
        cache[key] = [_display_name(v) for v in found]
    return cache[key]


def search(text="", on=None):
    """The parked letters' metadata (oldest first) matching ``text`` and the day ``on``.

    Each item is :meth:`ParkedLetter.info` plus ``names`` (the person's vault names,
    when known).  ``text`` is searched, accents and case aside, in the GED reference,
    the GED person id or vault id, and those names; never in the letter's title.
    """
    parking.check_may_manage_parked()
    store, _by_person = parking._stores(create=False)
    if store is None:
        return []
    wanted = _normalise(text)
    cache, found = {}, []
    for parked in store.values():
        if on is not None and on not in (parked.issued, _day(parked.parked_at)):
            continue
        names = _names_of(parked, cache)
        if wanted:
            haystack = " ".join([parked.ged_reference, parked.person_id, *names])
            if wanted not in _normalise(haystack):
                continue
        found.append(dict(parked.info(), names=names))
    return sorted(found, key=lambda item: (item["parked_at"], item["ged_reference"]))


def _day(iso):
    """The day (Europe/Paris) of an ISO moment."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(clock.PARIS).date() if moment.tzinfo else moment.date()


def find_person(last_name, first_name, birth_date):
    """The vaults whose person has exactly this name and date of birth (the identity check)."""
    parking.check_may_manage_parked()
    if not (_normalise(last_name) and _normalise(first_name) and birth_date):
        return []
    directory = vault_directory()
    ids = _index(directory, PERSON_INDEX).get(_person_key(last_name, first_name, birth_date), {})
    found = [directory.get(vault_id) for vault_id in ids]
    return [vault for vault in found if IVault.providedBy(vault)]


def match(ged_person_id, vault):
    """Add ``ged_person_id`` to ``vault`` and deliver its parked letters: ``(delivered, waiting)``.

    Refused (``VaultError``, French message) when the vault is not open, when no letter
    waits under this id, or when another vault carries it already.
    """
    parking.check_may_manage_parked()
    ged_person_id = (ged_person_id or "").strip()
    if not IVault.providedBy(vault):
        raise VaultError("No such vault", "Ce coffre n'existe pas.", code="no_vault")
    if api.content.get_state(vault) != "open":
        raise VaultError(
            "The vault is not open",
            "Le coffre de cette personne n'est pas ouvert : les courriers ne peuvent pas y "
            "être déposés. Terminez d'abord son ouverture (l'accord de la personne).",
            code="vault_not_open",
        )
    if not waiting_for(ged_person_id):
        raise VaultError(
            "No letter waits under this GED person id",
            "Aucun courrier n'attend sous cet identifiant GED.",
            code="not_parked",
        )
    other = ged_id_taken(ged_person_id, except_vault_id=vault.getId())
    if other is not None:
        raise VaultError(
            "Another vault carries this GED person id",
            f"L'identifiant GED {ged_person_id} est déjà celui d'un autre coffre "
            f"({other.getId()}). Une personne n'a qu'un identifiant GED : vérifiez dans la GED.",
            code="ged_id_taken",
        )
    before = list(vault.ged_person_ids or ())
    waiting = waiting_for(ged_person_id)
    if persons.normalise(ged_person_id) not in {persons.normalise(g) for g in before}:
        with as_system():
            vault.ged_person_ids = [*before, ged_person_id]
        persons.index_vault(vault)
        history.record(
            vault,
            "account_help",
            details={
                "what": "identity",
                "fields": "ged_person_ids",
                "ged_person_ids_before": ", ".join(before),
                "ged_person_ids_after": ", ".join(vault.ged_person_ids),
                "why": "parked_letters_matched",
                "letters_waiting": str(waiting),
            },
        )
    delivered = parking.deliver_parked(vault)
    return delivered, waiting_for(ged_person_id)
