"""Switch policies on and off: guarded, traced, reversible; re-applied after upgrades.

Every change goes through :func:`change`:

1. the options are checked (bad options: :class:`PolicyError`, nothing changed);
2. the policy applies (or reverts) as the system, inside a savepoint;
3. :mod:`ccas.vault.policies.guard` compares the workflows before and after and
   refuses any widening of access: the savepoint is rolled back;
4. the state is recorded (:mod:`ccas.vault.policies.registry`) and the change
   is traced in the site's configuration history (who, when, before, after).
"""

from ccas.vault import permissions
from ccas.vault.history import api as history
from ccas.vault.history.storage import get_history
from ccas.vault.policies import guard
from ccas.vault.policies import registry
from ccas.vault.policies.errors import PolicyError
from ccas.vault.security import as_system
from ccas.vault.security import check_permission
from plone import api
import json
import transaction


UPGRADE_ACTOR = "ccas-vault-upgrade"


def _unknown(policy_id):
    return PolicyError(
        f"Unknown policy: {policy_id!r}", "Cette règle n'existe pas.", "unknown_policy"
    )


def require(policy_id):
    """The policy ``policy_id``; :class:`PolicyError` (code ``unknown_policy``) if none."""
    policy = registry.get_policy(policy_id)
    if policy is None:
        raise _unknown(policy_id)
    return policy


def configuration_home(portal=None):
    """Where the configuration history is kept: the site itself."""
    return portal if portal is not None else api.portal.get()


def trace(action, details, actor=None, portal=None):
    """A line of the configuration history (``details``: strings)."""
    history.record(
        configuration_home(portal),
        action,
        actor=actor,
        details={key: str(value) for key, value in details.items()},
    )


def configuration_history(portal=None):
    """The configuration history, newest first, as plain dicts."""
    stored = get_history(configuration_home(portal))
    if stored is None:
        return []
    return [entry.as_dict() for entry in reversed(list(stored))]


def _state_text(active, options):
    return json.dumps({"active": bool(active), "options": options or {}}, sort_keys=True)


def current_options(policy, portal):
    """The options in force for ``policy`` (its own reader when it has one)."""
    reader = getattr(policy, "current_options", None)
    if reader is not None:
        return reader(portal)
    return registry.stored_state(policy.id)[1]


def _run(policy, portal, active, options):
    """Apply or revert ``policy`` through the guard; roll back and raise if refused."""
    savepoint = transaction.savepoint()
    before = guard.snapshot(portal)
    try:
        with as_system():
            if active:
                policy.apply(portal, **options)
            else:
                policy.revert(portal)
            after = guard.snapshot(portal)
            guard.check(before, after)
            if guard.diff(before, after):
                api.portal.get_tool("portal_workflow").updateRoleMappings()
    except BaseException:
        savepoint.rollback()
        raise
    return before, after


def change(policy_id, active, options=None, portal=None, actor=None, reason=""):
    """Switch ``policy_id`` on (with ``options``) or off; return its new state.

    Needs ``ccas.vault: Manage settings`` on the site (unless run by an
    upgrade).  Raises :class:`PolicyError` for an unknown policy, bad options
    or a change the access guard refuses: nothing is changed then (a refusal
    by the guard is traced).
    """
    portal = portal if portal is not None else api.portal.get()
    if actor is None:
        check_permission(permissions.MANAGE_SETTINGS, portal)
    policy = require(policy_id)
    options = dict(options or {})
    was_active = bool(policy.is_active(portal))
    old_options = current_options(policy, portal) if was_active else {}
    try:
        _run(policy, portal, active, options)
    except PolicyError as error:
        if error.code == "access_widened":
            trace(
                "policy_refused",
                {
                    "policy": policy_id,
                    "requested": _state_text(active, options),
                    "reason": str(error),
                },
                actor=actor,
                portal=portal,
            )
        raise
    new_options = current_options(policy, portal) if active else {}
    registry.store_state(policy_id, active, new_options)
    trace(
        "policy_applied" if active else "policy_reverted",
        {
            "policy": policy_id,
            "before": _state_text(was_active, old_options),
            "after": _state_text(active, new_options),
            **({"reason": reason} if reason else {}),
        },
        actor=actor,
        portal=portal,
    )
    return {"id": policy_id, "active": bool(active), "options": new_options}


def preview(policy_id, active, options=None, portal=None):
    """What switching ``policy_id`` on/off would change; nothing is kept.

    The policy's own preview, completed by a dry run (applied, compared,
    rolled back) that lists the states, transitions and permissions really
    changed, and whether the access guard would refuse it (``refused``).
    """
    portal = portal if portal is not None else api.portal.get()
    policy = require(policy_id)
    options = dict(options or {})
    with as_system():
        result = dict(policy.preview(portal, active, **options))
    savepoint = transaction.savepoint()
    before = guard.snapshot(portal)
    refused = None
    try:
        with as_system():
            if active:
                policy.apply(portal, **options)
            else:
                policy.revert(portal)
            after = guard.snapshot(portal)
        try:
            guard.check(before, after)
        except PolicyError as error:
            refused = {"message": str(error), "message_fr": error.message_fr}
    finally:
        savepoint.rollback()
    result["permissions"] = [list(change) for change in guard.diff(before, after)] or list(
        result.get("permissions") or []
    )
    result["transitions"] = [list(change) for change in guard.state_changes(before, after)] or list(
        result.get("transitions") or []
    )
    result["refused"] = refused
    return result


def reapply_all(portal=None, reason="upgrade"):
    """Apply again every policy recorded as active (after an upgrade reset the workflows).

    Idempotent; returns the ids applied.  A policy no longer registered is skipped.
    """
    portal = portal if portal is not None else api.portal.get()
    applied = []
    for policy in registry.list_policies():
        active, options = registry.stored_state(policy.id)
        if active:
            change(policy.id, True, options, portal=portal, actor=UPGRADE_ACTOR, reason=reason)
            applied.append(policy.id)
    return applied
