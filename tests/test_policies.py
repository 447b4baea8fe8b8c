"""Workflow policies: each switch on and off, its rules enforced, the guard, the trace."""

from AccessControl import Unauthorized
from ccas.vault.api import mandates
from ccas.vault.api.errors import VaultError
from ccas.vault.history.storage import ACTIONS
from ccas.vault.organisations import get_organisation
from ccas.vault.policies import apply
from ccas.vault.policies import guard
from ccas.vault.policies import registry
from ccas.vault.policies.errors import PolicyError
from ccas.vault.policies.interfaces import IWorkflowPolicy
from ccas.vault.sharing import links
from datetime import date
from plone import api
from plone.namedfile.file import NamedBlobFile
from vaults import acting_as
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import pdf_bytes
from zope.component import getGlobalSiteManager
from zope.interface import implementer
import pytest


MINE = (
    "certifying-organisations",
    "closing-rules",
    "expiry-flag-only",
    "mandate-rules",
    "sharing-rules",
)


@pytest.fixture
def vault(portal, frozen):
    make_agent("accueil")
    make_agent("travailleur")
    make_user("archiviste", ["RecordsManager"])
    return consent_as_owner(open_vault_as("accueil", "jdupont"))


def as_records_manager(policy_id, active, **options):
    with acting_as("archiviste"):
        return apply.change(policy_id, active, options)


def draft(vault, **kw):
    with acting_as(vault.owner_login):
        return mandates.create_mandate(vault, agents=["travailleur"], **kw)


# --- the registry of policies -------------------------------------------------------


def test_every_policy_is_a_named_utility_with_a_title_and_documented_options(portal):
    policies = registry.list_policies()
    ids = [policy.id for policy in policies]
    assert set(MINE) <= set(ids)
    for policy in policies:
        assert IWorkflowPolicy.providedBy(policy)
        assert registry.get_policy(policy.id) is policy
        assert policy.title and policy.description
        for field in policy.options:
            assert field.title
        assert policy.is_active(portal) is False


def test_a_policy_is_off_until_switched_on_and_its_state_is_kept(vault):
    assert registry.stored_state("sharing-rules") == (False, {})
    as_records_manager("sharing-rules", True, durations=["1d", "7d"])
    active, options = registry.stored_state("sharing-rules")
    assert active and options["durations"] == ["1d", "7d"]
    as_records_manager("sharing-rules", False)
    assert registry.stored_state("sharing-rules") == (False, {})


def test_only_those_who_manage_settings_change_policies(vault):
    with acting_as("travailleur"), pytest.raises(Unauthorized):
        apply.change("sharing-rules", True, {})
    with acting_as("jdupont"), pytest.raises(Unauthorized):
        apply.change("sharing-rules", True, {})
    assert registry.stored_state("sharing-rules")[0] is False


def test_bad_options_are_refused_in_both_languages_and_nothing_changes(vault):
    with pytest.raises(PolicyError) as refused:
        as_records_manager("mandate-rules", True, default_months=0, colour="red")
    assert set(refused.value.fields) == {"default_months", "colour"}
    assert refused.value.message_fr and str(refused.value)
    with pytest.raises(PolicyError) as refused:
        as_records_manager("mandate-rules", True, default_months=24, max_months=12)
    assert "default_months" in refused.value.fields
    with pytest.raises(PolicyError) as refused:
        as_records_manager("no-such-policy", True)
    assert refused.value.code == "unknown_policy"
    assert registry.stored_state("mandate-rules") == (False, {})


# --- mandates -------------------------------------------------------------------------


def test_mandate_rules_are_enforced_by_the_api_and_lifted_when_switched_off(vault):
    as_records_manager(
        "mandate-rules",
        True,
        default_months=6,
        max_months=12,
        allow_until_revoked=False,
        scopes=["consult", "deposit"],
    )
    with pytest.raises(VaultError) as refused:
        draft(vault, scopes=["consult", "extract"])
    assert refused.value.code == "scope_not_offered"
    assert "extract" in refused.value.message_fr
    with pytest.raises(VaultError) as refused:
        draft(vault, scopes=["consult"], until_revoked=True)
    assert refused.value.code == "until_revoked_not_allowed"
    with pytest.raises(VaultError) as refused:
        draft(vault, scopes=["consult"], start=date(2026, 11, 23), end=date(2028, 1, 1))
    assert refused.value.code == "mandate_too_long"
    mandate = draft(vault, scopes=["consult"], start=date(2026, 11, 23))
    assert mandate.end == date(2027, 5, 23)
    as_records_manager("mandate-rules", False)
    mandate = draft(vault, scopes=["consult", "extract"], until_revoked=True)
    assert mandate.end is None


def test_without_online_agent_signatures_the_paper_form_is_enough(vault):
    def signed_on_paper():
        mandate = draft(vault, scopes=["consult"])
        with acting_as(vault.owner_login):
            mandates.submit(mandate)
        form = NamedBlobFile(pdf_bytes("mandat"), filename="mandat.pdf")
        with acting_as("travailleur"):
            mandates.sign_as_person(mandate, method="paper", form=form)
        return api.content.get_state(mandate)

    assert signed_on_paper() == "awaiting_signatures"  # default: every agent signs online
    as_records_manager("mandate-rules", True, agents_sign_online=False)
    assert signed_on_paper() == "active"


# --- sharing --------------------------------------------------------------------------


def test_sharing_rules_offer_some_durations_and_may_require_a_code(vault):
    paper = deposit_as("jdupont", vault["prive"])
    as_records_manager(
        "sharing-rules",
        True,
        durations=["3h", "1d", "7d", "1m"],
        max_duration="7d",
        code_required=True,
    )
    with acting_as("jdupont"):
        with pytest.raises(VaultError) as refused:
            links.create_link(vault, [paper], "CAF", "1m")
        assert refused.value.code == "duration_not_offered"
        with pytest.raises(VaultError):
            links.create_link(vault, [paper], "CAF", "revoked")
        link, _token, code = links.create_link(vault, [paper], "CAF", "7d", with_code=False)
    assert code and link.code_hash
    from ccas.vault.browser.sharing import ShareForm

    form = ShareForm(vault, vault.REQUEST)
    assert [key for key, _label in form.durations] == ["3h", "1d", "7d"]
    assert form.code_required
    as_records_manager("sharing-rules", False)
    with acting_as("jdupont"):
        _link, _token, code = links.create_link(vault, [paper], "CAF", "revoked")
    assert code is None
    assert len(ShareForm(vault, vault.REQUEST).durations) == 5


def test_sharing_rules_need_one_duration_under_the_longest(vault):
    with pytest.raises(PolicyError) as refused:
        as_records_manager("sharing-rules", True, durations=["7d", "1m"], max_duration="1d")
    assert "max_duration" in refused.value.fields


# --- expiry ---------------------------------------------------------------------------


def test_flag_only_keeps_papers_past_their_date_in_their_state(vault, portal):
    from ccas.vault import clock

    past = deposit_as("jdupont", vault["prive"], valid_until=date(2026, 1, 1))
    expired = deposit_as("jdupont", vault["prive"], valid_until=date(2025, 1, 1))
    from ccas.vault.security import as_system

    with as_system():
        clock.expire_documents(portal)
    assert api.content.get_state(past) == "expired"
    preview = apply.preview("expiry-flag-only", True)
    assert preview["objects"] == 2
    changed = {(wf, state) for wf, state, old, new in preview["transitions"] if "expire" in old}
    assert changed == {
        ("ccas_vault_document_workflow", "deposited"),
        ("ccas_vault_document_workflow", "certified"),
    }
    assert api.content.get_state(past) == "expired"  # a preview changes nothing
    as_records_manager("expiry-flag-only", True)
    assert api.content.get_state(past) == api.content.get_state(expired) == "deposited"
    workflow = portal.portal_workflow.getWorkflowById("ccas_vault_document_workflow")
    assert "expire" not in workflow.states["deposited"].transitions
    with as_system():
        assert clock.expire_documents(portal) == (0, 0)
    assert api.content.get_state(past) == "deposited"
    as_records_manager("expiry-flag-only", False)
    assert "expire" in workflow.states["deposited"].transitions
    assert api.content.get_state(past) == "expired"


# --- closing --------------------------------------------------------------------------


def test_closing_rules_set_the_grace_period_and_purge_old_tombstones(vault, portal):
    from ccas.vault import clock
    from ccas.vault.security import as_system
    from ccas.vault.tombstones import add_tombstone
    from ccas.vault.tombstones import list_tombstones

    def tombstone(closed):
        add_tombstone(
            opened=date(2020, 1, 1),
            consented=None,
            closure_requested=closed,
            closed=closed,
            documents=1,
            certified=0,
            deposits_by_origin={},
        )

    tombstone(date(2024, 1, 1))
    tombstone(date(2026, 11, 1))
    as_records_manager("closing-rules", True, grace_days=15, tombstone_retention_days=365)
    assert api.portal.get_registry_record("ccas.vault.settings.closing_grace_days") == 15
    with as_system():
        assert clock.run_clock(portal)["tombstones_purged"] == 1
        assert clock.run_clock(portal).get("tombstones_purged", 0) == 0  # idempotent
    assert [t["closed"] for t in list_tombstones()] == [date(2026, 11, 1)]
    as_records_manager("closing-rules", False)
    assert api.portal.get_registry_record("ccas.vault.settings.closing_grace_days") == 7


# --- certification --------------------------------------------------------------------


def test_certifying_organisations_edit_the_flags_and_revert_restores_them(vault):
    assert get_organisation("ccas").may_certify and not get_organisation("caf").may_certify
    as_records_manager("certifying-organisations", True, organisations=["caf"])
    assert get_organisation("caf").may_certify and not get_organisation("ccas").may_certify
    with pytest.raises(PolicyError):
        as_records_manager("certifying-organisations", True, organisations=["nowhere"])
    as_records_manager("certifying-organisations", False)
    assert get_organisation("ccas").may_certify and not get_organisation("caf").may_certify


# --- the guard and the configuration history -------------------------------------------


@implementer(IWorkflowPolicy)
class Malicious:
    """A policy that tries to widen access (test only)."""

    id = "malicious"
    title = description = "Malicious"
    options = ()

    def __init__(self, workflow, state, permission, role):
        self.where = (workflow, state, permission, role)

    def is_active(self, portal):
        return False

    def preview(self, portal, active, **options):
        return {}

    def apply(self, portal, **options):
        workflow, state, permission, role = self.where
        definition = portal.portal_workflow.getWorkflowById(workflow).states[state]
        roles = set(definition.getPermissionInfo(permission)["roles"])
        if role == "(acquire)":  # take the site's roles
            definition.setPermission(permission, True, sorted(roles))
        else:
            definition.setPermission(permission, False, sorted(roles | {role}))

    def revert(self, portal):
        pass


@pytest.fixture
def malicious():
    gsm = getGlobalSiteManager()
    registered = []

    def register(*where):
        policy = Malicious(*where)
        gsm.registerUtility(policy, IWorkflowPolicy, name="malicious")
        registered.append(policy)
        return policy

    yield register
    for policy in registered:
        gsm.unregisterUtility(policy, IWorkflowPolicy, name="malicious")


@pytest.mark.parametrize(
    "where",
    [
        ("ccas_vault_document_workflow", "deposited", "View", "Manager"),
        (
            "ccas_vault_document_workflow",
            "certified",
            "ccas.vault: Download original",
            "Site Administrator",
        ),
        ("ccas_vault_space_workflow", "active", "List folder contents", "VaultDepositor"),
        ("ccas_vault_workflow", "open", "View", "RecordsManager"),
        ("ccas_vault_document_workflow", "expired", "View", "(acquire)"),
    ],
)
def test_a_policy_that_widens_access_is_refused_and_changes_nothing(
    vault, portal, malicious, where
):
    malicious(*where)
    before = guard.snapshot(portal)
    with pytest.raises(PolicyError) as refused:
        as_records_manager("malicious", True)
    assert refused.value.code == "access_widened"
    assert "Rien n'a été changé" in refused.value.message_fr
    assert guard.snapshot(portal) == before
    assert registry.stored_state("malicious") == (False, {})
    assert apply.configuration_history(portal)[0]["action"] == "policy_refused"
    assert apply.preview("malicious", True)["refused"]


def test_every_change_is_traced_with_who_when_before_and_after(vault, portal):
    as_records_manager("sharing-rules", True, code_required=True)
    as_records_manager("sharing-rules", False)
    applied, reverted = reversed(apply.configuration_history(portal)[:2])
    assert applied["action"] == "policy_applied" and reverted["action"] == "policy_reverted"
    assert applied["actor"] == "archiviste" and applied["when"]
    assert '"active": false' in applied["details"]["before"]
    assert '"code_required": true' in applied["details"]["after"]
    assert '"active": false' in reverted["details"]["after"]
    assert {"policy_applied", "policy_reverted", "policy_refused", "configuration_imported"} <= set(
        ACTIONS
    )
    from ccas.vault.history.api import verify

    assert verify(portal) is None


@pytest.mark.parametrize("policy_id", MINE)
def test_apply_and_revert_are_idempotent(vault, portal, policy_id):
    from ccas.vault.policies.export import export_configuration

    def state():
        exported = export_configuration(portal)
        exported.pop("exported_at")
        return guard.snapshot(portal), exported

    default = state()
    as_records_manager(policy_id, True)
    once = state()
    as_records_manager(policy_id, True)
    assert state() == once
    as_records_manager(policy_id, False)
    as_records_manager(policy_id, False)
    assert state() == default
