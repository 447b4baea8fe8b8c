"""``GET @checklists`` and ``GET @checklists/{id}`` through HTTP (++api++)."""

from ccas.vault.checklists import add_checklist
from ccas.vault.checklists import set_enabled
from datetime import date
from plone.app.testing import SITE_OWNER_NAME
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import transaction


@pytest.fixture
def http(request_factory):
    """``http(login)``: a ++api++ session as ``login`` (None: anonymous)."""

    def session(login=None):
        if login is None:
            return request_factory()
        if login == SITE_OWNER_NAME:
            return request_factory(role="Manager")
        return request_factory(basic_auth=(login, PASSWORD))

    return session


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    make_agent("travailleur")
    add_checklist("test-demarche", title_fr="Démarche de test", items=["cni|passeport", "rib:3m"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()
    return vault


def url(vault, *rest):
    return "/".join(("coffres", vault.getId(), *rest))


def test_the_owner_lists_the_procedures_with_counts(vault, http):
    deposit_as("jdupont", vault["prive"], "cni", issued=date(2020, 1, 1))
    transaction.commit()
    response = http("jdupont").get(url(vault, "@checklists"))
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.json()
    items = {item["id"]: item for item in body["items"]}
    assert set(items) == {
        "test-demarche",
        "dossier-rsa",
        "demande-logement-social",
        "complementaire-sante-solidaire",
        "domiciliation",
    }
    assert items["test-demarche"]["counts"] == {
        "valid": 1,
        "missing": 1,
        "expired": 0,
        "too_old": 0,
        "total": 2,
    }
    assert items["test-demarche"]["complete"] is False
    assert items["test-demarche"]["@id"].endswith("/@checklists/test-demarche")


def test_one_procedure_item_by_item(vault, http):
    cni = deposit_as("jdupont", vault["prive"], "cni", issued=date(2020, 1, 1))
    old = deposit_as("jdupont", vault["partage"], "rib", issued=date(2026, 1, 2))
    transaction.commit()
    body = http("jdupont").get(url(vault, "@checklists", "test-demarche")).json()
    assert body["title"] == "Démarche de test"
    assert body["today"] == "2026-11-23"
    first, second = body["items"]
    assert first["state"] == "valid"
    assert first["document"]["UID"] == cni.UID()
    assert first["document"]["issued"] == "2020-01-01"
    assert first["document"]["valid_until"] == "2035-01-01"
    assert [t["id"] for t in first["types"]] == ["cni", "passeport"]
    assert second["state"] == "too_old"
    assert second["document"]["UID"] == old.UID()
    assert second["types"][0]["max_age_months"] == 3
    assert body["valid_uids"] == [cni.UID()]
    assert body["share_url"].endswith(f"/{vault.getId()}/@@partager?uids={cni.UID()}")
    assert body["print_url"].endswith(f"/{vault.getId()}/@@print-bundle?uids={cni.UID()}")


def test_an_agent_sees_only_the_shared_space(vault, http):
    deposit_as("jdupont", vault["prive"], "cni", issued=date(2020, 1, 1))
    rib = deposit_as("jdupont", vault["partage"], "rib", issued=date(2026, 11, 1))
    active_mandate(vault, scopes=("consult", "share"))
    transaction.commit()
    for path in (
        url(vault, "@checklists", "test-demarche"),
        url(vault, "partage", "@checklists", "test-demarche"),
    ):
        body = http("travailleur").get(path).json()
        assert [item["state"] for item in body["items"]] == ["missing", "valid"]
        assert body["valid_uids"] == [rib.UID()]
        assert f"/partage/@@partager?uids={rib.UID()}" in body["share_url"]
        assert body["print_url"] is None  # no extract scope
    response = http("travailleur").get(url(vault, "prive", "@checklists"))
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["stranger", "Manager", "Site Administrator", "anonymous"])
def test_nobody_else_gets_anything(vault, http, who):
    deposit_as("jdupont", vault["prive"], "cni")
    login = None
    if who == "stranger":
        login = "autre-agent"
        make_agent(login)
    elif who != "anonymous":
        login = who.lower().replace(" ", "-")
        make_user(login, [who])
    transaction.commit()
    for path in ("@checklists", "@checklists/test-demarche", "prive/@checklists"):
        response = http(login).get(url(vault, *path.split("/")))
        assert response.status_code == (401 if login is None else 403), response.text
        assert "items" not in response.json()


def test_the_site_owner_gets_nothing_either(vault, http):
    response = http(SITE_OWNER_NAME).get(url(vault, "@checklists"))
    assert response.status_code == 403


def test_an_unknown_or_disabled_procedure_is_a_404(vault, http):
    set_enabled("test-demarche", False)
    transaction.commit()
    for checklist_id in ("inconnue", "test-demarche", "test-demarche/extra"):
        response = http("jdupont").get(url(vault, "@checklists", *checklist_id.split("/")))
        assert response.status_code == 404, response.text
        error = response.json()["error"]
        assert error["type"] == "unknown_checklist" and error["message_fr"]
    listed = http("jdupont").get(url(vault, "@checklists")).json()
    assert "test-demarche" not in {item["id"] for item in listed["items"]}
