"""An agent signs a mandate from "Mon accueil" and sees the watermarked preview on a paper's page.

The social-worker journey of DESIGN §6 in the staff intranet: the mandates
waiting for the agent's signature are listed on ``@@accueil-agent`` (person,
scopes, end, whether the person signed, the printable form) with a "Sign"
button (a POST with the form's authenticator); the paper's page shows the
watermarked preview to whoever may see it (``ccas.vault: View preview``) and
nothing to the others.
"""

from ccas.vault.api import mandates
from plone import api
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import re
import requests
import transaction


@pytest.fixture
def site(functional_portal):
    api.portal.set_registry_record("plone.default_language", "fr")
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("autre-agent")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["partage"], title="Bulletin de Jean")
    with acting_as("jdupont"):
        mandate = mandates.create_mandate(
            vault, agents=["travailleur"], scopes=["consult", "deposit"]
        )
        mandates.submit(mandate)
        mandates.sign_as_person(mandate)
    transaction.commit()
    return functional_portal, vault, mandate, paper


def session(login):
    http = requests.Session()
    http.auth = (login, PASSWORD)
    return http


def home(portal, login):
    response = session(login).get(f"{portal.absolute_url()}/@@accueil-agent", timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.text


def section(page, element_id):
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


def token(page):
    return re.search(r'name="_authenticator" value="([^"]+)"', page).group(1)


def state(obj):
    transaction.begin()
    return api.content.get_state(obj)


def test_the_named_agent_sees_the_mandate_waiting_for_a_signature(site):
    portal, _vault, mandate, _paper = site
    waiting = section(home(portal, "travailleur"), "home-to-sign")
    assert f'data-mandate="{mandate.getId()}"' in waiting
    assert "Jean Dupont" in waiting and "17/05/1980" in waiting
    assert "Consulter les papiers (aperçu)" in waiting and "Déposer des papiers" in waiting
    assert "Signé." in waiting
    assert f'href="{mandate.absolute_url()}/@@mandate-form"' in waiting
    assert f'value="{mandate.UID()}"' in waiting
    other = section(home(portal, "autre-agent"), "home-to-sign")
    assert "Jean Dupont" not in other
    assert "Aucun mandat n'attend votre signature." in other


def test_signing_from_the_home_page_puts_the_mandate_in_force(site):
    portal, _vault, mandate, _paper = site
    page = home(portal, "travailleur")
    answer = session("travailleur").post(
        f"{portal.absolute_url()}/@@accueil-agent",
        data={"sign": mandate.UID(), "_authenticator": token(page)},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/@@accueil-agent?fait=signe-actif")
    assert state(mandate) == "active"
    page = home(portal, "travailleur")
    assert "Vous avez signé le mandat. Il est en cours maintenant." not in page  # no message asked
    done = session("travailleur").get(answer.headers["Location"], timeout=60).text
    assert "Vous avez signé le mandat. Il est en cours maintenant." in section(done, "home-to-sign")
    assert "Aucun mandat n'attend votre signature." in section(done, "home-to-sign")
    assert "Jean Dupont" in section(done, "home-accompaniments")


def test_another_agent_cannot_sign_it(site):
    portal, _vault, mandate, _paper = site
    other_vault = consent_as_owner(open_vault_as("accueil", "pmartin", first="Paul", last="Martin"))
    with acting_as("pmartin"):  # a mandate of its own gives the other agent a form to post
        mandates.submit(
            mandates.create_mandate(other_vault, agents=["autre-agent"], scopes=["consult"])
        )
    transaction.commit()
    page = home(portal, "autre-agent")
    assert "Paul Martin" in section(page, "home-to-sign")
    assert "Non signé" not in page and "Pas encore signé." in section(page, "home-to-sign")
    answer = session("autre-agent").post(
        f"{portal.absolute_url()}/@@accueil-agent",
        data={"sign": mandate.UID(), "_authenticator": token(page)},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 200
    assert "Ce mandat n'attend plus votre signature." in section(answer.text, "home-to-sign")
    assert state(mandate) == "awaiting_signatures"


def test_signing_needs_the_forms_authenticator(site):
    portal, _vault, mandate, _paper = site
    answer = session("travailleur").post(
        f"{portal.absolute_url()}/@@accueil-agent",
        data={"sign": mandate.UID()},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 403
    assert state(mandate) == "awaiting_signatures"


def test_the_papers_page_shows_the_preview_to_who_may_consult_only(site):
    _portal, vault, mandate, paper = site
    with acting_as("travailleur"):
        mandates.sign_as_agent(mandate)
    active_mandate(vault, agents=("autre-agent",), scopes=("deposit",))
    transaction.commit()
    page = session("travailleur").get(paper.absolute_url(), timeout=60)
    assert page.status_code == 200
    assert 'id="paper-preview"' in page.text
    assert f'src="{paper.absolute_url()}/@@preview"' in page.text
    assert 'alt="Aperçu : Bulletin de Jean"' in page.text
    image = session("travailleur").get(f"{paper.absolute_url()}/@@preview", timeout=60)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    depositor = session("autre-agent").get(paper.absolute_url(), timeout=60)
    assert depositor.status_code == 200, depositor.status_code  # the details, not the preview
    assert 'id="paper-preview"' not in depositor.text
    assert "@@preview" not in depositor.text


def shared_listing(vault, login):
    """The ids the agent's REST listing of the shared space shows (Plone's catalog)."""
    answer = session(login).get(
        vault["partage"].absolute_url(), headers={"Accept": "application/json"}, timeout=60
    )
    if answer.status_code != 200:
        return answer.status_code
    return [item["@id"].rsplit("/", 1)[1] for item in answer.json()["items"]]


def test_the_shared_space_lists_the_earlier_papers_once_the_mandate_is_in_force(site):
    """A paper put in the shared space before the mandate is listed to the agent when the
    mandate comes into force, and no more once it is stopped."""
    _portal, vault, mandate, paper = site
    assert shared_listing(vault, "travailleur") in (401, 403)
    transaction.begin()  # what the server committed meanwhile
    with acting_as("travailleur"):
        mandates.sign_as_agent(mandate)
    transaction.commit()
    assert shared_listing(vault, "travailleur") == [paper.getId()]
    transaction.begin()
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    transaction.commit()
    assert shared_listing(vault, "travailleur") in (401, 403)
    catalog = api.portal.get_tool("portal_catalog")
    transaction.begin()
    (brain,) = catalog.unrestrictedSearchResults(UID=paper.UID())
    assert (
        "user:travailleur" not in catalog.getIndexDataForRID(brain.getRID())["allowedRolesAndUsers"]
    )
