"""A functional layer holding the data of the access matrix (built once)."""

from ccas.vault.api import documents
from ccas.vault.api import vaults as vault_api
from ccas.vault.security import as_system
from ccas.vault.testing import CCAS_VAULT_FIXTURE
from datetime import date
from plone import api
from plone.app.testing import FunctionalTesting
from plone.app.testing import PloneSandboxLayer
from plone.testing.zope import WSGI_SERVER_FIXTURE
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes


# actor -> login (None: anonymous); "owner" is resolved per object
LOGINS = {
    "other_beneficiary": "autre",
    "agent": "agent",
    "supervisor": "chef",
    "records_manager": "archiviste",
    "ged": "ged",
    "site_admin": "siteadmin",
    "manager": "manager",
    "anonymous": None,
}

# object key -> {"path": path from the portal, "owner": login, "space": path}
OBJECTS = {}


def _consent(vault):
    with api.env.adopt_user(username=vault.owner_login):
        vault_api.record_consent(vault, method="electronic")
    return vault


def _transition(obj, transition):
    with as_system():
        api.content.transition(obj=obj, transition=transition)


class MatrixLayer(PloneSandboxLayer):
    defaultBases = (CCAS_VAULT_FIXTURE,)

    def setUpPloneSite(self, portal):
        make_agent("accueil")
        make_agent("agent")
        make_agent("chef", extra_roles=("Editor", "Reviewer", "Contributor"))
        make_user("archiviste", ["RecordsManager"])
        make_user("ged", ["GEDConnector"])
        make_user("siteadmin", ["Site Administrator"])
        make_user("manager", ["Manager"])

        def remember(key, obj, owner):
            OBJECTS[key] = {"path": "/".join(obj.getPhysicalPath()[2:]), "owner": owner}

        awaiting = open_vault_as("accueil", "attente", first="Awa", last="Attente")
        remember("vault:awaiting_consent", awaiting, "attente")

        vault = _consent(open_vault_as("accueil", "proprio", first="Paul", last="Proprio"))
        remember("vault:open", vault, "proprio")
        remember("doc:private", deposit_as("proprio", vault["prive"]), "proprio")
        remember("doc:shared", deposit_as("proprio", vault["partage"]), "proprio")
        certified = deposit_as("proprio", vault["partage"], document_type="cni")
        _transition(certified, "certify")
        remember("doc:certified", certified, "proprio")
        expired = deposit_as("proprio", vault["partage"], valid_until=date(2020, 1, 1))
        _transition(expired, "expire")
        remember("doc:expired", expired, "proprio")
        old = deposit_as("proprio", vault["partage"], document_type="avis-imposition")
        with api.env.adopt_user(username="proprio"):
            documents.replace(old, data=pdf_bytes("2026"), filename="avis-2026.pdf")
        remember("doc:superseded", old, "proprio")

        closing = _consent(open_vault_as("accueil", "partant", first="Pia", last="Partant"))
        closing_doc = deposit_as("partant", closing["prive"])
        _transition(closing, "request_closure")
        remember("vault:closing", closing, "partant")
        remember("doc:closing", closing_doc, "partant")

        closed = _consent(open_vault_as("accueil", "ferme", first="Fred", last="Ferme"))
        _transition(closed, "request_closure")
        _transition(closed, "close")
        remember("vault:closed", closed, "ferme")

        _consent(open_vault_as("accueil", "autre", first="Alice", last="Autre"))


MATRIX_FIXTURE = MatrixLayer()
MATRIX_FUNCTIONAL_TESTING = FunctionalTesting(
    bases=(MATRIX_FIXTURE, WSGI_SERVER_FIXTURE), name="MatrixLayer:Functional"
)


def credentials(actor, obj_key):
    """Basic-auth credentials of ``actor`` for the object ``obj_key`` (None: anonymous)."""
    login = OBJECTS[obj_key]["owner"] if actor == "owner" else LOGINS[actor]
    return None if login is None else (login, PASSWORD)
