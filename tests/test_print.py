"""@@print and @@print-bundle: one PDF, traced "print", for who may download the originals."""

from ccas.vault.history import api as history
from io import BytesIO
from plone import api
from pypdf import PdfReader
from test_watermark import multi_page_pdf
from test_watermark import photo
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import requests
import transaction


@pytest.fixture
def vault(functional_portal):
    make_agent("accueil")
    for login in ("extracteur", "lecteur", "agent"):
        make_agent(login)
    make_user("manager", ["Manager"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Bulletin", data=multi_page_pdf(3))
    deposit_as(
        "jdupont",
        vault["partage"],
        title="Photo CNI",
        document_type="cni",
        data=photo(),
        filename="cni.jpg",
    )
    deposit_as("jdupont", vault["prive"], title="Secret", data=multi_page_pdf(1))
    active_mandate(vault, agents=("extracteur",), scopes=("extract",))
    active_mandate(vault, agents=("lecteur",), scopes=("consult",))
    transaction.commit()
    return vault


def papers(vault, space):
    return {doc.Title(): doc for doc in vault[space].objectValues()}


def get(url, login, **kw):
    auth = (login, PASSWORD) if login else None
    return requests.get(url, auth=auth, timeout=60, allow_redirects=False, **kw)


def prints(vault):
    transaction.begin()
    fresh = api.portal.get().unrestrictedTraverse("/".join(vault.getPhysicalPath()))
    return [entry for entry in history.entries(fresh) if entry.action == "print"]


def test_the_owner_prints_one_paper(vault):
    paper = papers(vault, "partage")["Bulletin"]
    response = get(f"{paper.absolute_url()}/@@print", "jdupont")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "no-store" in response.headers["Cache-Control"]
    assert len(PdfReader(BytesIO(response.content)).pages) == 3
    (entry,) = prints(vault)
    assert entry.actor == "jdupont" and entry.target_uid == paper.UID()


def test_a_photo_prints_as_a_pdf_page(vault):
    paper = papers(vault, "partage")["Photo CNI"]
    response = get(f"{paper.absolute_url()}/@@print", "jdupont")
    assert response.status_code == 200
    assert len(PdfReader(BytesIO(response.content)).pages) == 1


def test_a_bundle_prints_every_chosen_paper_in_one_pdf(vault):
    chosen = papers(vault, "partage")
    secret = papers(vault, "prive")["Secret"]
    uids = [chosen["Bulletin"].UID(), chosen["Photo CNI"].UID(), secret.UID()]
    response = get(f"{vault.absolute_url()}/@@print-bundle", "jdupont", params={"uids": uids})
    assert response.status_code == 200, response.text[:300]
    assert len(PdfReader(BytesIO(response.content)).pages) == 5
    assert {entry.target_uid for entry in prints(vault)} == set(uids)


def test_an_agent_with_the_extract_scope_prints_shared_papers_only(vault):
    paper = papers(vault, "partage")["Bulletin"]
    secret = papers(vault, "prive")["Secret"]
    assert get(f"{paper.absolute_url()}/@@print", "extracteur").status_code == 200
    space = vault["partage"].absolute_url()
    bundle = get(f"{space}/@@print-bundle", "extracteur", params={"uids": [paper.UID()]})
    assert bundle.status_code == 200
    assert get(f"{secret.absolute_url()}/@@print", "extracteur").status_code in (302, 401, 403, 404)
    refused = get(
        f"{vault.absolute_url()}/@@print-bundle", "extracteur", params={"uids": [secret.UID()]}
    )
    assert refused.status_code in (302, 401, 403, 404)
    assert [entry.actor for entry in prints(vault)] == ["extracteur", "extracteur"]


@pytest.mark.parametrize("login", ["lecteur", "agent", "manager", None])
def test_others_cannot_print(vault, login):
    paper = papers(vault, "partage")["Bulletin"]
    response = get(f"{paper.absolute_url()}/@@print", login)
    assert response.status_code in (302, 401, 403, 404)
    assert not response.content.startswith(b"%PDF")
    bundle = get(
        f"{vault['partage'].absolute_url()}/@@print-bundle", login, params={"uids": [paper.UID()]}
    )
    assert bundle.status_code in (302, 401, 403, 404)
    assert not bundle.content.startswith(b"%PDF")
    assert prints(vault) == []
