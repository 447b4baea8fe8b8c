"""My accompaniments: the vaults where the current agent holds a mandate in force.

Read from the agent index the roster keeps on the vault directory
(``ccas.vault.workspace.vaults_of_agent``): the cost is the number of the
agent's own mandates, never the number of vaults.  The agent holds no View on
the vaults themselves: their few identity fields are read as system.
"""

from AccessControl import Unauthorized
from Acquisition import aq_parent
from ccas.vault import clock
from ccas.vault import roles
from ccas.vault.api.vaults import vault_directory
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.scopes import CERTIFY
from ccas.vault.scopes import SCOPES
from ccas.vault.security import as_system
from ccas.vault.workspace import in_force
from ccas.vault.workspace import vaults_of_agent
from datetime import date
from datetime import timedelta
from plone import api
from unidecode import unidecode


SCOPE_ORDER = (*SCOPES, CERTIFY)


def _normalise(text):
    return " ".join(unidecode(text or "").lower().replace("-", " ").split())


def _current_agent():
    """The current user id; ``Unauthorized`` unless they hold the global VaultAgent role."""
    if api.user.is_anonymous():
        raise Unauthorized("Log in as an agent")
    user = api.user.get_current()
    if roles.VAULT_AGENT not in user.getRoles():
        raise Unauthorized("Only agents have accompaniments")
    return user.getId()


def _scope_rank(group):
    return (SCOPE_ORDER.index(group) if group in SCOPE_ORDER else len(SCOPE_ORDER), group)


def _in_force_groups(groups, today):
    """``(scopes in force, end of the latest window in force or None)`` of one roster entry."""
    scopes = []
    ends = []
    for group, windows in groups.items():
        current = [window for window in windows if in_force([window], today)]
        if not current:
            continue
        scopes.append(group)
        ends.extend(end for _start, end in current)
    if not scopes:
        return (), None
    ordered = tuple(sorted(scopes, key=_scope_rank))
    until = None if "" in ends else date.fromisoformat(max(ends))
    return ordered, until


def _matches(item, wanted):
    if not wanted:
        return True
    names = _normalise(f"{item['first_name']} {item['last_name']}")
    reversed_names = _normalise(f"{item['last_name']} {item['first_name']}")
    if wanted in names or wanted in reversed_names:
        return True
    return any(_normalise(ged) == wanted for ged in item["ged_person_ids"])


def _accompaniments(today):
    agent = _current_agent()
    directory = vault_directory()
    items = []
    base_url = directory.absolute_url()
    with as_system():
        for vault_id, groups in vaults_of_agent(directory, agent).items():
            scopes, until = _in_force_groups(groups, today)
            if not scopes:
                continue
            vault = directory.get(vault_id)
            if vault is None:
                continue
            items.append(
                {
                    "id": vault_id,
                    "first_name": vault.first_name or "",
                    "last_name": vault.last_name or "",
                    "birth_date": vault.birth_date.isoformat() if vault.birth_date else None,
                    "ged_person_ids": list(vault.ged_person_ids or ()),
                    "scopes": list(scopes),
                    "until": until.isoformat() if until else None,
                    "shared_space_url": f"{base_url}/{vault_id}/{SHARED_SPACE_ID}",
                    "dossier_url": f"{base_url}/{vault_id}/@@dossier",
                }
            )
    return items


def _sort_key(item):
    return (_normalise(item["last_name"]), _normalise(item["first_name"]), item["id"])


def my_vaults(query="", today=None):
    """The vaults where the current agent holds a mandate in force ``today``.

    Each item: ``id``, ``first_name``, ``last_name``, ``birth_date`` (ISO),
    ``ged_person_ids``, ``scopes`` (the groups in force: consult, extract,
    deposit, share, account, certify), ``until`` (ISO end of the latest window
    in force; ``None`` = until revoked) and ``shared_space_url``.  ``query``
    matches the names (accents and case ignored, part of a name is enough) or
    a GED person id (whole).  Sorted by last name.  Needs the VaultAgent role.
    ``dossier_url``: the agent's page of the vault (``@@dossier``, decision 0045).
    """
    today = today or clock.paris_now().date()
    wanted = _normalise(query)
    items = [item for item in _accompaniments(today) if _matches(item, wanted)]
    return sorted(items, key=_sort_key)


def mandates_ending_soon(days=30, today=None):
    """The items of :func:`my_vaults` whose mandates end within ``days`` days, soonest first."""
    today = today or clock.paris_now().date()
    limit = (today + timedelta(days=days)).isoformat()
    items = [item for item in _accompaniments(today) if item["until"] and item["until"] <= limit]
    return sorted(items, key=lambda item: (item["until"], *_sort_key(item)))


def holds_scope_in_force(vault, scope, today=None):
    """Whether the current user holds ``scope`` on ``vault`` through a mandate in force."""
    if api.user.is_anonymous():
        return False
    today = today or clock.paris_now().date()
    user_id = api.user.get_current().getId()
    groups = vaults_of_agent(aq_parent(vault), user_id).get(vault.getId())
    return bool(groups) and in_force(groups.get(scope, ()), today)
