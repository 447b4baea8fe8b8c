"""The public verification: ``@vault-verify`` (REST) and the ``@@verifier`` page, anonymous."""

from ccas.vault.api import documents
from ccas.vault.certification import registry
from plone import api
from vaults import acting_as
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import pdf_bytes
import base64
import hashlib
import pytest
import transaction


@pytest.fixture
def site(functional_portal):
    make_agent("accueil")
    make_agent("certificateur")
    transaction.commit()
    return functional_portal


@pytest.fixture
def paper(site):
    """A certified PDF in Jean Dupont's shared space, titled with his name."""
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    document = deposit_as(
        "jdupont", vault["partage"], document_type="cni", title="CNI de Jean Dupont"
    )
    vault["partage"].manage_setLocalRoles("certificateur", ["VaultDepositor", "VaultCertifier"])
    with acting_as("certificateur"):
        documents.certify(document)
    transaction.commit()
    return document


@pytest.fixture
def anonymous(request_factory):
    return request_factory()


def secrets_of(document):
    from ccas.vault.lookup import vault_of

    vault = vault_of(document)
    return (
        vault.getId(),
        document.getId(),
        document.UID(),
        document.absolute_url(),
        "Jean",
        "Dupont",
        "jdupont",
        "CNI de",
        "/coffres",
    )


def assert_reveals_nothing(text, document):
    for secret in secrets_of(document):
        assert secret not in text, secret


def test_anonymous_checks_a_hash_with_get(paper, anonymous):
    response = anonymous.get("@vault-verify", params={"sha256": paper.sha256.upper()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["certified"] is True
    assert body["sha256"] == paper.sha256
    [seal] = body["seals"]
    assert seal["by_fullname"] == "Certificateur"
    assert seal["organisation"] == "ccas"
    assert seal["document_type"] == "cni"
    assert seal["certified_at"] == paper.certification["at"]
    assert seal["superseded"] is False
    assert set(seal) == {
        "valid",
        "reason",
        "matches",
        "certified_at",
        "by_fullname",
        "organisation",
        "organisation_title",
        "document_type",
        "document_type_label",
        "origin",
        "superseded",
        "superseded_at",
        "key_id",
    }
    assert_reveals_nothing(response.text, paper)


def test_anonymous_posts_the_file_as_json(paper, anonymous):
    data = paper.file.data
    body = {"file": {"filename": "x.pdf", "data": base64.b64encode(data).decode()}}
    response = anonymous.post("@vault-verify", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["certified"] is True
    assert_reveals_nothing(response.text, paper)


def test_anonymous_posts_the_file_as_multipart(paper, anonymous):
    response = anonymous.post(
        "@vault-verify",
        files={"file": ("papier.pdf", paper.file.data, "application/pdf")},
        headers={"Origin": "https://elsewhere.example"},  # a public service: any origin
    )
    assert response.status_code == 200, response.text
    assert response.json()["certified"] is True


def test_the_deposited_bytes_verify_too(paper, anonymous):
    response = anonymous.post("@vault-verify", json={"sha256": pdf_bytes_hash()})
    assert response.status_code == 200
    assert response.json()["certified"] is True
    assert response.json()["seals"][0]["matches"] == "deposited_file"


def pdf_bytes_hash():
    return hashlib.sha256(pdf_bytes()).hexdigest()


def test_a_tampered_or_unknown_file_is_not_certified(paper, anonymous):
    tampered = bytearray(paper.file.data)
    tampered[100] ^= 0x20
    for data in (bytes(tampered), b"un fichier jamais vu"):
        body = {"file": {"data": base64.b64encode(data).decode()}}
        response = anonymous.post("@vault-verify", json=body)
        assert response.status_code == 200
        assert response.json() == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "certified": False,
            "seals": [],
        }


@pytest.mark.parametrize(
    "method, kwargs, code",
    [
        ("get", {}, "nothing_to_verify"),
        ("get", {"params": {"sha256": "zz"}}, "bad_sha256"),
        ("get", {"params": {"sha256": "a" * 65}}, "bad_sha256"),
        ("post", {"json": {}}, "nothing_to_verify"),
        ("post", {"json": {"sha256": "<script>"}}, "bad_sha256"),
        ("post", {"json": {"file": {"data": ""}}}, "empty"),
        ("post", {"json": {"file": {"filename": "a.pdf"}}}, "bad_file"),
        ("post", {"json": {"file": {"data": "***"}}}, "bad_base64"),
        ("post", {"json": {"file": "not a file"}}, "bad_file"),
        ("post", {"files": {"file": ("vide.pdf", b"", "application/pdf")}}, "empty"),
        (
            "post",
            {"data": "{not json", "headers": {"Content-Type": "application/json"}},
            "invalid_json",
        ),
    ],
)
def test_bad_input_is_a_400_in_french_and_english(site, anonymous, method, kwargs, code):
    response = getattr(anonymous, method)("@vault-verify", **kwargs)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == code
    assert error["message"] and error["message_fr"] and error["message"] != error["message_fr"]


def test_verifying_writes_nothing(paper, anonymous):
    before = registry.lookup(paper.sha256)[0]["payload"]
    anonymous.get("@vault-verify", params={"sha256": paper.sha256})
    transaction.begin()
    assert registry.lookup(paper.sha256)[0]["payload"] == before
    from ccas.vault.history import api as history
    from ccas.vault.lookup import vault_of

    assert [e.action for e in history.entries(vault_of(paper))][-1] == "certify"


def test_a_superseded_paper_still_verifies_and_says_so(paper, anonymous):
    old_hash = paper.sha256
    with acting_as("certificateur"):
        newer = documents.replace(paper, data=pdf_bytes("v2"), filename="cni-2.pdf")
    transaction.commit()
    assert api.content.get_state(newer) == "certified"
    old = anonymous.get("@vault-verify", params={"sha256": old_hash}).json()
    new = anonymous.get("@vault-verify", params={"sha256": newer.sha256}).json()
    assert old["certified"] and old["seals"][0]["superseded"] is True
    assert new["certified"] and new["seals"][0]["superseded"] is False


# -- the page ----------------------------------------------------------------------


@pytest.fixture
def browser(site):
    from plone.testing.zope import Browser

    # The real site is French by default (scripts/instance.py); so is this one.
    api.portal.set_registry_record("plone.available_languages", ["fr", "en"])
    api.portal.set_registry_record("plone.default_language", "fr")
    transaction.commit()
    return Browser(site.aq_parent)


def test_the_page_checks_a_dropped_file(paper, browser, site):
    browser.open(site.absolute_url() + "/@@verifier")
    assert "Vérifier un papier certifié" in browser.contents
    assert 'name="viewport"' in browser.contents  # phone-ready
    control = browser.getControl(name="file")
    control.add_file(paper.file.data, "application/pdf", "papier.pdf")
    browser.getControl(name="sha256").value = ""
    browser.getForm(id="verify-form").submit()
    page = browser.contents
    assert "Ce fichier a été certifié." in page
    assert "Certificateur" in page
    assert paper.sha256 in page
    assert_reveals_nothing(page.split('id="content"', 1)[-1].split("</main>")[0], paper)


def test_the_page_checks_a_pasted_hash_and_explains_a_refusal(paper, browser, site):
    browser.open(site.absolute_url() + "/@@verifier?sha256=" + "0" * 64)
    assert "Ce fichier n'est pas un papier certifié par le CCAS." in browser.contents
    browser.open(site.absolute_url() + "/@@verifier?sha256=abc")
    assert "Ce n'est pas une empreinte SHA-256" in browser.contents
