"""Reading a paper and logging in are traced in the person's vault (rule 6)."""

from ccas.vault.history import api as history
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import requests
import transaction


@pytest.fixture
def paper(functional_portal):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    document = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    return vault, document


def actions(vault):
    vault._p_jar.sync()
    return [entry.action for entry in history.entries(vault)]


def test_reading_metadata_through_rest_is_traced(paper):
    vault, document = paper
    url = document.absolute_url().replace("/plone/", "/plone/++api++/", 1)
    response = requests.get(url, auth=("jdupont", PASSWORD), headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert actions(vault)[-1] == "view"


def test_reading_the_page_of_a_paper_is_traced(paper):
    vault, document = paper
    response = requests.get(document.absolute_url(), auth=("jdupont", PASSWORD))
    assert response.status_code == 200
    assert actions(vault)[-1] == "view"


def test_a_refused_read_leaves_a_refused_line_not_a_view(paper):
    vault, document = paper
    before = actions(vault)
    response = requests.get(
        document.absolute_url(), auth=("accueil", PASSWORD), allow_redirects=False
    )
    assert response.status_code != 200
    assert actions(vault) == [*before, "access_refused"]


def test_logging_in_is_traced(paper, functional_portal):
    vault, _document = paper
    session = requests.Session()
    response = session.post(
        f"{functional_portal.absolute_url()}/login",
        data={"__ac_name": "jdupont", "__ac_password": PASSWORD, "buttons.login": "Log in"},
        allow_redirects=False,
    )
    assert "__ac" in session.cookies
    assert response.status_code in (200, 302)
    assert actions(vault)[-1] == "login"
