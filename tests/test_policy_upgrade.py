"""Workflow policies survive upgrades: re-importing the workflows resets them, the 1002 step
applies them again."""

from ccas.vault.policies import apply
from ccas.vault.policies import guard
from ccas.vault.policies import registry
from ccas.vault.upgrades.v1002 import reapply_policies
from plone import api
from vaults import acting_as
from vaults import make_user
import pytest


PROFILE = "ccas.vault:default"
DOCUMENT_WORKFLOW = "ccas_vault_document_workflow"


@pytest.fixture
def switched_on(portal):
    make_user("archiviste", ["RecordsManager"])
    with acting_as("archiviste"):
        apply.change("expiry-flag-only", True, {})
        apply.change("sharing-rules", True, {"durations": ["1d", "7d"], "code_required": True})
    return portal


def expire_exits(portal):
    workflow = portal.portal_workflow.getWorkflowById(DOCUMENT_WORKFLOW)
    return {
        state: "expire" in workflow.states[state].transitions
        for state in ("deposited", "certified")
    }


def reimport_workflows():
    setup = api.portal.get_tool("portal_setup")
    setup.runImportStepFromProfile(f"profile-{PROFILE}", "workflow", run_dependencies=False)


def test_reimporting_the_workflows_resets_them_and_the_upgrade_step_applies_the_policies_again(
    switched_on,
):
    portal = switched_on
    applied = guard.snapshot(portal)
    assert expire_exits(portal) == {"deposited": False, "certified": False}
    reimport_workflows()
    assert expire_exits(portal) == {"deposited": True, "certified": True}  # the default rules
    assert registry.stored_state("expiry-flag-only")[0] is True  # the choice is kept
    assert set(reapply_policies()) >= {"expiry-flag-only", "sharing-rules"}
    assert expire_exits(portal) == {"deposited": False, "certified": False}
    assert guard.snapshot(portal) == applied
    assert registry.stored_state("sharing-rules") == (
        True,
        {"durations": ["1d", "7d"], "max_duration": "revoked", "code_required": True},
    )
    last = apply.configuration_history(portal)[0]
    assert last["actor"] == apply.UPGRADE_ACTOR and last["details"]["reason"] == "upgrade"


def test_applying_again_is_idempotent(switched_on):
    portal = switched_on
    before = guard.snapshot(portal)
    reapply_policies()
    reapply_policies()
    assert guard.snapshot(portal) == before


def test_a_policy_switched_off_stays_off_after_an_upgrade(switched_on):
    with acting_as("archiviste"):
        apply.change("expiry-flag-only", False)
    reimport_workflows()
    assert "expiry-flag-only" not in reapply_policies()
    assert expire_exits(switched_on) == {"deposited": True, "certified": True}


def test_upgrading_from_1000_through_1001_keeps_the_policies(switched_on):
    setup = api.portal.get_tool("portal_setup")
    setup.setLastVersionForProfile(PROFILE, "1000")
    setup.upgradeProfile(PROFILE)  # 1001 re-imports the workflows, 1002 re-applies (1008 too)
    assert setup.getLastVersionForProfile(PROFILE) == (setup.getVersionForProfile(PROFILE),)
    assert expire_exits(switched_on) == {"deposited": False, "certified": False}


def test_the_upgrade_from_1001_is_registered(portal):
    setup = api.portal.get_tool("portal_setup")
    setup.setLastVersionForProfile(PROFILE, "1001")
    steps = setup.listUpgrades(PROFILE)
    last = int(setup.getVersionForProfile(PROFILE))
    assert [(step["ssource"], step["sdest"]) for step in steps] == [
        (str(version), str(version + 1)) for version in range(1001, last)
    ]
