"""plone.app.testing layers of ccas.vault."""

from plone.app.testing import applyProfile
from plone.app.testing import FunctionalTesting
from plone.app.testing import IntegrationTesting
from plone.app.testing import PloneSandboxLayer
from plone.app.testing.layers import PloneFixture
from plone.testing import zope
import atexit
import base64
import os
import re
import shutil
import tempfile
import threading


os.environ.setdefault("zope_i18n_compile_mo_files", "true")
os.environ.setdefault("zope_i18n_allowed_languages", "fr en")
# The CCAS seal keys of the test sites live in a throw-away folder, removed at exit.
if "CCAS_VAULT_KEY_DIR" not in os.environ:
    os.environ["CCAS_VAULT_KEY_DIR"] = tempfile.mkdtemp(prefix="ccas-vault-keys-")
    atexit.register(shutil.rmtree, os.environ["CCAS_VAULT_KEY_DIR"], True)
# The master key of encryption at rest comes from the environment in tests, so that tests
# pointing CCAS_VAULT_KEY_DIR to an empty folder (seal keys) still read the papers.
os.environ.setdefault("CCAS_VAULT_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


#: A libpq DSN: the layers' databases are then RelStorage on PostgreSQL (decision 0023).
TEST_STORAGE = os.environ.get("CCAS_VAULT_TEST_STORAGE", "")


def relstorage_db(dsn, name, zap=False):
    """A ZODB on RelStorage/PostgreSQL, configured as ``ccas-vault-instance`` does
    (history kept, blobs in the database, a private blob cache removed at exit).
    ``zap`` first empties the database."""
    from relstorage.adapters.postgresql import PostgreSQLAdapter
    from relstorage.options import Options
    from relstorage.storage import RelStorage
    from ZODB.DB import DB

    cache = tempfile.mkdtemp(prefix="ccas-vault-blobcache-")
    atexit.register(shutil.rmtree, cache, True)
    options = Options(blob_dir=cache, shared_blob_dir=False, keep_history=True)
    storage = RelStorage(PostgreSQLAdapter(dsn=dsn, options=options), options=options, name=name)
    if zap:
        storage.zap_all()
    return DB(storage)


class _Serialized:
    """A storage whose calls take turns: DemoStorage shares its base between all
    the connections (threads) of the test server, and a RelStorage instance (one
    database session) must not be used by two threads at once."""

    def __init__(self, storage):
        from zope.interface import directlyProvides
        from zope.interface import providedBy

        self._storage = storage
        self._lock = threading.RLock()
        directlyProvides(self, providedBy(storage))

    def __getattr__(self, name):
        value = getattr(self._storage, name)
        if not callable(value):
            return value

        def serialized(*args, **kwargs):
            with self._lock:
                return value(*args, **kwargs)

        return serialized


class RelStorageStartup(zope.Startup):
    """``zope.STARTUP`` whose database is RelStorage instead of a DemoStorage:
    the Zope application is committed to PostgreSQL."""

    def setUpDatabase(self):
        super().setUpDatabase()  # installs the DB facade that Zope opens
        self["zodbDB"].close()
        self["zodbDB"] = relstorage_db(TEST_STORAGE, "Startup", zap=True)


class RelStoragePloneFixture(PloneFixture):
    """``PLONE_FIXTURE`` committing the Plone site to PostgreSQL (a second client of
    the same database).  The layers above stack their DemoStorages as usual on a
    DemoStorage that reads PostgreSQL and never closes it (plone.testing closes a
    stacked storage's base when it pops it)."""

    def setUp(self):
        from ZODB.DB import DB
        from ZODB.DemoStorage import DemoStorage

        self._relstorage_db = self["zodbDB"] = relstorage_db(TEST_STORAGE, "PloneFixture")
        self.setUpZCML()
        with zope.zopeApp() as app:  # commits
            self.setUpProducts(app)
            self.setUpDefaultContent(app)
        base = _Serialized(self._relstorage_db.storage)
        self["zodbDB"] = DB(DemoStorage("PloneFixture", base=base, close_base_on_close=False))

    def tearDown(self):
        super().tearDown()
        self._relstorage_db.close()


class ShippedStartup(zope.Startup):
    """``zope.STARTUP`` configured as the instances the project ships (decision 0031).

    plone.testing's startup loads a trimmed ``site.zcml`` and switches
    AccessControl to its Python implementation.  This one loads the prelude of
    the ``site.zcml`` that ``ccas-vault-instance`` writes (with its standard
    ``redefinePermission zope2.Public → zope2.View``, kept by the configuration
    contexts stacked above it, so that Plone's and the add-on's ZCML are read
    under it) and runs AccessControl's C implementation, as every production
    Zope does.
    """

    def setUpZCML(self):
        super().setUpZCML()
        from ccas.vault.scripts.instance import SITE_ZCML_PRELUDE
        from zope.configuration import xmlconfig

        context = self["configurationContext"]
        xmlconfig.string(
            '<configure xmlns="http://namespaces.zope.org/zope"'
            ' xmlns:meta="http://namespaces.zope.org/meta">\n'
            f"{SITE_ZCML_PRELUDE}</configure>",
            context=context,
        )
        # In an instance, the redefinitions of site.zcml itself hold for every file it
        # loads after them, and those of an included file (Zope2.App's zope2.Public →
        # zope.Public) only inside that file.  plone.testing primes one mapping for all
        # its stacked contexts, which lets the included ones leak: keep site.zcml's.
        context.permission_mapping = dict(
            re.findall(r'<meta:redefinePermission from="([^"]+)" to="([^"]+)"', SITE_ZCML_PRELUDE)
        )

    def setUpDebugMode(self):
        """plone.testing's, without its ``setImplementation("Python")`` (which also
        locks the choice: AccessControl takes only the first call): the C
        implementation, AccessControl's default, stays."""
        import App.config

        config = App.config.getConfiguration()
        self._debugMode = config.debug_mode
        config.debug_mode = False
        App.config.setConfiguration(config)
        os.environ["ZOPETESTCASE"] = "1"  # what plone.testing sets for Plone's test shortcuts


class ShippedRelStorageStartup(ShippedStartup, RelStorageStartup):
    """:class:`ShippedStartup` on RelStorage (``CCAS_VAULT_TEST_STORAGE``)."""


if TEST_STORAGE:
    STARTUP = ShippedRelStorageStartup(name="Startup:Shipped:RelStorage")
    PLONE_BASE = RelStoragePloneFixture(bases=(STARTUP,), name="PloneFixture:RelStorage")
else:
    STARTUP = ShippedStartup(name="Startup:Shipped")
    PLONE_BASE = PloneFixture(bases=(STARTUP,), name="PloneFixture:Shipped")
WSGI_SERVER_FIXTURE = zope.WSGIServer(bases=(STARTUP,), name="WSGIServer:Shipped")


class CcasVaultLayer(PloneSandboxLayer):
    """A Plone site with ``ccas.vault:default`` installed."""

    defaultBases = (PLONE_BASE,)

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


CCAS_VAULT_FIXTURE = CcasVaultLayer(
    bases=(PLONE_BASE,), name="CcasVaultLayer:RelStorage" if TEST_STORAGE else "CcasVaultLayer"
)

CCAS_VAULT_INTEGRATION_TESTING = IntegrationTesting(
    bases=(CCAS_VAULT_FIXTURE,), name="CcasVaultLayer:IntegrationTesting"
)

CCAS_VAULT_FUNCTIONAL_TESTING = FunctionalTesting(
    bases=(CCAS_VAULT_FIXTURE, WSGI_SERVER_FIXTURE), name="CcasVaultLayer:FunctionalTesting"
)
