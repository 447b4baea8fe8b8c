"""Upgrading a site installed with an older profile keeps what records managers changed."""

from ccas.vault.bruteforce.plugin import PLUGIN_ID as THROTTLE_ID
from ccas.vault.bruteforce.plugin import uninstall as uninstall_login_throttle
from ccas.vault.checklists import records as checklist_records
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import update_document_type
from plone import api
from plone.registry.interfaces import IRegistry
from Products.PluggableAuthService.interfaces.plugins import IAuthenticationPlugin
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
    assert setup.getLastVersionForProfile(PROFILE) == ("1009",)
    assert setup.listUpgrades(PROFILE) == []


def test_upgrading_adds_the_new_types_settings_and_checklists(site_at_1000):
    assert len(checklist_records()) == 0
    assert upgrade() == ("1009",)  # through 1001 ... 1007, 1008, then 1009
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


@pytest.fixture
def site_at_1002(portal):
    """The test site made to look like one installed at version 1002 (before issue 8)."""
    portal.portal_actions.portal_tabs.manage_delObjects(["ccas-agent-home"])
    controlpanel = api.portal.get_tool("portal_controlpanel")
    controlpanel.unregisterConfiglet("ccas-settings")
    controlpanel.unregisterConfiglet("ccas-indicateurs")
    registry = getUtility(IRegistry)
    del registry.records["ccas.vault.settings.self_service_opening"]
    del registry.records["ccas.vault.settings.ccas_name"]
    portal.manage_permission("ccas.vault: View indicators", roles=[], acquire=False)
    uninstall_login_throttle(portal.acl_users)
    api.portal.set_registry_record("ccas.vault.settings.max_upload_size_mb", 35)
    api.portal.get_tool("portal_setup").setLastVersionForProfile(PROFILE, "1002")
    return portal


def configlets():
    return {action.getId() for action in api.portal.get_tool("portal_controlpanel").listActions()}


def test_upgrading_from_1002_adds_the_agent_home_panels_and_settings(site_at_1002):
    assert upgrade() == ("1009",)
    assert "ccas-agent-home" in site_at_1002.portal_actions.portal_tabs.objectIds()
    assert {"ccas-settings", "ccas-indicateurs"} <= configlets()
    # New settings come with their defaults (self-service opening stays off) ...
    assert api.portal.get_registry_record("ccas.vault.settings.self_service_opening") is False
    assert api.portal.get_registry_record("ccas.vault.settings.ccas_name") in ("", None)
    # ... existing values are kept, and records managers may read the indicators again.
    assert api.portal.get_registry_record("ccas.vault.settings.max_upload_size_mb") == 35
    allowed = {
        item["name"]
        for item in site_at_1002.rolesOfPermission("ccas.vault: View indicators")
        if item["selected"]
    }
    assert "RecordsManager" in allowed
    # Logins are throttled before any other plugin checks a password.
    plugins = site_at_1002.acl_users.plugins
    assert plugins.listPluginIds(IAuthenticationPlugin)[0] == THROTTLE_ID


def test_upgrading_from_1002_encrypts_the_files_stored_before(site_at_1002):
    from ccas.vault.encryption.blobs import EncryptedBlobFile
    from plone.namedfile.file import NamedBlobFile
    from vaults import consent_as_owner
    from vaults import deposit_as
    from vaults import make_agent
    from vaults import open_vault_as
    from vaults import pdf_bytes

    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"], data=pdf_bytes("Avant 1003"))
    plaintext = paper.file.data
    paper.file = NamedBlobFile(plaintext, "application/pdf", "avis.pdf")  # as stored by 1002
    assert b"Avant 1003" in paper.file._blob.open().read()

    upgrade()
    assert isinstance(paper.file, EncryptedBlobFile)
    assert paper.file.data == plaintext
    assert b"Avant 1003" not in paper.file.raw()


def test_upgrading_from_1005_makes_the_self_service_switch_optional_and_keeps_its_value(portal):
    """A required Bool's checkbox could not be unticked in a browser (issue 20, item 6)."""
    from ccas.vault.settings import IVaultSettings
    from plone.registry import field as registry_field
    from plone.registry import Record

    name = "ccas.vault.settings.self_service_opening"
    registry = getUtility(IRegistry)
    old = registry_field.Bool(title="old", required=True)
    old.interfaceName, old.fieldName = IVaultSettings.__identifier__, "self_service_opening"
    registry.records[name] = Record(old, True)
    assert registry.records[name].field.required is True
    api.portal.get_tool("portal_setup").setLastVersionForProfile(PROFILE, "1005")
    assert upgrade() == ("1009",)
    assert registry.records[name].field.required is False
    assert api.portal.get_registry_record(name) is True


def test_the_catch_up_step_brings_back_what_a_site_never_received(portal):
    """Upgrade 1008 (issue 25): preloaded records, Plone's records the profile sets, the
    install handler's PAS plugins, the site permissions."""
    from ccas.vault.account.sessions import PLUGIN_ID as SESSION_ENDER
    from ccas.vault.organisations import get_organisation
    from ccas.vault.upgrades.v1008 import catch_up

    registry = getUtility(IRegistry)
    for key in [k for k in list(registry.records) if k.startswith("ccas.vault.organisations/")]:
        del registry.records[key]
    unthemed = "plone.app.theming.interfaces.IThemeSettings.hostnameBlacklist"
    api.portal.set_registry_record(unthemed, ["127.0.0.1"])  # Plone's default
    portal.acl_users.manage_delObjects([SESSION_ENDER])
    portal.manage_permission("Show Toolbar", roles=["Authenticated"], acquire=False)
    assert get_organisation("ccas") is None

    changed = catch_up()
    assert get_organisation("ccas").may_certify is True
    assert get_organisation("caf").title == "CAF"
    assert unthemed in changed
    assert api.portal.get_registry_record(unthemed) == []
    assert SESSION_ENDER in portal.acl_users.objectIds()
    toolbar = {r["name"] for r in portal.rolesOfPermission("Show Toolbar") if r["selected"]}
    assert "Authenticated" not in toolbar and "VaultAgent" in toolbar
    assert catch_up() == []  # idempotent


def test_the_catch_up_step_keeps_what_records_managers_and_administrators_changed(portal):
    from ccas.vault.organisations import get_organisation
    from ccas.vault.organisations import set_enabled
    from ccas.vault.organisations import update_organisation
    from ccas.vault.upgrades.v1008 import catch_up

    update_document_type("attestation-caf", validity_months=6, label_fr="Attestation CAF (QF)")
    update_organisation("caf", may_certify=True)
    set_enabled("ccas", False)
    api.portal.set_registry_record("ccas.vault.settings.max_upload_size_mb", 35)
    unthemed = "plone.app.theming.interfaces.IThemeSettings.hostnameBlacklist"
    api.portal.set_registry_record(unthemed, ["intranet.example"])
    registry = getUtility(IRegistry)
    for key in [k for k in list(registry.records) if "/domiciliation." in k]:
        del registry.records[key]

    assert catch_up() == []
    info = get_document_type("attestation-caf")
    assert (info.validity_months, info.label_fr) == (6, "Attestation CAF (QF)")
    assert get_organisation("caf").may_certify is True
    assert get_organisation("ccas").enabled is False
    assert api.portal.get_registry_record("ccas.vault.settings.max_upload_size_mb") == 35
    assert api.portal.get_registry_record(unthemed) == ["intranet.example"]
    assert "domiciliation" not in checklist_records()
