"""The staff forms: deposit a paper into a space, certify a paper."""

from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import pytest
import re
import requests
import transaction


OWNER = ("jdupont", PASSWORD)


@pytest.fixture
def space_url(functional_portal):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()
    return f"{vault['prive'].absolute_url()}/@@deposit"


def post(url, data, file):
    form = requests.get(url, auth=OWNER)
    assert form.status_code == 200
    token = re.search(r'name="_authenticator" value="([^"]+)"', form.text).group(1)
    return requests.post(
        url,
        data={"form.submitted": "1", "_authenticator": token, **data},
        files={"file": file},
        auth=OWNER,
        allow_redirects=False,
    )


def test_the_form_lists_the_document_types(space_url):
    page = requests.get(space_url, auth=OWNER).text
    assert 'value="attestation-caf"' in page
    assert 'value="document-sante"' in page
    assert 'name="_authenticator"' in page


def test_a_paper_deposited_through_the_form_lands_in_the_space(space_url):
    response = post(
        space_url,
        {"document_type": "attestation-caf", "issued": "2026-01-31"},
        ("attestation.pdf", pdf_bytes(), "application/pdf"),
    )
    assert response.status_code == 303
    paper = requests.get(
        response.headers["Location"].replace("/plone/", "/plone/++api++/", 1),
        auth=OWNER,
        headers={"Accept": "application/json"},
    ).json()
    assert paper["valid_until"] == "2026-04-30"


def test_a_hostile_file_is_refused_with_a_french_message(space_url):
    response = post(
        space_url,
        {"document_type": "attestation-caf"},
        ("photo.jpg", b"MZ\x90\x00 a program", "image/jpeg"),
    )
    assert response.status_code == 400
    assert "n&#x27;est pas accepté" in response.text or "n'est pas accepté" in response.text


def test_a_health_paper_asks_for_confirmation_first(space_url):
    file = ("ordonnance.pdf", pdf_bytes(), "application/pdf")
    first = post(space_url, {"document_type": "document-sante"}, file)
    assert first.status_code == 400
    assert 'name="health_confirmed"' in first.text
    assert "santé" in first.text
    confirmed = post(space_url, {"document_type": "document-sante", "health_confirmed": "1"}, file)
    assert confirmed.status_code == 303


def test_a_post_without_the_authenticator_is_refused(space_url):
    response = requests.post(
        space_url,
        data={"form.submitted": "1", "document_type": "attestation-caf"},
        files={"file": ("a.pdf", pdf_bytes(), "application/pdf")},
        auth=OWNER,
        allow_redirects=False,
    )
    assert response.status_code in (302, 403)
