"""plone.app.testing layers of ccas.vault."""

from plone.app.testing import applyProfile
from plone.app.testing import FunctionalTesting
from plone.app.testing import IntegrationTesting
from plone.app.testing import PLONE_FIXTURE
from plone.app.testing import PloneSandboxLayer
from plone.testing import zope
from plone.testing.zope import WSGI_SERVER_FIXTURE
import os
import tempfile


os.environ.setdefault("zope_i18n_compile_mo_files", "true")
os.environ.setdefault("zope_i18n_allowed_languages", "fr en")
# The CCAS seal keys of the test sites live in a throw-away folder.
os.environ.setdefault("CCAS_VAULT_KEY_DIR", tempfile.mkdtemp(prefix="ccas-vault-keys-"))


class CcasVaultLayer(PloneSandboxLayer):
    """A Plone site with ``ccas.vault:default`` installed."""

    defaultBases = (PLONE_FIXTURE,)

    def setUpZope(self, app, configurationContext):
        import ccas.vault
        import collective.workspace
        import plone.restapi

        for package in (plone.restapi, collective.workspace, ccas.vault):
            self.loadZCML(package=package)
        zope.installProduct(app, "collective.workspace")

    def tearDownZope(self, app):
        zope.uninstallProduct(app, "collective.workspace")

    def setUpPloneSite(self, portal):
        applyProfile(portal, "ccas.vault:default")


CCAS_VAULT_FIXTURE = CcasVaultLayer()

CCAS_VAULT_INTEGRATION_TESTING = IntegrationTesting(
    bases=(CCAS_VAULT_FIXTURE,), name="CcasVaultLayer:IntegrationTesting"
)

CCAS_VAULT_FUNCTIONAL_TESTING = FunctionalTesting(
    bases=(CCAS_VAULT_FIXTURE, WSGI_SERVER_FIXTURE), name="CcasVaultLayer:FunctionalTesting"
)
