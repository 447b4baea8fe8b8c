"""The agent's home page ``@@accueil-agent`` and its "Mon accueil" tab (decision 0020): what it
lists, what it hides, its links, and who is refused."""

from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault.api import appointments
from datetime import date
from datetime import datetime
from plone import api
from vaults import acting_as
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


def add(login, vault, start, place, purpose="Suivi"):
    with acting_as(login):
        return appointments.add_appointment(vault, start=start, place=place, purpose=purpose)


@pytest.fixture
def site(functional_portal, frozen):
    api.portal.set_registry_record("plone.default_language", "fr")
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("autre-agent")
    make_user("chef", global_roles=["Manager"])
    make_user("admin-site", global_roles=["Site Administrator"])
    dupont = consent_as_owner(open_vault_as("accueil", "jdupont"))
    eleve = consent_as_owner(open_vault_as("accueil", "zeleve", first="Zoé", last="Élève"))
    martin = consent_as_owner(open_vault_as("accueil", "pmartin", first="Paul", last="Martin"))
    deposit_as("jdupont", dupont["partage"], title="Passeport de Jean")
    deposit_as("zeleve", eleve["partage"], title="Bulletin de salaire de Zoé")
    active_mandate(dupont, scopes=("consult", "deposit"))
    active_mandate(eleve, scopes=("deposit",), end=date(2026, 12, 10))  # ends within 30 days
    add("travailleur", dupont, datetime(2026, 11, 30, 9, 0, tzinfo=clock.PARIS), "CCAS, bureau 2")
    add("zeleve", eleve, datetime(2026, 11, 24, 14, 30, tzinfo=clock.PARIS), "Mairie annexe")
    add("pmartin", martin, datetime(2026, 11, 25, 10, 0, tzinfo=clock.PARIS), "Chez Paul Martin")
    cancelled = add("jdupont", dupont, datetime(2026, 11, 26, 9, 0, tzinfo=clock.PARIS), "Annulé")
    with acting_as("jdupont"):
        appointments.cancel_appointment(dupont, cancelled["id"])
    transaction.commit()
    return functional_portal, dupont, eleve, martin


def get(url, login=None):
    auth = (login, PASSWORD) if login else None
    return requests.get(url, auth=auth, allow_redirects=False, timeout=60)


def section(page, element_id):
    """The HTML of the ``<section id=…>``."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


def test_the_home_page_gathers_the_agents_day(site):
    portal, dupont, eleve, _martin = site
    response = get(f"{portal.absolute_url()}/@@accueil-agent", "travailleur")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    page = response.text
    assert "Mon accueil" in page

    opening = section(page, "home-open")
    assert f'href="{portal.absolute_url()}/@@ouvrir-un-coffre"' in opening

    upcoming = section(page, "home-upcoming")  # soonest first, cancelled ones left out
    assert upcoming.index("Zoé Élève") < upcoming.index("Jean Dupont")
    assert "24/11/2026 à 14 h 30" in upcoming and "Mairie annexe" in upcoming
    assert "30/11/2026 à 9 h 00" in upcoming and "CCAS, bureau 2" in upcoming
    assert "Annulé" not in upcoming

    mine = section(page, "home-accompaniments")
    assert mine.index("Jean Dupont") < mine.index("Zoé Élève")
    assert f"{dupont.absolute_url()}/@@rendez-vous" in mine
    assert f"{eleve.absolute_url()}/@@dossier" in mine  # the agent's page (decision 0045)
    assert f"{portal.absolute_url()}/@@mes-accompagnements" in mine

    ending = section(page, "home-ending")
    assert "Zoé Élève" in ending and "10/12/2026" in ending
    assert "Jean Dupont" not in ending  # ends in 2027

    letters = section(page, "home-letters")
    assert "Courriers qui attendent un coffre" in letters
    assert f"{portal.absolute_url()}/@@courriers-en-attente" in letters

    identity = section(page, "home-identity")  # consult scope only: Jean, not Zoé
    assert f"{dupont.absolute_url()}/@@identity-check" in identity
    assert f"{eleve.absolute_url()}/@@identity-check" not in identity


def test_the_home_page_hides_what_the_agent_may_not_see(site):
    portal, _dupont, _eleve, _martin = site
    page = get(f"{portal.absolute_url()}/@@accueil-agent", "travailleur").text
    assert "Paul Martin" not in page  # no mandate on his vault
    assert "Chez Paul Martin" not in page
    assert "Passeport de Jean" not in page  # never a paper's title
    assert "Bulletin de salaire" not in page  # deposit scope only on Zoé's vault
    other = get(f"{portal.absolute_url()}/@@accueil-agent", "autre-agent").text
    assert 'id="home-accompaniments-empty"' in other
    assert 'id="home-upcoming-empty"' in other
    assert "Jean Dupont" not in other and "CCAS, bureau 2" not in other


def test_the_letters_section_follows_the_parked_letters_permission(site):
    portal, *_vaults = site
    portal.manage_permission(permissions.MANAGE_PARKED_LETTERS, ["RecordsManager"], acquire=False)
    transaction.commit()
    page = get(f"{portal.absolute_url()}/@@accueil-agent", "travailleur").text
    assert 'id="home-letters"' not in page
    assert "@@courriers-en-attente" not in page


@pytest.mark.parametrize("login", [None, "jdupont", "chef", "admin-site"])
def test_the_home_page_is_refused_to_non_agents(site, login):
    portal, *_vaults = site
    response = get(f"{portal.absolute_url()}/@@accueil-agent", login)
    assert response.status_code in (302, 401, 403), response.status_code
    assert "Jean Dupont" not in response.text
    assert "CCAS, bureau 2" not in response.text


@pytest.mark.parametrize(
    "login, shown",
    [
        ("travailleur", True),
        ("autre-agent", True),
        ("jdupont", False),
        ("chef", False),
        (None, False),
    ],
)
def test_the_my_home_tab_is_for_agents_only(site, login, shown):
    portal, *_vaults = site
    # any themed page shows the tabs (the site root itself sends agents to "Mon accueil")
    response = get(f"{portal.absolute_url()}/@@search", login)
    # the person reaches no Plone page at all (decision 0034): sent to their own pages
    assert response.status_code == (302 if login == "jdupont" else 200)
    assert ("/@@accueil-agent" in response.text) is shown
