"""The four-eyes certification policy: a second agent of the same organisation validates.

Switched on and off on a site holding papers in every state and in both
spaces; the journey request → validate (seal naming both agents), the
refusals (same agent, other organisation), reject with a reason, the revert
with papers awaiting validation, idempotency, the permissions of the new
state, the workflow profile re-import, and the REST ``@certify``.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.api import documents
from ccas.vault.certification import four_eyes
from ccas.vault.certification.four_eyes import FourEyesRefused
from ccas.vault.certification.seal import check_seal
from ccas.vault.certification.verification import verify_hash
from ccas.vault.history import api as history
from ccas.vault.organisations import update_organisation
from ccas.vault.policies.four_eyes import GED_ONLY
from ccas.vault.policies.interfaces import IWorkflowPolicy
from ccas.vault.security import as_system
from ccas.vault.workspace import forget_cached_local_roles
from plone import api
from plone.api.exc import InvalidParameterError
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from zope.component import getUtility
import json
import pytest


WF = "ccas_vault_document_workflow"
PENDING = "pending_certification"


def policy():
    return getUtility(IWorkflowPolicy, name="four-eyes-certification")


def workflow():
    return api.portal.get_tool("portal_workflow").getWorkflowById(WF)


def snapshot():
    """The document workflow as plain data: states, exits, permissions, transitions, guards."""
    wf = workflow()
    states = {
        sid: (
            tuple(state.transitions),
            {p: tuple(sorted(state.getPermissionInfo(p)["roles"])) for p in wf.permissions},
            {p: bool(state.getPermissionInfo(p)["acquired"]) for p in wf.permissions},
        )
        for sid, state in wf.states.objectItems()
    }
    transitions = {
        tid: (
            t.new_state_id,
            t.guard.permissions if t.guard else (),
            t.guard.getExprText() if t.guard else "",
        )
        for tid, t in wf.transitions.objectItems()
    }
    return states, transitions


def state(obj):
    return api.content.get_state(obj)


def can(login, permission, obj):
    forget_cached_local_roles(obj.REQUEST)
    with acting_as(login):
        return bool(getSecurityManager().checkPermission(permission, obj))


def actions(vault, name):
    return [entry for entry in history.entries(vault) if entry.action == name]


@pytest.fixture
def site(portal, frozen):
    make_agent("accueil")
    make_agent("agent1")  # CCAS agents: the CCAS may certify
    make_agent("agent2")
    ensure_group("caf-agents", "Agents de la CAF", ["VaultAgent"])
    ensure_account("agent-caf", PASSWORD, "Agent Caf", groups=["caf-agents"])
    update_organisation("caf", may_certify=True)  # another certifying organisation
    make_user("manager", ["Manager"])
    make_user("siteadmin", ["Site Administrator"])
    return portal


@pytest.fixture
def vault(site):
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    active_mandate(vault, agents=("agent1", "agent2"), scopes=("consult", "deposit"))
    active_mandate(vault, agents=("agent-caf",), scopes=("consult", "deposit"))
    return vault


@pytest.fixture
def papers(vault):
    """A paper in every state, in both spaces."""
    shared = vault["partage"]
    found = {
        "deposited": deposit_as("jdupont", shared, title="Déposé"),
        "certified": deposit_as("jdupont", shared, title="Certifié"),
        "expired": deposit_as("jdupont", shared, title="Périmé"),
        "old": deposit_as("jdupont", shared, title="Ancien"),
        "private": deposit_as("jdupont", vault["prive"], title="Privé"),
        "private_expired": deposit_as("jdupont", vault["prive"], title="Privé périmé"),
    }
    with acting_as("agent1"):
        documents.certify(found["certified"])
    with as_system():
        api.content.transition(obj=found["expired"], transition="expire")
        api.content.transition(obj=found["private_expired"], transition="expire")
    with acting_as("jdupont"):
        found["newer"] = documents.replace(found["old"], data=found["old"].file.data)
    assert {name: state(doc) for name, doc in found.items()} == {
        "deposited": "deposited",
        "certified": "certified",
        "expired": "expired",
        "old": "superseded",
        "private": "deposited",
        "private_expired": "expired",
        "newer": "deposited",
    }
    return found


@pytest.fixture
def on(papers):
    policy().apply(api.portal.get())
    return papers


def permissions_of(doc):
    """``{permission: roles}`` set on ``doc`` (the permissions the site defines)."""
    found = {}
    for permission in workflow().permissions:
        try:
            settings = doc.rolesOfPermission(permission)
        except ValueError:  # a permission no product defines here (e.g. Add Document)
            continue
        found[permission] = tuple(sorted(r["name"] for r in settings if r["selected"]))
    return found


# -- the utility and switching ---------------------------------------------------


def test_the_policy_is_a_named_utility_with_a_title_and_description(portal):
    found = policy()
    assert found.id == "four-eyes-certification"
    assert found.title and found.description
    assert found.options == ()
    assert found.is_active(portal) is False


def test_switching_on_keeps_every_paper_where_it_was(papers):
    portal = api.portal.get()
    before = {name: (state(doc), permissions_of(doc)) for name, doc in papers.items()}
    preview = policy().preview(portal, True)
    assert preview["states"] == [f"+ {PENDING}"]
    assert "+ request_certification" in preview["transitions"]
    # Papers that could be sent for certification: deposited, in a shared space.
    assert preview["objects"] == 2
    assert snapshot() == snapshot()  # the preview changed nothing
    assert not policy().is_active(portal)

    policy().apply(portal)

    assert policy().is_active(portal)
    assert four_eyes.is_active()
    after = {name: (state(doc), permissions_of(doc)) for name, doc in papers.items()}
    assert after == before
    assert policy().preview(portal, True)["states"] == []  # nothing more to do


def test_apply_twice_and_revert_twice_are_idempotent(papers):
    portal = api.portal.get()
    default = snapshot()
    policy().apply(portal)
    applied = snapshot()
    assert applied != default
    policy().apply(portal)
    assert snapshot() == applied
    policy().revert(portal)
    assert snapshot() == default
    policy().revert(portal)
    assert snapshot() == default
    assert not policy().is_active(portal)


def test_the_new_state_opens_nothing_that_deposited_keeps_closed(on):
    wf = workflow()
    deposited, pending = wf.states["deposited"], wf.states[PENDING]
    for permission in wf.permissions:
        before = deposited.getPermissionInfo(permission)
        after = pending.getPermissionInfo(permission)
        assert set(after["roles"]) <= set(before["roles"]), permission
        assert bool(after["acquired"]) <= bool(before["acquired"]), permission
        assert not {"Manager", "Site Administrator"} & set(after["roles"]), permission
    assert pending.getPermissionInfo("Modify portal content") == {"acquired": 0, "roles": []}
    assert pending.getPermissionInfo("Delete objects")["roles"] == ["VaultOwner"]


def test_nobody_without_a_mandate_sees_a_paper_awaiting_validation(on):
    paper = on["deposited"]
    with acting_as("agent1"):
        documents.certify(paper)
    assert state(paper) == PENDING
    for login in ("manager", "siteadmin", "accueil"):
        for permission in ("View", "ccas.vault: Download original", "ccas.vault: View preview"):
            assert not can(login, permission, paper), (login, permission)
    assert can("jdupont", "View", paper)
    assert can("agent2", "View", paper)  # consult scope, as on a deposited paper
    assert not can("jdupont", "Modify portal content", paper)
    assert not can("agent1", "Modify portal content", paper)
    assert can("jdupont", "Delete objects", paper)


def test_the_private_space_stays_closed_while_the_policy_is_on(on):
    private = on["private"]
    for login in ("agent1", "agent2", "agent-caf", "manager", "siteadmin"):
        assert not can(login, "View", private), login
        assert not can(login, "ccas.vault: Certify document", private), login
    with acting_as("agent1"), pytest.raises(Unauthorized):
        four_eyes.request_certification(private)
    with acting_as("jdupont"), pytest.raises(Unauthorized):
        documents.certify(private)
    assert state(private) == "deposited"


# -- the journey -------------------------------------------------------------------


def test_a_second_agent_of_the_same_organisation_validates_and_the_seal_names_both(on):
    vault = on["deposited"].aq_parent.aq_parent
    paper = on["deposited"]
    with acting_as("agent1"):
        request = documents.certify(paper)  # "certify" now means "ask"
    assert request is None or not request
    assert state(paper) == PENDING
    assert four_eyes.pending_request(paper)["by"] == "agent1"
    assert not paper.certification  # no seal before the validation
    [requested] = actions(vault, "certification_requested")
    assert (requested.actor, requested.organisation) == ("agent1", "ccas")

    with acting_as("agent2"):
        certification = four_eyes.validate_certification(paper)
    assert state(paper) == "certified"
    assert check_seal(certification).valid
    payload = json.loads(certification["payload"])
    assert payload["by"] == "agent2"
    assert payload["requested_by"] == "agent1"
    assert payload["requested_by_fullname"] == "Agent1"
    assert payload["organisation"] == "ccas"
    assert certification["requested_by"] == "agent1"
    assert certification["validated_by"] == "agent2"
    assert four_eyes.pending_request(paper) is None
    assert verify_hash(paper.sha256)["certified"] is True
    certify_line = actions(vault, "certify")[-1]
    assert certify_line.actor == "agent2"
    assert certify_line.details["requested_by"] == "agent1"


def test_the_requester_cannot_validate_their_own_request(on):
    paper = on["deposited"]
    with acting_as("agent1"):
        four_eyes.request_certification(paper)
        with pytest.raises(FourEyesRefused) as refusal:
            four_eyes.validate_certification(paper)
        assert refusal.value.code == "same_agent"
        with pytest.raises(FourEyesRefused):
            documents.certify(paper)
        # Nor through the workflow (@workflow/validate_certification): the guard says no.
        with pytest.raises(InvalidParameterError):
            api.content.transition(obj=paper, transition="validate_certification")
    assert state(paper) == PENDING
    assert not paper.certification


def test_an_agent_of_another_organisation_cannot_validate(on):
    paper = on["deposited"]
    with acting_as("agent1"):
        four_eyes.request_certification(paper)
    assert can("agent-caf", "ccas.vault: Certify document", paper)
    with acting_as("agent-caf"):
        with pytest.raises(FourEyesRefused) as refusal:
            four_eyes.validate_certification(paper)
        assert refusal.value.code == "other_organisation"
        assert refusal.value.message_fr
        with pytest.raises(FourEyesRefused):
            four_eyes.reject_certification(paper, "Pas notre dossier")
        with pytest.raises(InvalidParameterError):
            api.content.transition(obj=paper, transition="validate_certification")
    assert state(paper) == PENDING


def test_nobody_certifies_directly_while_the_policy_is_on(on):
    paper = on["deposited"]
    with acting_as("agent1"), pytest.raises(InvalidParameterError):
        api.content.transition(obj=paper, transition="certify")  # @workflow/certify
    assert state(paper) == "deposited"
    # A certifying agent's deposit asks for the certification instead of certifying.
    with acting_as("agent1"):
        deposited = documents.deposit(
            on["deposited"].aq_parent,
            data=on["deposited"].file.data,
            filename="attestation.pdf",
            document_type="attestation-caf",
        )
    assert state(deposited) == PENDING
    assert four_eyes.pending_request(deposited)["by"] == "agent1"


def test_ged_letters_are_still_certified_at_once(on):
    paper = deposit_as("jdupont", on["deposited"].aq_parent, title="Courrier")
    certification = documents.certify_ged_letter(paper)
    assert state(paper) == "certified"
    assert certification["by"] == "ged"
    assert "requested_by" not in json.loads(certification["payload"])


def test_a_refusal_sends_the_paper_back_with_its_reason_traced(on):
    paper = on["deposited"]
    vault = paper.aq_parent.aq_parent
    with acting_as("agent1"):
        four_eyes.request_certification(paper)
    with acting_as("agent2"):
        with pytest.raises(FourEyesRefused) as refusal:
            four_eyes.reject_certification(paper, "  ")
        assert refusal.value.code == "reason_required"
        four_eyes.reject_certification(paper, "Photo illisible")
    assert state(paper) == "deposited"
    assert four_eyes.pending_request(paper) is None
    [line] = actions(vault, "certification_rejected")
    assert line.actor == "agent2"
    assert line.details == {"reason": "Photo illisible", "requested_by": "agent1"}
    assert workflow().getInfoFor(paper, "comments", "") == "Photo illisible"
    # It can be asked again, by anyone allowed.
    with acting_as("agent2"):
        four_eyes.request_certification(paper)
    assert four_eyes.pending_request(paper)["by"] == "agent2"


def test_only_deposited_papers_are_sent_for_certification(on):
    for name in ("certified", "expired", "old"):
        # Nobody holds Certify document on those states: refused before the rule.
        with acting_as("agent1"), pytest.raises(Unauthorized):
            four_eyes.request_certification(on[name])
        assert state(on[name]) != PENDING
    with acting_as("agent1"):
        four_eyes.request_certification(on["deposited"])
        with pytest.raises(FourEyesRefused) as refusal:
            four_eyes.request_certification(on["deposited"])  # already asked
    assert refusal.value.code == "not_certifiable"


def test_the_api_refuses_when_the_policy_is_off(papers):
    with acting_as("agent1"), pytest.raises(FourEyesRefused) as refusal:
        four_eyes.request_certification(papers["deposited"])
    assert refusal.value.code == "four_eyes_off"
    with acting_as("agent1"):
        documents.certify(papers["deposited"])
    assert state(papers["deposited"]) == "certified"


# -- switching off -----------------------------------------------------------------


def test_switching_off_cancels_the_pending_requests(on):
    portal = api.portal.get()
    paper = on["deposited"]
    vault = paper.aq_parent.aq_parent
    with acting_as("agent1"):
        four_eyes.request_certification(paper)
        four_eyes.request_certification(on["newer"])
    preview = policy().preview(portal, False)
    assert preview["objects"] == 2
    assert preview["states"] == [f"- {PENDING}"]
    assert any(p[0] == PENDING and p[1] == "View" for p in preview["permissions"])

    policy().revert(portal)

    assert not policy().is_active(portal)
    assert state(paper) == state(on["newer"]) == "deposited"
    assert four_eyes.pending_request(paper) is None
    cancelled = actions(vault, "certification_rejected")
    assert len(cancelled) == 2
    assert {line.details["reason"] for line in cancelled} == {four_eyes.CANCELLED}
    assert {line.actor for line in cancelled} == {four_eyes.POLICY_ACTOR}
    wf = workflow()
    assert PENDING not in wf.states.objectIds()
    assert "request_certification" not in wf.transitions.objectIds()
    assert wf.transitions["certify"].guard.getExprText() == ""  # the profile's guard again
    assert wf.transitions["certify"].guard.permissions == ("ccas.vault: Certify document",)
    # The default rules are back: one certifier certifies at once.
    with acting_as("agent1"):
        documents.certify(paper)
    assert state(paper) == "certified"
    # The other papers did not move.
    assert state(on["certified"]) == "certified"
    assert state(on["old"]) == "superseded"
    assert state(on["private"]) == "deposited"


def test_re_importing_the_workflow_profile_resets_it_and_applying_brings_it_back(on):
    portal = api.portal.get()
    applied = snapshot()
    setup = portal.portal_setup
    setup.runImportStepFromProfile("profile-ccas.vault:default", "workflow")
    wf = workflow()
    # The profile is the default rules: no request transition out of deposited.
    assert "request_certification" not in wf.states["deposited"].transitions
    assert wf.transitions["certify"].guard.getExprText() != GED_ONLY
    policy().apply(portal)
    assert snapshot() == applied
    paper = on["deposited"]
    with acting_as("agent1"):
        documents.certify(paper)
    assert state(paper) == PENDING


def test_a_paper_pending_across_a_profile_re_import_is_validated_after_re_applying(on):
    portal = api.portal.get()
    paper = on["deposited"]
    with acting_as("agent1"):
        four_eyes.request_certification(paper)
    portal.portal_setup.runImportStepFromProfile("profile-ccas.vault:default", "workflow")
    policy().apply(portal)  # what the upgrade re-apply of the active policies does
    assert state(paper) == PENDING
    assert not can("manager", "View", paper)
    with acting_as("agent2"):
        four_eyes.validate_certification(paper)
    assert state(paper) == "certified"
    assert paper.certification["requested_by"] == "agent1"
