"""Hostile inputs against ``make start``'s instance (runwsgi in a subprocess; decision 0038).

The guard against deeply nested JSON reads the raw input stream at publication start: this
checks it on the server that ships (waitress behind ``runwsgi``), not only in the test layer.
"""

from test_hostile_inputs import file_json
from test_hostile_inputs import LEAKS
from test_hostile_inputs import xfa_pdf
from vaults import pdf_bytes
import pytest
import requests


pytestmark = pytest.mark.slow

DEEP = "[" * 50_000 + "]" * 50_000


def assert_clean_400(response, code=None):
    assert response.status_code == 400, response.text[:2000]
    for leak in LEAKS:
        assert leak not in response.text
    error = response.json()["error"]
    if code:
        assert error["type"] == code
    assert error["message_fr"]
    return error


@pytest.mark.parametrize("path", ["", "/++api++/@login", "/++api++", "/nothing/@@here"])
def test_a_deep_json_body_is_a_400_on_the_real_instance(real_site, path):
    response = requests.post(
        real_site.url + path,
        data=DEEP,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        timeout=60,
    )
    assert_clean_400(response, "json_too_deep")


def test_a_deep_json_body_is_a_400_at_the_zope_root(real_site):
    response = requests.post(
        real_site.base_url + "/",
        data=DEEP,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert_clean_400(response, "json_too_deep")


def letter(**changes):
    body = {
        "ged_reference": "GED-HOSTILE-1",
        "person": {"ged_person_id": "GED-NOBODY"},
        "document_type": "attestation-domiciliation",
        "title": "Attestation",
        "issued": "2026-11-20",
        "file": file_json(pdf_bytes()),
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": "x\ud800y"}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"file": file_json(xfa_pdf())}, "file"),
    ],
    ids=["lone-surrogate", "nul", "xfa"],
)
def test_the_ged_account_cannot_deliver_hostile_letters(real_site, changes, field):
    session = real_site.session("ged")
    response = session.post(
        f"{real_site.url}/++api++/@ged-letters", json=letter(**changes), timeout=60
    )
    error = assert_clean_400(response)
    assert field in error["fields"]
    deep = session.post(
        f"{real_site.url}/++api++/@ged-letters/batch",
        data=DEEP,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert_clean_400(deep, "json_too_deep")
