"""Which workflow policies exist, and which are switched on (with which options).

Policies are named utilities providing :class:`IWorkflowPolicy`.  Their
state is kept in two plone.registry records per policy, written by
:mod:`ccas.vault.policies.apply` whatever the policy does itself::

    ccas.vault.policies/<id>.active   (Bool)
    ccas.vault.policies/<id>.options  (Text: JSON object)

so that an upgrade (which may reset the workflow definitions) knows what to
apply again.  See docs/decisions/0012-workflow-policies.md.
"""

from ccas.vault.policies.interfaces import IWorkflowPolicy
from plone.registry import field
from plone.registry import Record
from plone.registry.interfaces import IRegistry
from zope.component import getUtilitiesFor
from zope.component import getUtility
from zope.component import queryUtility
import json


PREFIX = "ccas.vault.policies"


def list_policies():
    """Every registered policy, sorted by id."""
    return [policy for _name, policy in sorted(getUtilitiesFor(IWorkflowPolicy))]


def get_policy(policy_id):
    """The policy ``policy_id``, or ``None``."""
    if not isinstance(policy_id, str):
        return None
    return queryUtility(IWorkflowPolicy, name=policy_id)


def _name(policy_id, key):
    return f"{PREFIX}/{policy_id}.{key}"


def _set(registry, name, value, make_field):
    if name in registry.records:
        registry.records[name].value = value
    else:
        registry.records[name] = Record(make_field(), value)


def stored_state(policy_id):
    """``(active, options)`` as last recorded for ``policy_id`` (``(False, {})`` if never)."""
    registry = getUtility(IRegistry)
    active = registry.get(_name(policy_id, "active"), False)
    try:
        options = json.loads(registry.get(_name(policy_id, "options"), None) or "{}")
    except ValueError:
        options = {}
    return bool(active), options if isinstance(options, dict) else {}


def store_state(policy_id, active, options):
    """Record that ``policy_id`` is on (with ``options``) or off."""
    registry = getUtility(IRegistry)
    _set(
        registry,
        _name(policy_id, "active"),
        bool(active),
        lambda: field.Bool(title="Policy active", required=False, default=False),
    )
    _set(
        registry,
        _name(policy_id, "options"),
        json.dumps(options or {}, sort_keys=True),
        lambda: field.Text(title="Policy options (JSON)", required=False),
    )


def active_options(policy_id):
    """The recorded options of ``policy_id`` when it is on, else ``None``."""
    active, options = stored_state(policy_id)
    return options if active else None
