"""Every workflow policy, on then off, on a site holding content in every state: no cell of
the private space, of a closing or of a closed vault ever opens.

By permission (in-process, every actor × object × action of those cells) and by
REST (a sample: reading and downloading a private paper, and a closing one).
"""

from access_matrix import ACTORS
from access_matrix import MATRIX
from AccessControl import getSecurityManager
from ccas.vault.organisations import list_organisations
from ccas.vault.policies import apply
from ccas.vault.policies import registry
from matrix_layer import credentials
from matrix_layer import OBJECTS
from vaults import acting_as
import pytest
import transaction


GUARDED_OBJECTS = ("doc:private", "doc:closing", "vault:closing", "vault:closed")
#: action -> permission checked on the object
PERMISSIONS = {
    "view": "View",
    "list": "Access contents information",
    "preview": "ccas.vault: View preview",
    "download": "ccas.vault: Download original",
    "modify": "Modify portal content",
    "delete": "Delete objects",
    "certify": "ccas.vault: Certify document",
    "share": "ccas.vault: Share document",
    "history": "ccas.vault: Read history",
    "deposit_private": "ccas.vault: Deposit document",
    "deposit_shared": "ccas.vault: Deposit document",
}
CELLS = sorted(
    (actor, obj, action)
    for (obj, action) in MATRIX
    if obj in GUARDED_OBJECTS and action in PERMISSIONS
    for actor in ACTORS
)
#: every policy (the registry is read at test time; a test checks this list is complete)
POLICIES = (
    "certifying-organisations",
    "closing-rules",
    "expiry-flag-only",
    "four-eyes-certification",
    "mandate-rules",
    "sharing-rules",
)
#: the REST sample: (actor, object, action)
REST_SAMPLE = (
    ("owner", "doc:private", "download"),
    ("multi", "doc:private", "view"),
    ("downloader", "doc:private", "download"),
    ("manager", "doc:private", "download"),
    ("site_admin", "doc:closing", "view"),
    ("records_manager", "doc:private", "preview"),
)


def options_on(policy_id):
    """The widest options of each policy (the ones most likely to open something)."""
    if policy_id == "certifying-organisations":
        return {"organisations": [o.id for o in list_organisations(include_disabled=True)]}
    if policy_id == "mandate-rules":
        return {"agents_sign_online": False, "max_months": 0}
    if policy_id == "closing-rules":
        return {"grace_days": 0, "tombstone_retention_days": 1}
    if policy_id == "sharing-rules":
        return {"durations": ["3h", "1d"], "code_required": True}
    return {}


def target(portal, obj, action):
    found = portal.unrestrictedTraverse(OBJECTS[obj]["path"])
    if action == "deposit_private":
        return found.get("prive", found)
    return found


def permissions_now(portal):
    results = {}
    for actor, obj, action in CELLS:
        login = credentials(actor, obj)
        with acting_as(login[0] if login else None):
            results[(actor, obj, action)] = bool(
                getSecurityManager().checkPermission(
                    PERMISSIONS[action], target(portal, obj, action)
                )
            )
    return results


def opened(baseline, now):
    """Cells open now that the default rules keep closed, or that the matrix refuses."""
    return sorted(
        cell
        for cell, allowed in now.items()
        if allowed
        and (not baseline[cell] or cell[0] not in MATRIX[(cell[1], cell[2])])
        and cell[0] != "owner"
    )


def as_records_manager(policy_id, active, options=None):
    with acting_as("archiviste"):
        apply.change(policy_id, active, options or {})


class TestPoliciesKeepTheMatrixClosed:
    """The matrix layer is set up once for this class."""

    def test_the_cells_are_checked(self, matrix):
        assert len(CELLS) > 100
        baseline = permissions_now(matrix["portal"])
        assert opened(baseline, baseline) == []

    def test_every_registered_policy_is_switched_here(self, matrix):
        assert {p.id for p in registry.list_policies()} == set(POLICIES)

    @pytest.mark.parametrize("policy_id", POLICIES)
    def test_switching_each_policy_on_and_off(self, matrix, policy_id):
        from test_access_matrix import _PORTAL
        from test_access_matrix import rest

        portal = matrix["portal"]
        baseline = permissions_now(portal)
        sample = {cell: MATRIX[(cell[1], cell[2])] for cell in REST_SAMPLE}
        _PORTAL[:] = [portal]
        site = portal.absolute_url()
        for active in (True, False):
            transaction.begin()  # see what the server wrote (traces of the REST sample)
            as_records_manager(policy_id, active, options_on(policy_id) if active else None)
            assert registry.get_policy(policy_id).is_active(portal) is active
            assert opened(baseline, permissions_now(portal)) == []
            transaction.commit()
            for actor, obj, action in REST_SAMPLE:
                allowed = actor in sample[(actor, obj, action)]
                assert rest(site, actor, obj, action) is allowed, (
                    policy_id,
                    active,
                    actor,
                    obj,
                    action,
                )
