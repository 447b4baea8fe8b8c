"""Upgrading a site installed with an older profile keeps what records managers changed."""

from ccas.vault.checklists import records as checklist_records
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import update_document_type
from plone import api
from plone.registry.interfaces import IRegistry
from zope.component import getUtility
import pytest


PROFILE = "ccas.vault:default"


@pytest.fixture
def site_at_1000(portal):
    """The test site made to look like one installed before version 1001."""
    registry = getUtility(IRegistry)
    for key in [k for k in list(registry.records) if k.startswith("ccas.vault.checklists/")]:
        del registry.records[key]
    del registry.records["ccas.vault.settings.city_name"]
    portal.portal_types.manage_delObjects(["ShareLink"])
    setup = api.portal.get_tool("portal_setup")
    setup.setLastVersionForProfile(PROFILE, "1000")
    return portal


def upgrade():
    setup = api.portal.get_tool("portal_setup")
    setup.upgradeProfile(PROFILE)
    return setup.getLastVersionForProfile(PROFILE)


def test_the_profile_version_is_the_last_upgrade_destination(portal):
    setup = api.portal.get_tool("portal_setup")
    assert setup.getLastVersionForProfile(PROFILE) == ("1002",)
    assert setup.listUpgrades(PROFILE) == []


def test_upgrading_adds_the_new_types_settings_and_checklists(site_at_1000):
    assert len(checklist_records()) == 0
    assert upgrade() == ("1002",)  # through 1001, then 1002
    assert "ShareLink" in site_at_1000.portal_types
    assert api.portal.get_registry_record("ccas.vault.settings.city_name") in ("", None)
    assert sorted(checklist_records().keys()) == [
        "complementaire-sante-solidaire",
        "demande-logement-social",
        "domiciliation",
        "dossier-rsa",
    ]


def test_upgrading_keeps_the_records_managers_changes(site_at_1000):
    update_document_type("attestation-caf", validity_months=6)
    api.portal.set_registry_record("ccas.vault.settings.max_upload_size_mb", 35)
    upgrade()
    assert get_document_type("attestation-caf").validity_months == 6
    assert api.portal.get_registry_record("ccas.vault.settings.max_upload_size_mb") == 35


def test_upgrading_never_brings_back_a_checklist_the_records_manager_removed(site_at_1000):
    from ccas.vault.upgrades.v1001 import import_preloaded_checklists

    registry = getUtility(IRegistry)
    assert import_preloaded_checklists(registry) is True
    for key in [k for k in list(registry.records) if "/domiciliation." in k]:
        del registry.records[key]
    assert import_preloaded_checklists(registry) is False
    assert "domiciliation" not in checklist_records()
