"""The vault's workflows set permissions exactly as DCWorkflow does, faster (decision 0029).

Their definitions are ``VaultWorkflowDefinition`` objects: a state change
writes on each object the same role → permission maps as stock DCWorkflow,
with what each permission protects known once per content class.  A site
installed before (1003) gets the class through the 1004 upgrade step with
its states, maps and workflow policies kept.  A vault item's security
reindex updates its own catalog entry.
"""

from AccessControl.Permission import Permission
from Acquisition import aq_base
from ccas.vault.api import documents
from ccas.vault.policies import apply
from ccas.vault.policies import guard
from ccas.vault.sharing import links
from ccas.vault.upgrades.v1004 import upgrade
from ccas.vault.upgrades.v1004 import WORKFLOWS
from ccas.vault.workflows.definition import META_TYPE
from ccas.vault.workflows.definition import protected_attributes
from ccas.vault.workflows.definition import VaultWorkflowDefinition
from plone import api
from plone.indexer.interfaces import IIndexableObject
from Products.DCWorkflow.DCWorkflow import DCWorkflowDefinition
from Products.DCWorkflow.utils import ac_inherited_permissions
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from zope.component import getMultiAdapter
import pytest
import transaction


PROFILE = "ccas.vault:default"


@pytest.fixture
def contents(portal):
    """One object of every vault type (one per workflow), by name; a paper certified and shared."""
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("certificateur")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", receive_ccas_letters=True))
    mandate = active_mandate(vault)
    private = deposit_as("jdupont", vault["prive"])
    shared = deposit_as("jdupont", vault["partage"], document_type="cni")
    vault["partage"].manage_setLocalRoles("certificateur", ["VaultDepositor", "VaultCertifier"])
    with acting_as("certificateur"):
        documents.certify(shared)
    with acting_as("jdupont"):
        link = links.create_link(vault, [shared], "Mme Martin", "7d")[0]
    return {
        "directory": portal["coffres"],
        "vault": vault,
        "private space": vault["prive"],
        "shared space": vault["partage"],
        "mail folder": vault["partage"]["courrier-du-ccas"],
        "private paper": private,
        "certified paper": shared,
        "mandate": mandate,
        "share link": link,
    }


def stock_lookup(ob, permission):
    """What stock DCWorkflow's ``modifyRolesForPermission`` finds ``permission`` protects."""
    for name, data in (entry[:2] for entry in ac_inherited_permissions(ob, 1)):
        if name == permission:
            return data
    return ()


def workflow_of(ob):
    (workflow,) = api.portal.get_tool("portal_workflow").getWorkflowsFor(ob)
    return workflow


def test_the_vaults_workflows_are_vault_workflow_definitions(portal):
    tool = api.portal.get_tool("portal_workflow")
    for workflow_id in WORKFLOWS:
        workflow = tool.getWorkflowById(workflow_id)
        assert isinstance(workflow, VaultWorkflowDefinition)
        assert workflow.meta_type == META_TYPE
    types = {info["id"]: info["meta_type"] for info in tool._objects}
    assert {types[workflow_id] for workflow_id in WORKFLOWS} == {META_TYPE}
    # Plone's own workflows are untouched.
    assert (
        type(aq_base(tool.getWorkflowById("simple_publication_workflow"))) is DCWorkflowDefinition
    )


def test_every_type_covers_every_workflow(contents):
    assert {workflow_of(ob).getId() for ob in contents.values()} == set(WORKFLOWS)


def test_each_permission_protects_what_stock_dcworkflow_finds(contents):
    for ob in contents.values():
        workflow = workflow_of(ob)
        assert len(workflow.permissions) == 40
        for permission in workflow.permissions:
            assert protected_attributes(ob).get(permission, ()) == stock_lookup(ob, permission), (
                ob.portal_type,
                permission,
            )


def maps(ob, workflow):
    """The object's role → permission maps (a list: acquired; a tuple: not)."""
    return {p: Permission(p, (), ob).getRoles() for p in workflow.permissions}


def test_after_a_state_change_the_maps_are_the_ones_stock_dcworkflow_writes(contents):
    for ob in contents.values():
        workflow = workflow_of(ob)
        ours = (workflow.updateRoleMappingsFor(ob), maps(ob, workflow))
        stock = (DCWorkflowDefinition.updateRoleMappingsFor(workflow, ob), maps(ob, workflow))
        assert ours == stock, ob.portal_type


def test_a_map_changed_by_hand_is_set_back_as_stock_dcworkflow_would(contents):
    changed = ("View", "Access contents information", "Modify portal content")
    for ob in contents.values():
        workflow = workflow_of(ob)
        before = maps(ob, workflow)
        for permission in changed:
            ob.manage_permission(permission, roles=["Manager", "Site Administrator"], acquire=1)
        assert maps(ob, workflow) != before
        assert workflow.updateRoleMappingsFor(ob) == 1
        assert maps(ob, workflow) == before
        for permission in changed:
            ob.manage_permission(permission, roles=["Manager", "Site Administrator"], acquire=1)
        DCWorkflowDefinition.updateRoleMappingsFor(workflow, ob)
        assert maps(ob, workflow) == before, ob.portal_type


def test_the_manager_still_cannot_read_a_certified_paper(contents):
    shared = contents["certified paper"]
    assert api.content.get_state(shared) == "certified"
    with acting_as("jdupont"):
        assert api.user.has_permission("View", obj=shared)
    make_user("chef", ["Manager", "Site Administrator"])
    with acting_as("chef"):
        assert not api.user.has_permission("View", obj=shared)
        assert not api.user.has_permission("Access contents information", obj=shared)


def test_a_certified_papers_catalog_entry_has_its_new_security(contents):
    shared = contents["certified paper"]
    catalog = api.portal.get_tool("portal_catalog")
    (brain,) = catalog.unrestrictedSearchResults(UID=shared.UID())
    indexed = catalog.getIndexDataForRID(brain.getRID())["allowedRolesAndUsers"]
    wrapper = getMultiAdapter((shared, catalog), IIndexableObject)
    assert sorted(indexed) == sorted(wrapper.allowedRolesAndUsers)
    assert "Manager" not in indexed and "Site Administrator" not in indexed


def test_an_items_security_reindex_updates_its_own_entry_only(contents):
    paper = contents["private paper"]
    catalog = api.portal.get_tool("portal_catalog")
    (brain,) = catalog.unrestrictedSearchResults(UID=paper.UID())
    rid = brain.getRID()
    paper.manage_permission("Access contents information", roles=["Reader"], acquire=0)
    paper.reindexObjectSecurity()
    catalog.unrestrictedSearchResults(UID=paper.UID())  # the queue is processed
    assert "Reader" in catalog.getIndexDataForRID(rid)["allowedRolesAndUsers"]
    modified = catalog.getIndexDataForRID(rid)["modified"]
    paper.manage_permission("Access contents information", roles=[], acquire=0)
    paper.reindexObjectSecurity(skip_self=True)  # nothing under an item: nothing to do
    catalog.unrestrictedSearchResults(UID=paper.UID())
    assert "Reader" in catalog.getIndexDataForRID(rid)["allowedRolesAndUsers"]
    assert catalog.getIndexDataForRID(rid)["modified"] == modified


def as_stock_definitions(tool):
    """Give the vault's workflows DCWorkflow's class, as a site installed at 1003 has them."""
    for workflow_id in WORKFLOWS:
        aq_base(tool.getWorkflowById(workflow_id)).__class__ = DCWorkflowDefinition
    tool._objects = tuple(
        {**info, "meta_type": "Workflow"} if info["id"] in WORKFLOWS else info
        for info in tool._objects
    )


@pytest.fixture
def site_at_1003(portal):
    """The test site made to look like one installed at 1003: stock DCWorkflow definitions,
    one workflow policy switched on (it changes the document workflow)."""
    make_user("archiviste", ["RecordsManager"])
    with acting_as("archiviste"):
        apply.change("expiry-flag-only", True, {})
    as_stock_definitions(api.portal.get_tool("portal_workflow"))
    api.portal.get_tool("portal_setup").setLastVersionForProfile(PROFILE, "1003")
    return portal


def test_upgrading_from_1003_gives_the_workflows_their_class_and_keeps_them(site_at_1003):
    setup = api.portal.get_tool("portal_setup")
    tool = api.portal.get_tool("portal_workflow")
    before = guard.snapshot(site_at_1003)
    last = int(setup.getVersionForProfile(PROFILE))
    assert [(s["ssource"], s["sdest"]) for s in setup.listUpgrades(PROFILE)] == [
        (str(version), str(version + 1)) for version in range(1003, last)
    ]
    setup.upgradeProfile(PROFILE)
    assert setup.getLastVersionForProfile(PROFILE) == (str(last),)
    for workflow_id in WORKFLOWS:
        assert type(aq_base(tool.getWorkflowById(workflow_id))) is VaultWorkflowDefinition
    assert {info["meta_type"] for info in tool._objects if info["id"] in WORKFLOWS} == {META_TYPE}
    assert guard.snapshot(site_at_1003) == before  # states, transitions, maps: as they were
    document_workflow = tool.getWorkflowById("ccas_vault_document_workflow")
    assert "expire" not in document_workflow.states["deposited"].transitions  # the policy
    assert (
        type(aq_base(tool.getWorkflowById("simple_publication_workflow"))) is DCWorkflowDefinition
    )


def test_the_1004_step_is_idempotent(site_at_1003):
    assert upgrade(None) == list(WORKFLOWS)
    assert upgrade(None) == []


def test_after_the_upgrade_a_new_connection_loads_the_new_class(functional_portal):
    as_stock_definitions(api.portal.get_tool("portal_workflow"))
    transaction.commit()
    assert upgrade(None) == list(WORKFLOWS)
    transaction.commit()
    connection = functional_portal._p_jar.db().open()  # as after a restart: nothing cached
    try:
        site = connection.root()["Application"][functional_portal.getId()]
        fresh_tool = site._getOb("portal_workflow")
        for workflow_id in WORKFLOWS:
            assert type(aq_base(fresh_tool._getOb(workflow_id))) is VaultWorkflowDefinition
    finally:
        connection.close()
