"""A file that cannot be decrypted answers a JSON client in the API's error shape (issue 25).

The browser keeps the French page (``tests/test_encryption.py``); a client that asks for
JSON (``Accept: application/json``, ``++api++``) gets ``{"error": {"type", "message",
"message_fr"}}``: ``503 master_key_missing`` when the server lost its master key,
``500 file_undecipherable`` for an altered file.  Never a byte of the file.
"""

from ccas.vault.encryption import keys
from plone import api
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import pytest
import requests
import transaction


@pytest.fixture
def paper(functional_portal):
    api.portal.set_registry_record("plone.default_language", "fr")
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"], data=pdf_bytes("JSONERRORMARKER"))
    transaction.commit()
    return paper


def get(url, accept):
    return requests.get(
        url, auth=("jdupont", PASSWORD), headers={"Accept": accept}, timeout=60,
        allow_redirects=False,
    )  # fmt: skip


def _without_master_key(monkeypatch, tmp_path):
    monkeypatch.delenv(keys.ENV_VAR)
    monkeypatch.setenv("CCAS_VAULT_KEY_DIR", str(tmp_path / "empty"))


@pytest.mark.parametrize("route", ["@@download/file", "++api++"])
def test_a_json_client_gets_master_key_missing_in_the_api_error_shape(
    paper, monkeypatch, tmp_path, route
):
    _without_master_key(monkeypatch, tmp_path)
    url = paper.absolute_url()
    if route == "++api++":
        portal_url = api.portal.get().absolute_url()
        url = url.replace(portal_url, f"{portal_url}/++api++") + "/@@download/file"
    else:
        url = f"{url}/{route}"
    response = get(url, "application/json")
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == "master_key_missing"
    assert "master key" in error["message"]
    assert "clé de chiffrement du coffre-fort est introuvable" in error["message_fr"]
    assert b"%PDF" not in response.content


def test_a_browser_still_gets_the_french_page(paper, monkeypatch, tmp_path):
    _without_master_key(monkeypatch, tmp_path)
    response = get(f"{paper.absolute_url()}/@@download/file", "text/html,*/*;q=0.8")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert "clé de chiffrement du coffre-fort est introuvable" in response.text


def test_an_altered_file_answers_file_undecipherable(paper):
    raw = bytearray(paper.file.raw())
    raw[-1] ^= 0x01
    with paper.file._blob.open("w") as blob:
        blob.write(bytes(raw))
    transaction.commit()
    response = get(f"{paper.absolute_url()}/@@download/file", "application/json")
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "file_undecipherable"
    assert b"%PDF" not in response.content
