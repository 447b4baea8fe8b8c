"""Installing and uninstalling ccas.vault."""

from Acquisition import aq_base
from ccas.vault import profiles_dir
from ccas.vault import roles
from ccas.vault.interfaces import ICcasVaultLayer
from plone import api
from plone.app.testing import applyProfile
from xml.etree import ElementTree
import pytest


PACKAGE = "ccas.vault"


@pytest.fixture
def package_name():
    return PACKAGE


class TestInstall:
    def test_product_installed(self, installer):
        assert installer.is_product_installed(PACKAGE) is True

    def test_browser_layer_registered(self, browser_layers):
        assert ICcasVaultLayer in browser_layers

    def test_profile_version_matches_metadata(self, setup_tool):
        metadata = ElementTree.parse(profiles_dir() / "default" / "metadata.xml")
        expected = metadata.findtext("version")
        assert setup_tool.getLastVersionForProfile(f"{PACKAGE}:default") == (expected,)

    @pytest.mark.parametrize(
        "dependency", ["plone.restapi", "collective.workspace", "plone.app.dexterity"]
    )
    def test_dependencies_installed(self, installer, dependency):
        assert installer.is_product_installed(dependency) is True

    def test_rolemap_declares_exactly_the_global_roles_the_code_names(self):
        rolemap = ElementTree.parse(profiles_dir() / "default" / "rolemap.xml")
        declared = {role.get("name") for role in rolemap.find("roles").iter("role")}
        assert declared == set(roles.GLOBAL_ROLES)

    @pytest.mark.parametrize("role", roles.GLOBAL_ROLES)
    def test_global_role_exists(self, portal, role):
        assert role in portal.valid_roles()
        assert role in portal.acl_users.portal_role_manager.listRoleIds()

    @pytest.mark.parametrize("role", roles.LOCAL_ROLES)
    def test_local_role_is_defined_on_the_vault_directory_only(self, portal, role):
        assert role not in portal.valid_roles()
        assert role not in portal.acl_users.portal_role_manager.listRoleIds()
        assert role in portal["coffres"].valid_roles()

    @pytest.mark.parametrize("role", roles.LOCAL_ROLES)
    def test_local_role_granted_site_wide_is_not_honoured(self, portal, role):
        """Plone's role manager stores any role; the user factory drops these."""
        api.user.create(email="x@example.org", username="intrus", password="Secret-123456")
        api.user.grant_roles(username="intrus", roles=[role, "Member"])
        api.group.grant_roles(groupname="AuthenticatedUsers", roles=[role])
        user = portal.acl_users.getUserById("intrus")
        assert role not in user.getRoles()
        assert role not in user.getRolesInContext(portal["coffres"])
        assert "Member" in user.getRoles()

    def test_control_panels_listed(self, controlpanel_actions):
        assert "ccas-document-types" in controlpanel_actions

    def test_vault_user_factory_comes_first(self, portal):
        from Products.PluggableAuthService.interfaces.plugins import IUserFactoryPlugin

        factories = portal.acl_users.plugins.listPluginIds(IUserFactoryPlugin)
        assert factories[0] == "ccas_vault_user_factory"

    def test_vault_directory_exists(self, portal):
        assert portal["coffres"].portal_type == "VaultDirectory"

    def test_beneficiaries_group_holds_the_beneficiary_role(self, portal):
        group = api.group.get(groupname=roles.BENEFICIARIES_GROUP)
        assert roles.BENEFICIARY in group.getRoles()

    def test_reinstalling_keeps_the_vault_directory(self, portal):
        directory = aq_base(portal["coffres"])
        applyProfile(portal, "ccas.vault:default")
        assert aq_base(portal["coffres"]) is directory

    def test_demo_and_uninstall_profiles_are_hidden(self, portal):
        from plone.base.interfaces import INonInstallable
        from zope.component import getAllUtilitiesRegisteredFor

        hidden = set()
        for utility in getAllUtilitiesRegisteredFor(INonInstallable):
            hidden.update(utility.getNonInstallableProfiles())
        assert {f"{PACKAGE}:demo", f"{PACKAGE}:uninstall"} <= hidden
        assert f"{PACKAGE}:default" not in hidden

    def test_default_profile_creates_no_account(self, portal):
        logins = {user.getUserName() for user in api.user.get_users()}
        assert not logins & {"accueil", "alice.martin", "ged"}


class TestUninstall:
    """Uninstalling removes the configuration, never people's vaults."""

    @pytest.fixture(autouse=True)
    def uninstalled(self, installer):
        installer.uninstall_product(PACKAGE)

    def test_product_uninstalled(self, installer):
        assert installer.is_product_installed(PACKAGE) is False

    def test_browser_layer_removed(self, browser_layers):
        assert ICcasVaultLayer not in browser_layers

    def test_control_panels_removed(self, controlpanel_actions):
        ours = {action for action in controlpanel_actions if action.startswith("ccas-")}
        assert ours == set()

    def test_agent_home_tab_removed(self, portal):
        assert "ccas-agent-home" not in portal.portal_actions.portal_tabs.objectIds()

    def test_user_factory_removed(self, portal):
        assert "ccas_vault_user_factory" not in portal.acl_users.objectIds()

    def test_vault_directory_is_kept(self, portal):
        assert "coffres" in portal.objectIds()

    @pytest.mark.parametrize("role", roles.GLOBAL_ROLES)
    def test_role_removed(self, portal, role):
        assert role not in portal.valid_roles()
        assert role not in portal.acl_users.portal_role_manager.listRoleIds()
