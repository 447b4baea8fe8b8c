"""A functional layer holding the data of the access matrix (built once)."""

from ccas.vault import roles
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.api import documents
from ccas.vault.api import mandates
from ccas.vault.api import vaults as vault_api
from ccas.vault.letters.delivery import receive_letter
from ccas.vault.security import as_system
from ccas.vault.testing import CCAS_VAULT_FIXTURE
from ccas.vault.testing import WSGI_SERVER_FIXTURE
from datetime import date
from plone import api
from plone.app.testing import FunctionalTesting
from plone.app.testing import PloneSandboxLayer
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import base64


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
    "reader": "lecteur",
    "downloader": "extracteur",
    "depositor": "deposant-caf",
    "certifier": "certificateur",
    "sharer": "partageur",
    "account_helper": "aidant",
    "multi": "multi-caf",
    "expired_mandate": "ancien",
    "revoked_mandate": "revoque",
    "colleague": "collegue-caf",
    "other_vault_agent": "ailleurs",
    "relative_reader": "proche-lecteur",
    "relative_depositor": "proche-deposant",
    "relative_sharer": "proche-partageur",
    "relative_multi": "proche-multi",
    "relative_expired": "proche-ancien",
    "relative_revoked": "proche-revoque",
    "relative_elsewhere": "proche-ailleurs",
}

# relative actor -> (scopes, how the personal mandate ends) on the open vault (decision 0049)
RELATIVES = {
    "relative_reader": (("consult",), None),
    "relative_depositor": (("deposit",), None),
    "relative_sharer": (("share",), None),
    "relative_multi": (("consult", "deposit", "share"), None),
    "relative_expired": (("consult", "deposit", "share"), "expired"),
    "relative_revoked": (("consult", "deposit", "share"), "revoked"),
}

# actor -> (scopes, how the mandate ends) on the open vault
MANDATES = {
    "reader": (("consult",), None),
    "downloader": (("extract",), None),
    "depositor": (("deposit",), None),
    "certifier": (("deposit",), None),
    "sharer": (("share",), None),
    "account_helper": (("account",), None),
    "multi": (("consult", "extract", "deposit"), None),
    "expired_mandate": (("consult", "extract"), "expired"),
    "revoked_mandate": (("consult", "extract"), "revoked"),
}
CAF_AGENTS = ("depositor", "multi", "colleague")

# object key -> {"path": path from the portal, "owner": login, "space": path}
OBJECTS = {}


def _consent(vault):
    with api.env.adopt_user(username=vault.owner_login):
        vault_api.record_consent(vault, method="electronic")
    return vault


def _mandate(vault, actor, scopes, ends=None):
    """An active mandate of ``vault``'s owner to ``actor``'s agent; then ended if asked."""
    login = LOGINS[actor]
    start, end = (date(2025, 1, 1), date(2025, 12, 31)) if ends == "expired" else (None, None)
    with api.env.adopt_user(username=vault.owner_login):
        mandate = mandates.create_mandate(
            vault, agents=[login], scopes=scopes, start=start, end=end
        )
        mandates.submit(mandate)
        mandates.sign_as_person(mandate)
    with api.env.adopt_user(username=login):
        mandates.sign_as_agent(mandate)
    if ends == "revoked":
        with api.env.adopt_user(username=vault.owner_login):
            mandates.revoke(mandate)
    return mandate


def _personal_mandate(vault, actor, scopes, ends=None):
    """A personal mandate of ``vault``'s owner to the relative ``actor``, accepted; then ended."""
    login = LOGINS[actor]
    with api.env.adopt_user(username=vault.owner_login):
        mandate, code = mandates.name_mandatary(
            vault, name=actor, relation="proche", scopes=scopes, months=3
        )
        mandates.sign_as_person(mandate)
    with api.env.adopt_user(username=login):
        mandates.accept_invitation(code, agreed=True)
    if ends == "expired":  # as if named in 2025 for the year: past its end, for the clock
        with as_system():
            mandate.start, mandate.end = date(2025, 1, 1), date(2025, 12, 31)
        mandates.sync(vault)
    if ends == "revoked":
        with api.env.adopt_user(username=vault.owner_login):
            mandates.revoke(mandate)
    return mandate


def ged_letter(vault_id, reference):
    """A letter of the CCAS GED for ``vault_id``, as the GED posts it."""
    return {
        "ged_reference": reference,
        "person": {"vault": vault_id},
        "document_type": "attestation-domiciliation",
        "title": "Attestation de domiciliation",
        "issued": "2026-11-20",
        "file": {
            "filename": "attestation.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(pdf_bytes("Lettre du CCAS")).decode("ascii"),
        },
    }


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
        ensure_group("caf-agents", "Agents de la CAF", [roles.VAULT_AGENT])
        for actor in (*MANDATES, "colleague", "other_vault_agent"):
            if actor in CAF_AGENTS:
                ensure_account(LOGINS[actor], PASSWORD, actor, groups=["caf-agents"])
            else:
                make_agent(LOGINS[actor])

        for actor in (*RELATIVES, "relative_elsewhere"):
            ensure_account(LOGINS[actor], PASSWORD, actor, groups=[roles.BENEFICIARIES_GROUP])

        def remember(key, obj, owner):
            OBJECTS[key] = {"path": "/".join(obj.getPhysicalPath()[2:]), "owner": owner}

        awaiting = open_vault_as("accueil", "attente", first="Awa", last="Attente")
        remember("vault:awaiting_consent", awaiting, "attente")

        vault = _consent(
            open_vault_as(
                "accueil", "proprio", first="Paul", last="Proprio", receive_ccas_letters=True
            )
        )
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
        with api.env.adopt_user(username="ged"):
            delivered = receive_letter(ged_letter(vault.getId(), "GED-MATRIX-1"), "ged")
        assert delivered.status_code == 201, delivered.body
        letter_path = delivered.body["@id"][len(portal.absolute_url()) + 1 :]
        remember("doc:ged_letter", portal.unrestrictedTraverse(letter_path), "proprio")

        closing = _consent(open_vault_as("accueil", "partant", first="Pia", last="Partant"))
        closing_doc = deposit_as("partant", closing["prive"])
        _transition(closing, "request_closure")
        remember("vault:closing", closing, "partant")
        remember("doc:closing", closing_doc, "partant")

        closed = _consent(open_vault_as("accueil", "ferme", first="Fred", last="Ferme"))
        _transition(closed, "request_closure")
        _transition(closed, "close")
        remember("vault:closed", closed, "ferme")

        other = _consent(open_vault_as("accueil", "autre", first="Alice", last="Autre"))
        with api.env.adopt_user(username="autre"):
            deposit_as("autre", other["partage"])
        _mandate(other, "other_vault_agent", ("consult", "extract", "deposit", "share", "account"))

        _personal_mandate(other, "relative_elsewhere", ("consult", "deposit", "share"))

        for actor, (scopes, ends) in MANDATES.items():
            _mandate(vault, actor, scopes, ends)
        for actor, (scopes, ends) in RELATIVES.items():
            _personal_mandate(vault, actor, scopes, ends)
        with as_system():
            mandates.expire_mandates(portal)


MATRIX_FIXTURE = MatrixLayer()
MATRIX_FUNCTIONAL_TESTING = FunctionalTesting(
    bases=(MATRIX_FIXTURE, WSGI_SERVER_FIXTURE), name="MatrixLayer:Functional"
)


def credentials(actor, obj_key):
    """Basic-auth credentials of ``actor`` for the object ``obj_key`` (None: anonymous)."""
    login = OBJECTS[obj_key]["owner"] if actor == "owner" else LOGINS[actor]
    return None if login is None else (login, PASSWORD)
