"""The staff views of a paper and a vault, through HTTP (no ++api++) with basic auth.

Plone answers ``Unauthorized`` on a page with a redirection to its login page,
for anonymous and authenticated users alike.
"""

from ccas.vault import roles
from ccas.vault.history import api as history
from io import BytesIO
from PIL import Image
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import pytest
import requests
import transaction


NO_STORE = "private, no-store"


def get(url, login=None, **kw):
    if login is None:
        auth = None
    elif login == SITE_OWNER_NAME:
        auth = (SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    else:
        auth = (login, PASSWORD)
    return requests.get(url, auth=auth, allow_redirects=False, timeout=60, **kw)


def assert_sent_to_login(response):
    assert response.status_code == 302, response.status_code
    assert "/require_login?" in response.headers["Location"]


def entries(vault):
    transaction.begin()
    return history.entries(api.portal.get().unrestrictedTraverse(vault.getPhysicalPath()))


@pytest.fixture
def vault(functional_portal):
    """An open vault with a paper in each space and two mandated agents."""
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    for login, role in (("lecteur", roles.VAULT_READER), ("telechargeur", roles.VAULT_DOWNLOADER)):
        make_agent(login)
        vault["partage"].manage_setLocalRoles(login, [role])
    deposit_as("jdupont", vault["prive"], title="Carte privée")
    deposit_as("jdupont", vault["partage"], title="Attestation partagée")
    transaction.commit()
    return vault


def paper(vault, space):
    (document,) = vault[space].objectValues()
    return document


# --- @@download / @@display-file ----------------------------------------------


def test_the_owner_downloads_the_original_and_it_is_traced(vault):
    document = paper(vault, "prive")
    before = len(entries(vault))
    for url in (
        f"{document.absolute_url()}/@@download/file",
        f"{document.absolute_url()}/@@download",
    ):
        response = get(url, "jdupont")
        assert response.status_code == 200
        assert response.content == document.file.data
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Cache-Control"] == NO_STORE
        assert response.headers["Accept-Ranges"] == "none"
    traces = entries(vault)[before:]
    assert [(e.action, e.actor, e.target_uid) for e in traces] == [
        ("download", "jdupont", document.UID())
    ] * 2
    assert dict(traces[0].details) == {"view": "download", "disposition": "attachment"}


def test_display_file_shows_a_pdf_inline_and_is_traced(vault):
    document = paper(vault, "prive")
    response = get(f"{document.absolute_url()}/@@display-file/file", "jdupont")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["Cache-Control"] == NO_STORE
    assert response.content == document.file.data
    last = entries(vault)[-1]
    assert (last.action, dict(last.details)) == (
        "download",
        {"view": "display-file", "disposition": "inline"},
    )


def test_a_range_request_gets_the_whole_file_and_one_trace(vault):
    document = paper(vault, "prive")
    before = len(entries(vault))
    response = get(
        f"{document.absolute_url()}/@@download/file", "jdupont", headers={"Range": "bytes=0-9"}
    )
    assert (response.status_code, response.content) == (200, document.file.data)
    assert len(entries(vault)) == before + 1


def test_only_the_file_field_is_served(vault):
    document = paper(vault, "prive")
    assert get(f"{document.absolute_url()}/@@download/title", "jdupont").status_code == 404


def assert_only_a_refusal_was_recorded(vault, before, login):
    """A refused agent leaves one ``access_refused`` line (refusals.py), nothing else."""
    added = entries(vault)[before:]
    assert [(entry.action, entry.actor) for entry in added] in ([], [("access_refused", login)])


@pytest.mark.parametrize("view", ["@@download/file", "@@display-file/file"])
@pytest.mark.parametrize(
    "login, space, allowed",
    [
        ("telechargeur", "partage", True),
        ("telechargeur", "prive", False),
        ("lecteur", "partage", False),
        ("accueil", "partage", False),
        (SITE_OWNER_NAME, "prive", False),
        (SITE_OWNER_NAME, "partage", False),
        (None, "partage", False),
    ],
)
def test_who_may_download(vault, view, login, space, allowed):
    document = paper(vault, space)
    before = len(entries(vault))
    response = get(f"{document.absolute_url()}/{view}", login)
    if allowed:
        assert response.status_code == 200
        assert response.content == document.file.data
        assert entries(vault)[-1].actor == login
    else:
        assert_sent_to_login(response)
        assert document.file.data not in response.content
        assert_only_a_refusal_was_recorded(vault, before, login)


# --- @@preview -----------------------------------------------------------------


@pytest.mark.parametrize(
    "login, allowed",
    [
        ("jdupont", True),
        ("lecteur", True),
        ("telechargeur", False),
        ("accueil", False),
        (SITE_OWNER_NAME, False),
        (None, False),
    ],
)
def test_who_sees_the_preview(vault, login, allowed):
    document = paper(vault, "partage")
    before = len(entries(vault))
    response = get(f"{document.absolute_url()}/@@preview", login)
    if allowed:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Cache-Control"] == NO_STORE
        assert max(Image.open(BytesIO(response.content)).size) <= 1000
        last = entries(vault)[-1]
        assert (last.action, last.actor) == ("preview", login)
    else:
        assert_sent_to_login(response)
        assert_only_a_refusal_was_recorded(vault, before, login)


def test_the_preview_is_not_the_original(vault):
    document = paper(vault, "partage")
    response = get(f"{document.absolute_url()}/@@preview", "lecteur")
    assert not response.content.startswith(b"%PDF")
    assert pdf_bytes()[:8] not in response.content


# --- @@vault-history -----------------------------------------------------------


def history_rows(response):
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == NO_STORE
    return response.text.count("<tr data-seq=")


def test_the_owner_sees_the_whole_history_page(vault):
    count = len(entries(vault))
    response = get(f"{vault.absolute_url()}/@@vault-history", "jdupont")
    assert history_rows(response) == count
    assert 'id="history-intact"' in response.text
    assert 'data-action="open"' in response.text
    assert "Attestation partagée" in response.text
    assert len(entries(vault)) == count  # reading is not traced


def test_a_mandated_agent_sees_only_their_own_lines(vault):
    get(f"{paper(vault, 'partage').absolute_url()}/@@preview", "lecteur")
    response = get(f"{vault.absolute_url()}/@@vault-history", "lecteur")
    assert history_rows(response) == 1
    assert 'data-action="preview"' in response.text
    assert "Carte privée" not in response.text
    assert "Lecteur" in response.text
    assert history_rows(get(f"{vault.absolute_url()}/@@vault-history", "telechargeur")) == 0


@pytest.mark.parametrize("login", [None, "accueil", SITE_OWNER_NAME])
def test_nobody_else_sees_the_history_page(vault, login):
    response = get(f"{vault.absolute_url()}/@@vault-history", login)
    assert_sent_to_login(response)
    assert "vault-history" not in response.text
