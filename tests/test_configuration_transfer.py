"""A configuration exported from one CCAS's site is reproduced in a fresh site."""

from Acquisition import aq_parent
from ccas.vault.checklists import add_checklist
from ccas.vault.document_types import update_document_type
from ccas.vault.organisations import add_organisation
from ccas.vault.policies import apply
from ccas.vault.policies.export import export_configuration
from ccas.vault.policies.export import import_configuration
from contextlib import contextmanager
from plone import api
from plone.app.testing import applyProfile
from Products.CMFPlone.factory import addPloneSite
from vaults import acting_as
from vaults import make_user
from zope.component.hooks import getSite
from zope.component.hooks import setSite
import json


@contextmanager
def fresh_site(portal, site_id):
    """A second Plone site with the add-on, in the same Zope; the test's site comes back after."""
    try:
        site = addPloneSite(aq_parent(portal), site_id)
        setSite(site)
        applyProfile(site, "ccas.vault:default")
        yield site
    finally:
        setSite(portal)


def comparable(exported):
    exported = json.loads(json.dumps(exported))  # through a file
    exported.pop("exported_at")
    return exported


def test_export_from_one_site_then_import_into_a_fresh_site(portal):
    make_user("archiviste", ["RecordsManager"])
    update_document_type("attestation-caf", validity_months=4, reminder_days=[15, 2])
    add_organisation("departement", title="Département", kind="departement", group_id="dep")
    add_checklist("aide-energie", title_fr="Chèque énergie", items=["avis-imposition", "rib"])
    with acting_as("archiviste"):
        apply.change("sharing-rules", True, {"durations": ["1d", "7d"], "code_required": True})
        apply.change("mandate-rules", True, {"default_months": 6, "allow_until_revoked": False})
        apply.change("four-eyes-certification", True)
    exported = comparable(export_configuration(portal))

    with fresh_site(portal, "autre-ccas") as fresh:
        make_user("archiviste", ["RecordsManager"])
        assert comparable(export_configuration(fresh)) != exported  # really a fresh site
        with acting_as("archiviste"):
            import_configuration(json.loads(json.dumps(exported)))
        assert comparable(export_configuration(fresh)) == exported
        workflow = api.portal.get_tool("portal_workflow")["ccas_vault_document_workflow"]
        assert "pending_certification" in workflow.states  # the policy was applied, not only noted
    assert getSite() is portal
