"""The shared space as a collective.workspace team whose roster is the active mandates.

One workspace group per scope (``scopes.GROUP_ROLES``).  The roster is never
edited by hand: :func:`sync_roster` recomputes it from the vault's active
mandates, in the same transaction as every mandate transition.  Each roster
entry keeps, per group, the windows (start, end) of the mandates that put the
agent there; the local role provider grants a group's roles only inside one
of those windows, so an active mandate past its end gives nothing even before
the clock job expires it.
"""

from Acquisition import aq_base
from Acquisition import aq_parent
from borg.localrole.interfaces import ILocalRoleProvider
from BTrees.OOBTree import OOBTree
from ccas.vault import clock
from ccas.vault.content.spaces import ISharedSpace
from ccas.vault.scopes import CERTIFY
from ccas.vault.scopes import DEPOSIT
from ccas.vault.scopes import GROUP_ROLES
from collective.workspace.workspace import Workspace
from plone import api
from zope.annotation.interfaces import IAnnotations
from zope.component import adapter
from zope.globalrequest import getRequest
from zope.interface import implementer


class MandateWorkspace(Workspace):
    """IWorkspace of a shared space: groups are the mandate scopes."""

    auto_groups = {}

    @property
    def available_groups(self):
        return dict(GROUP_ROLES)


def _windows_by_group(mandate, may_certify):
    window = [mandate.start.isoformat(), mandate.end.isoformat() if mandate.end else ""]
    groups = set(mandate.scopes)
    if DEPOSIT in groups and may_certify:
        groups.add(CERTIFY)
    return dict.fromkeys(groups, window)


def sync_roster(vault, may_certify=lambda organisation_id: False):
    """Make the shared space's roster match the vault's active mandates.

    ``may_certify(organisation_id)`` tells whether an organisation's agents
    may certify (the deposit scope then also gives the ``certify`` group).
    """
    from ccas.vault.content.mandate import IMandate

    shared = vault["partage"]
    workspace = MandateWorkspace(shared)
    wanted = {}
    for mandate in vault.objectValues():
        if not IMandate.providedBy(mandate) or api.content.get_state(mandate) != "active":
            continue
        for agent in mandate.agents:
            certifies = may_certify(mandate.organisations.get(agent, ""))
            entry = wanted.setdefault(agent, {})
            for group, window in _windows_by_group(mandate, certifies).items():
                entry.setdefault(group, []).append(window)
    changed = False
    for user in list(workspace.members.keys()):
        if user not in wanted:
            workspace.remove_from_team(user)
            _unindex_agent(vault, user)
            changed = True
    for user, windows in wanted.items():
        member = workspace.members.get(user)
        if member is None:
            workspace.add_to_team(user=user, groups=set(windows), windows=windows)
            changed = True
        elif member.get("windows") != windows or set(member.get("groups", ())) != set(windows):
            workspace[user].update({"groups": set(windows), "windows": windows})
            changed = True
        _index_agent(vault, user, windows)
    forget_cached_local_roles(getRequest())
    if changed:
        # The catalog's allowedRolesAndUsers of the space and of every paper in it holds the
        # roster's agents: re-index them, or an agent's listing of the shared space (Plone's
        # folder view, REST) misses the papers put there before the mandate.
        shared.reindexObjectSecurity()


AGENT_INDEX = "_ccas_agent_index"  # on the directory: agent id -> {vault id: {group: windows}}


def _agent_index(vault):
    directory = aq_parent(vault)
    index = getattr(aq_base(directory), AGENT_INDEX, None)
    if index is None:
        index = OOBTree()
        setattr(directory, AGENT_INDEX, index)
    return index


def _index_agent(vault, user, windows):
    index = _agent_index(vault)
    vaults = index.get(user)
    if vaults is None:
        vaults = index[user] = OOBTree()
    if vaults.get(vault.getId()) != windows:
        vaults[vault.getId()] = windows


def _unindex_agent(vault, user):
    vaults = _agent_index(vault).get(user)
    if vaults is not None and vault.getId() in vaults:
        del vaults[vault.getId()]


def vaults_of_agent(directory, user_id):
    """``{vault id: {group: windows}}`` of the vaults where ``user_id`` is on the roster.

    Read from an index kept by :func:`sync_roster`, so "my vaults" costs the
    number of the agent's own mandates, not the number of vaults.
    """
    vaults = getattr(aq_base(directory), AGENT_INDEX, {}).get(user_id)
    return dict(vaults.items()) if vaults is not None else {}


def in_force(windows, today):
    """Whether one of ``windows`` ((start, end) ISO dates, end "" = open) contains ``today``."""
    return _in_force(windows, today)


LOCAL_ROLES_CACHE_PREFIX = "borg.localrole.workspace.checkLocalRolesAllowed:"


def forget_cached_local_roles(request):
    """Drop borg.localrole's per-request cache of local-role checks.

    After a roster change, checks later in the same request must see it.
    """
    annotations = IAnnotations(request, None)
    if annotations is None:
        return
    for key in [k for k in annotations if str(k).startswith(LOCAL_ROLES_CACHE_PREFIX)]:
        del annotations[key]


def _in_force(windows, today):
    iso = today.isoformat()
    return any(start <= iso and (not end or iso <= end) for start, end in windows)


@implementer(ILocalRoleProvider)
@adapter(ISharedSpace)
class MandateRoles:
    """Local roles of a shared space: the roster's groups, only while a mandate is in force.

    Registered under collective.workspace's own name, so that its provider
    (which grants a group's roles on membership alone) does not apply here.
    """

    def __init__(self, context):
        self.context = context

    def _team(self):
        return getattr(aq_base(self.context), "_team", None) or {}

    def getRoles(self, principal_id):
        member = self._team().get(principal_id)
        if not member:
            return ()
        today = clock.paris_now().date()
        granted = set()
        for group, windows in member.get("windows", {}).items():
            if _in_force(windows, today):
                granted.update(GROUP_ROLES.get(group, ()))
        return tuple(sorted(granted))

    def getAllRoles(self):
        for principal_id in self._team():
            roles = self.getRoles(principal_id)
            if roles:
                yield principal_id, roles
