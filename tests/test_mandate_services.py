"""The mandate services (@mandates, @mandate-sign, -revoke, -withdraw, -form) and @@mandate-form.

Through HTTP against the functional portal; data made with plone.api, then committed.
"""

from ccas.vault import roles
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.content.mandate import DUTIES_STATEMENT
from ccas.vault.organisations import get_organisation
from io import BytesIO
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from pypdf import PdfReader
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import base64
import pytest
import requests
import transaction


def b64(data):
    return base64.b64encode(data).decode("ascii")


def assert_french_error(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == code
    assert error["message"] and error["message_fr"]
    assert error["message"] != error["message_fr"]
    return error


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


@pytest.fixture
def site(functional_portal):
    for login in ("accueil", "travailleur", "autre-agent"):
        make_agent(login)
    make_user("voisin")
    ensure_group("caf-agents", "Agents de la CAF", [roles.VAULT_AGENT])
    ensure_account("julie", PASSWORD, "Julie Martin", groups=["caf-agents"])
    transaction.commit()
    return functional_portal


@pytest.fixture
def http(request_factory):
    def session(login=None):
        if login is None:
            return request_factory()
        if login == SITE_OWNER_NAME:
            return request_factory(role="Manager")
        return request_factory(basic_auth=(login, PASSWORD))

    return session


@pytest.fixture
def vault(site):
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()
    return vault


def path(vault, *rest):
    return "/".join(("coffres", vault.getId(), *rest))


def create(http, vault, **changes):
    body = {"agents": ["travailleur"], "scopes": ["consult", "deposit"], "submit": True}
    body.update(changes)
    response = http("jdupont").post(path(vault, "@mandates"), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def sign(http, vault, mandate_id, login, body=None):
    return http(login).post(path(vault, mandate_id, "@mandate-sign"), json=body or {})


def active(http, vault, **changes):
    item = create(http, vault, **changes)
    assert sign(http, vault, item["id"], "jdupont", {"method": "electronic"}).status_code == 200
    for agent in item["agents"]:
        assert sign(http, vault, item["id"], agent["id"]).status_code == 200
    return item["id"]


# --- the whole life through REST -------------------------------------------------


def test_create_submit_sign_and_the_mandate_is_active(vault, http):
    response = http("jdupont").post(
        path(vault, "@mandates"),
        json={
            "agents": ["travailleur"],
            "scopes": ["consult", "extract"],
            "purpose": "Dossier RSA",
            "start": "2026-11-23",
            "end": "2027-05-23",
        },
    )
    assert response.status_code == 201, response.text
    item = response.json()
    assert response.headers["Location"] == item["@id"]
    assert item["review_state"] == "draft"
    assert item["scopes"] == ["consult", "extract"]
    assert item["purpose"] == "Dossier RSA"
    assert (item["start"], item["end"]) == ("2026-11-23", "2027-05-23")
    assert item["agents"] == [
        {
            "id": "travailleur",
            "fullname": "Travailleur",
            "organisation": {"id": "ccas", "title": get_organisation("ccas").title},
        }
    ]
    assert item["person_signature"] is None and item["agent_signatures"] == {}
    assert item["ended"] is None

    # the draft is submitted, then signed by the person and the agent
    transaction.begin()
    from ccas.vault.api import mandates

    with api.env.adopt_user(username="jdupont"):
        mandates.submit(fresh(vault)[item["id"]])
    transaction.commit()
    response = sign(http, vault, item["id"], "jdupont", {"method": "electronic"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["review_state"] == "awaiting_signatures"
    assert body["person_signature"]["method"] == "electronic"
    assert body["person_signature"]["form"] is None
    response = sign(http, vault, item["id"], "travailleur", {"as": "agent"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["review_state"] == "active"
    assert set(body["agent_signatures"]) == {"travailleur"}
    assert fresh(vault)[item["id"]].agent_signatures["travailleur"]


def test_submit_in_the_post_and_until_revoked(vault, http):
    item = create(http, vault, until_revoked=True)
    assert item["review_state"] == "awaiting_signatures"
    assert item["end"] is None


# --- listing ------------------------------------------------------------------------


def test_the_owner_sees_every_mandate_an_agent_only_theirs(vault, http):
    first = active(http, vault, agents=["travailleur"])
    second = create(http, vault, agents=["autre-agent"])["id"]
    response = http("jdupont").get(path(vault, "@mandates"))
    assert response.status_code == 200, response.text
    assert {item["id"] for item in response.json()["items"]} == {first, second}
    response = http("travailleur").get(path(vault, "@mandates"))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["id"] for item in items] == [first]
    assert items[0]["review_state"] == "active"
    assert items[0]["in_force"] is True
    response = http("autre-agent").get(path(vault, "@mandates"))
    assert [item["id"] for item in response.json()["items"]] == [second]


@pytest.mark.parametrize(
    "login, status",
    [("accueil", 403), ("voisin", 403), (SITE_OWNER_NAME, 403), (None, 401)],
)
def test_nobody_else_lists_the_mandates(vault, http, login, status):
    active(http, vault)
    response = http(login).get(path(vault, "@mandates"))
    assert_french_error(response, status, "Forbidden" if status == 403 else "Unauthorized")
    assert "items" not in response.json()


@pytest.mark.parametrize("login", ["travailleur", "accueil", SITE_OWNER_NAME, None])
def test_only_the_owner_creates_a_mandate(vault, http, login):
    body = {"agents": ["travailleur"], "scopes": ["consult"]}
    response = http(login).post(path(vault, "@mandates"), json=body)
    assert response.status_code in (401, 403), response.text
    assert response.json()["error"]["message_fr"]
    assert not [obj for obj in fresh(vault).objectValues() if obj.portal_type == "Mandate"]


# --- errors -------------------------------------------------------------------------


def test_bad_scopes_are_refused_in_french(vault, http):
    response = http("jdupont").post(
        path(vault, "@mandates"), json={"agents": ["travailleur"], "scopes": ["tout"]}
    )
    error = assert_french_error(response, 400, "bad_scopes")
    assert error["message_fr"] == "Choisissez ce que l'agent peut faire."


def test_an_agent_must_be_an_agent(vault, http):
    response = http("jdupont").post(
        path(vault, "@mandates"), json={"agents": ["voisin"], "scopes": ["consult"]}
    )
    error = assert_french_error(response, 400, "not_an_agent")
    assert "pas un agent" in error["message_fr"]


def test_malformed_fields(vault, http):
    response = http("jdupont").post(
        path(vault, "@mandates"),
        json={"agents": "", "scopes": [3], "start": "23/11/2026", "until_revoked": "peut-être"},
    )
    error = assert_french_error(response, 400, "invalid_fields")
    assert set(error["fields"]) == {"agents", "scopes", "start", "until_revoked"}
    assert all(message["fr"] for message in error["fields"].values())


def test_end_before_start(vault, http):
    response = http("jdupont").post(
        path(vault, "@mandates"),
        json={
            "agents": ["travailleur"],
            "scopes": ["consult"],
            "start": "2026-11-23",
            "end": "2026-01-01",
        },
    )
    assert_french_error(response, 400, "bad_dates")


def test_an_agent_not_named_cannot_sign(vault, http):
    item = create(http, vault)
    response = sign(http, vault, item["id"], "autre-agent")
    assert_french_error(response, 403, "Forbidden")
    response = sign(http, vault, item["id"], None)
    assert_french_error(response, 401, "Unauthorized")
    assert fresh(vault)[item["id"]].agent_signatures == {}


def test_an_agent_cannot_sign_electronically_for_the_person(vault, http):
    item = create(http, vault)
    response = sign(http, vault, item["id"], "travailleur", {"method": "electronic"})
    assert_french_error(response, 400, "not_the_owner")


def test_a_draft_cannot_be_signed(vault, http):
    item = create(http, vault, submit=False)
    response = sign(http, vault, item["id"], "jdupont", {"method": "electronic"})
    assert_french_error(response, 400, "wrong_state")


def test_bad_method(vault, http):
    item = create(http, vault)
    response = sign(http, vault, item["id"], "jdupont", {"method": "pigeon"})
    error = assert_french_error(response, 400, "invalid_fields")
    assert set(error["fields"]) == {"method"}


# --- paper form ---------------------------------------------------------------------


def test_an_agent_records_the_signed_paper_form(vault, http):
    item = create(http, vault)
    form = {
        "filename": "mandat-signe.pdf",
        "content_type": "application/pdf",
        "data": b64(pdf_bytes()),
    }
    response = sign(http, vault, item["id"], "travailleur", {"method": "paper", "form": form})
    assert response.status_code == 200, response.text
    signature = response.json()["person_signature"]
    assert signature["method"] == "paper"
    assert signature["recorded_by"] == "travailleur"
    assert signature["form"]["content_type"] == "application/pdf"
    assert signature["form"]["size"] > 0
    assert "data" not in signature["form"]
    stored = fresh(vault)[item["id"]].person_signature["form"]
    assert stored.data.startswith(b"%PDF")
    assert sign(http, vault, item["id"], "travailleur").json()["review_state"] == "active"


def test_the_paper_form_must_be_a_pdf_or_an_image(vault, http):
    item = create(http, vault)
    form = {"filename": "mandat.txt", "content_type": "text/plain", "data": b64(b"bonjour")}
    response = sign(http, vault, item["id"], "travailleur", {"method": "paper", "form": form})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message_fr"]
    response = sign(http, vault, item["id"], "travailleur", {"method": "paper"})
    assert_french_error(response, 400, "file_missing")
    assert fresh(vault)[item["id"]].person_signature is None


def test_the_owner_does_not_record_a_paper_form(vault, http):
    item = create(http, vault)
    form = {"filename": "m.pdf", "content_type": "application/pdf", "data": b64(pdf_bytes())}
    response = sign(http, vault, item["id"], "jdupont", {"method": "paper", "form": form})
    assert_french_error(response, 400, "not_an_agent_of_the_mandate")


# --- revoke / withdraw --------------------------------------------------------------


def test_the_owner_revokes(vault, http):
    mandate_id = active(http, vault)
    for login, status in (("travailleur", 403), (SITE_OWNER_NAME, 403), (None, 401)):
        response = http(login).post(path(vault, mandate_id, "@mandate-revoke"), json={})
        assert response.status_code == status, (login, response.text)
    response = http("jdupont").post(path(vault, mandate_id, "@mandate-revoke"), json={})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["review_state"] == "revoked"
    assert body["ended"]["why"] == "revoked"
    assert body["in_force"] is False
    response = http("jdupont").post(path(vault, mandate_id, "@mandate-revoke"), json={})
    assert_french_error(response, 400, "wrong_state")
    response = http("jdupont").get(path(vault, mandate_id, "@mandate-form"))
    assert "révoqué par la personne" in flat(pdf_text(response.content))


def test_a_named_agent_withdraws(vault, http):
    mandate_id = active(http, vault, agents=["travailleur", "autre-agent"])
    response = http("accueil").post(path(vault, mandate_id, "@mandate-withdraw"), json={})
    assert_french_error(response, 403, "Forbidden")
    response = http("travailleur").post(path(vault, mandate_id, "@mandate-withdraw"), json={})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["review_state"] == "active"
    assert [agent["id"] for agent in body["agents"]] == ["autre-agent"]
    response = http("autre-agent").post(path(vault, mandate_id, "@mandate-withdraw"), json={})
    assert response.status_code == 200, response.text
    assert response.json()["review_state"] == "revoked"
    assert response.json()["ended"]["why"] == "withdrawn"


# --- the printable form -------------------------------------------------------------


def pdf_text(data):
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def flat(text):
    return " ".join(text.split())


def test_the_mandate_form_is_a_french_pdf(vault, http):
    item = create(
        http,
        vault,
        agents=["travailleur", "julie"],
        scopes=["consult", "share"],
        purpose="Constituer le dossier de logement social",
        start="2026-11-23",
        end="2027-11-23",
    )
    sign(http, vault, item["id"], "jdupont", {"method": "electronic"})
    sign(http, vault, item["id"], "travailleur")
    response = http("jdupont").get(path(vault, item["id"], "@mandate-form"))
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = flat(pdf_text(response.content))
    site_title = api.portal.get().Title()
    for expected in (
        "Mandat d'accompagnement administratif",
        site_title,
        "Jean",
        "Dupont",
        "17/05/1980",
        "Travailleur",
        "Julie Martin — CAF",
        "Consulter mes papiers (aperçu)",
        "Télécharger et imprimer mes papiers",
        "Déposer des papiers",
        "Partager mes papiers en mon nom",
        "sans jamais connaître mon mot de passe",
        "Constituer le dossier de logement social",
        "exercice de leurs fonctions",
        flat(DUTIES_STATEMENT),
        "23/11/2026",
        "23/11/2027",
        "révoquer ce mandat à tout moment",
        "signature en ligne",
        "confirmation en ligne de l'agent",
        "Signé le",
        "Date et signature",  # julie has not signed yet
    ):
        assert expected in text, expected
    # two boxes checked (consult, share), three left empty
    assert text.count("X Consulter") + text.count("X Partager") == 2, text
    assert "X Télécharger" not in text and "X Déposer" not in text
    assert text.count("Signé le") == 2  # the person and travailleur, not julie


def test_until_revoked_in_the_form(vault, http):
    item = create(http, vault, until_revoked=True)
    response = http("travailleur").get(path(vault, item["id"], "@mandate-form"))
    assert response.status_code == 200, response.text
    assert "jusqu'à révocation" in flat(pdf_text(response.content))


@pytest.mark.parametrize(
    "login, status", [("autre-agent", 403), ("accueil", 403), (SITE_OWNER_NAME, 403), (None, 401)]
)
def test_nobody_else_gets_the_form(vault, http, login, status):
    item = create(http, vault)
    response = http(login).get(path(vault, item["id"], "@mandate-form"))
    assert response.status_code == status, response.text
    assert not response.content.startswith(b"%PDF")


def browser_get(url, login=None):
    if login is None:
        auth = None
    elif login == SITE_OWNER_NAME:
        auth = (SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    else:
        auth = (login, PASSWORD)
    return requests.get(url, auth=auth, allow_redirects=False, timeout=60)


@pytest.mark.parametrize(
    "login, allowed",
    [
        ("jdupont", True),
        ("travailleur", True),
        ("autre-agent", False),
        (SITE_OWNER_NAME, False),
        (None, False),
    ],
)
def test_the_browser_view(vault, http, login, allowed):
    item = create(http, vault)
    response = browser_get(item["@id"].replace("/++api++", "") + "/@@mandate-form", login)
    if allowed:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/pdf"
        assert "Mandat d'accompagnement administratif" in flat(pdf_text(response.content))
    else:
        assert response.status_code == 302, response.status_code
        assert "/require_login?" in response.headers["Location"]
