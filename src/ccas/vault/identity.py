"""``PATCH /coffres/{vault}/@vault-identity``: correct a vault's identity (decision 0034).

The person's name, date of birth and GED person ids decide which letters of the CCAS's
GED reach the vault (``letters/persons.py``): typing another person's GED id delivered
that person's parked letters into the wrong vault.  So neither the person nor a Manager
edits them through Plone's forms (nobody holds *Modify portal content* on a vault);
they are corrected here only by **an agent of the CCAS who may open vaults**
(``ccas.vault: Open vault`` on the directory) **with a mandate in force on this vault
with the account-help scope** (``ccas.vault: Assist account`` on the shared space, as
the assisted reset): the person chose that agent to help with their account.  Not the
person themself, even with such rights elsewhere.

Each change is written in the vault's history (``account_help``, ``what: identity``,
the fields with their old and new values; the person reads "<agent> helped you with
your account"), and the GED index is updated.
"""

from AccessControl import Unauthorized
from BTrees.OOBTree import OOBTree
from ccas.vault import permissions
from ccas.vault.account.recovery import may_assist
from ccas.vault.api.vaults import _index
from ccas.vault.api.vaults import _person_key
from ccas.vault.api.vaults import PERSON_INDEX
from ccas.vault.api.vaults import vault_directory
from ccas.vault.history import api as history
from ccas.vault.letters.persons import index_vault
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import iso_date
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import text
from ccas.vault.services.base import VaultService
from ccas.vault.services.vaults.vaults import _ged_person_ids
from ccas.vault.services.vaults.vaults import BAD_BIRTH_DATE
from datetime import date
from plone import api


FIELDS = ("first_name", "last_name", "birth_date", "ged_person_ids")
NOTHING = RequestError(
    400,
    "nothing_to_change",
    f"Give at least one of: {', '.join(FIELDS)}.",
    "Indiquez ce qui change : prénom, nom, date de naissance ou identifiants GED.",
)


def may_correct_identity(vault, user=None):
    """A CCAS agent who may open vaults, with the account-help scope on this vault."""
    user = user or api.user.get_current()
    if api.user.is_anonymous() or user.getUserName() == vault.owner_login:
        return False
    return bool(
        user.has_permission(permissions.OPEN_VAULT, vault_directory()) and may_assist(vault, user)
    )


def parse(data):
    if not isinstance(data, dict) or not set(data) & set(FIELDS):
        raise NOTHING
    errors, values = {}, {}
    for name in ("first_name", "last_name"):
        if name in data:
            values[name] = text(data, name, errors, required=True, max_length=200)
    if "birth_date" in data:
        born = iso_date(data, "birth_date", errors, required=True)
        if born is not None and not date(1900, 1, 1) <= born <= date.today():
            errors["birth_date"] = BAD_BIRTH_DATE
        values["birth_date"] = born
    if "ged_person_ids" in data:
        values["ged_person_ids"] = _ged_person_ids(data, errors)
    if errors:
        raise invalid_fields(errors)
    return values


def _reindex_person(vault, old_key):
    """Move the vault in the directory's person index (the agents' duplicate search)."""
    persons = _index(vault_directory(), PERSON_INDEX)
    vault_id = vault.getId()
    if old_key in persons and vault_id in persons[old_key]:
        del persons[old_key][vault_id]
        if not len(persons[old_key]):
            del persons[old_key]
    key = _person_key(vault.last_name, vault.first_name, vault.birth_date)
    persons.setdefault(key, OOBTree())[vault_id] = True


def correct_identity(vault, values):
    """Set the changed fields, re-index the GED ids and the person, write one history line."""
    old_key = _person_key(vault.last_name, vault.first_name, vault.birth_date)
    changed = {}
    for name, value in values.items():
        old = getattr(vault, name, None)
        old = list(old or ()) if name == "ged_person_ids" else old
        if old != value:
            changed[name] = (old, value)
            setattr(vault, name, value)
    if not changed:
        return changed
    if "ged_person_ids" in changed:
        index_vault(vault)
    if set(changed) - {"ged_person_ids"}:
        _reindex_person(vault, old_key)
    vault.reindexObject()
    details = {"what": "identity", "fields": ",".join(sorted(changed))}
    for name, (old, new) in changed.items():
        show = ", ".join if name == "ged_person_ids" else str
        details[f"{name}_before"] = show(old) if old else ""
        details[f"{name}_after"] = show(new) if new else ""
    history.record(vault, "account_help", details=details)
    return changed


class VaultIdentityPatch(VaultService):
    """PATCH: ``{"first_name"?, "last_name"?, "birth_date"?, "ged_person_ids"?}`` → 200."""

    def check_permission(self):
        super().check_permission()
        if not may_correct_identity(self.context):
            raise Unauthorized("a CCAS agent with the account-help scope is needed")

    def reply(self):
        disable_csrf(self.request)
        changed = correct_identity(self.context, parse(self.body()))
        vault = self.context
        return {
            "changed": sorted(changed),
            "first_name": vault.first_name,
            "last_name": vault.last_name,
            "birth_date": vault.birth_date.isoformat() if vault.birth_date else None,
            "ged_person_ids": list(vault.ged_person_ids or ()),
        }
