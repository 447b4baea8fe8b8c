"""No way around the traced download and the deposit inspection, even for the owner.

Plone offers other routes to a file's bytes (image scales, the form widget's
download, FTP/WebDAV ``manage_FTPget``/``manage_DAVget``) and to replacing
them (WebDAV ``PUT``).  For a paper, each is closed or goes through
``@@download``, which checks ``Download original`` and writes the history.
"""

from ccas.vault.history import api as history
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import requests
import transaction


OWNER = ("jdupont", PASSWORD)


@pytest.fixture
def paper(functional_portal):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    document = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    return vault, document


def downloads(vault):
    vault._p_jar.sync()
    return [entry for entry in history.entries(vault) if entry.action == "download"]


@pytest.mark.parametrize("route", ["manage_FTPget", "manage_DAVget", "@@images/file", "@@images"])
def test_closed_routes_serve_nothing(paper, route):
    _vault, document = paper
    response = requests.get(f"{document.absolute_url()}/{route}", auth=OWNER, allow_redirects=False)
    assert response.status_code in (302, 401, 403, 404)
    assert b"%PDF" not in response.content


def test_webdav_put_cannot_replace_the_file(paper):
    _vault, document = paper
    before = document.file.data
    response = requests.put(document.absolute_url(), data=b"%PDF-1.4 forged", auth=OWNER)
    assert response.status_code in (401, 403, 404, 405)
    document._p_jar.sync()
    assert document.file.data == before


def test_the_form_widget_download_goes_through_the_traced_view(paper):
    vault, document = paper
    url = f"{document.absolute_url()}/view/++widget++form.widgets.file/@@download"
    response = requests.get(url, auth=OWNER, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/@@download/file")
    served = requests.get(response.headers["Location"], auth=OWNER)
    assert served.content.startswith(b"%PDF")
    assert len(downloads(vault)) == 1
