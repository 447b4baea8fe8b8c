"""The access guard: no policy may widen access beyond a mandate.

:func:`snapshot` takes the role → permission maps of the vault, space and
document workflows (and which workflow each vault type uses);
:func:`check` compares two snapshots and refuses

* any new grant in the space workflow (it governs the private space);
* any new grant, in any guarded workflow, to a role other than ``VaultOwner``
  and the mandate roles (e.g. ``View`` to Manager or Site Administrator);
* a permission that starts being acquired from the site (or stops being managed);

(a new state may give what some existing state of the same workflow gives);
* a vault type bound to another workflow.

Every apply and revert of :mod:`ccas.vault.policies.apply` goes through it.
"""

from ccas.vault import roles
from ccas.vault.policies.errors import PolicyError
from plone import api


VAULT_WORKFLOW = "ccas_vault_workflow"
SPACE_WORKFLOW = "ccas_vault_space_workflow"
DOCUMENT_WORKFLOW = "ccas_vault_document_workflow"
GUARDED_WORKFLOWS = (VAULT_WORKFLOW, SPACE_WORKFLOW, DOCUMENT_WORKFLOW)
PRIVATE_WORKFLOWS = (SPACE_WORKFLOW,)  # the private space's own rules: no new grant at all
GUARDED_TYPES = ("Vault", "PrivateSpace", "SharedSpace", "MailFolder", "VaultDocument")
ALLOWED_ROLES = frozenset({roles.VAULT_OWNER, *roles.MANDATE_ROLES})

ACQUIRED = "(acquired)"  # pseudo-role: the permission is acquired from the site


def snapshot(portal=None):
    """``{"chains": {type: chain}, "grants": {(workflow, state, permission): roles}}``."""
    wtool = api.portal.get_tool("portal_workflow")
    chains = {
        portal_type: tuple(wtool.getChainForPortalType(portal_type))
        for portal_type in GUARDED_TYPES
    }
    grants = {}
    for workflow_id in GUARDED_WORKFLOWS:
        workflow = wtool.getWorkflowById(workflow_id)
        if workflow is None:
            continue
        managed = set(workflow.permissions)
        for state_id, state in workflow.states.objectItems():
            mapping = state.permission_roles or {}
            for permission in managed | set(mapping):
                value = mapping.get(permission) if permission in managed else None
                given = set(value or ())
                if value is None or isinstance(value, list):  # acquired (or unmanaged)
                    given.add(ACQUIRED)
                grants[(workflow_id, state_id, permission)] = frozenset(given)
    exits = {}
    for workflow_id in wtool.getWorkflowIds():
        workflow = wtool.getWorkflowById(workflow_id)
        if not workflow_id.startswith("ccas_vault_") or getattr(workflow, "states", None) is None:
            continue
        for state_id, state in workflow.states.objectItems():
            exits[(workflow_id, state_id)] = tuple(sorted(state.transitions or ()))
    return {"chains": chains, "grants": grants, "exits": exits}


def widenings(before, after):
    """``[(workflow, state, permission, role)]`` granted in ``after`` and not in ``before``
    that the guard refuses, plus ``(type, old chain, new chain)`` changes."""
    found = []
    old_states = {(wf, state) for wf, state, _perm in before["grants"]}
    for key, given in sorted(after["grants"].items()):
        workflow_id, state_id, permission = key
        if (workflow_id, state_id) in old_states:
            baseline = before["grants"].get(key, frozenset())
        else:  # a new state: what some state of the same workflow already gave
            baseline = frozenset().union(
                *(
                    roles_
                    for (wf, _state, perm), roles_ in before["grants"].items()
                    if wf == workflow_id and perm == permission
                )
            )
        new = given - baseline
        for role in sorted(new):
            if workflow_id in PRIVATE_WORKFLOWS or role not in ALLOWED_ROLES:
                found.append((*key, role))
    for portal_type, chain in sorted(after["chains"].items()):
        if chain != before["chains"].get(portal_type):
            found.append((portal_type, "(workflow)", ",".join(chain), "(binding)"))
    return found


def check(before, after):
    """Raise :class:`PolicyError` if ``after`` widens access compared to ``before``."""
    found = widenings(before, after)
    if found:
        details = "; ".join(
            f"{wf} / {state} / {perm} → {role}" for wf, state, perm, role in found[:10]
        )
        raise PolicyError(
            f"Refused: this change would widen access beyond a mandate ({details})",
            "Refusé : ce changement ouvrirait l'accès aux papiers au-delà d'un mandat "
            f"(par exemple à l'espace privé, ou à un rôle qui n'est pas celui de la personne "
            f"ou d'un mandat). Rien n'a été changé. ({details})",
            "access_widened",
        )


def state_changes(before, after):
    """States added or removed, exits changed: ``[(workflow, state, before, after)]``."""
    changes = []
    for key in sorted(set(before.get("exits", {})) | set(after.get("exits", {}))):
        old = before["exits"].get(key)
        new = after["exits"].get(key)
        if old != new:
            changes.append(
                (
                    *key,
                    list(old) if old is not None else None,
                    list(new) if new is not None else None,
                )
            )
    return changes


def diff(before, after):
    """Every change of the maps: ``[(workflow, state, permission, before, after)]``."""
    changes = []
    for key in sorted(set(before["grants"]) | set(after["grants"])):
        old = before["grants"].get(key, frozenset())
        new = after["grants"].get(key, frozenset())
        if old != new:
            changes.append((*key, sorted(old), sorted(new)))
    return changes
