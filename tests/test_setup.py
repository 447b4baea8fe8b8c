"""Installing and uninstalling ccas.vault."""

from ccas.vault import profiles_dir
from ccas.vault import roles
from ccas.vault.interfaces import ICcasVaultLayer
from plone import api
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

    def test_rolemap_declares_exactly_the_roles_the_code_names(self):
        rolemap = ElementTree.parse(profiles_dir() / "default" / "rolemap.xml")
        declared = {role.get("name") for role in rolemap.iter("role")}
        assert declared == set(roles.ALL_ROLES)

    @pytest.mark.parametrize("role", roles.ALL_ROLES)
    def test_role_exists(self, portal, role):
        assert role in portal.valid_roles()
        assert role in portal.acl_users.portal_role_manager.listRoleIds()

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
    @pytest.fixture(autouse=True)
    def uninstalled(self, installer):
        installer.uninstall_product(PACKAGE)

    def test_product_uninstalled(self, installer):
        assert installer.is_product_installed(PACKAGE) is False

    def test_browser_layer_removed(self, browser_layers):
        assert ICcasVaultLayer not in browser_layers

    @pytest.mark.parametrize("role", roles.ALL_ROLES)
    def test_role_removed(self, portal, role):
        assert role not in portal.valid_roles()
        assert role not in portal.acl_users.portal_role_manager.listRoleIds()
