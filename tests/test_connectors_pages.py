"""The connectors' pages over HTTP (functional layer): the person's consent and fetch in the skin,
the withdrawal from « Qui a accès », the agent's ``@@connecteurs`` (deposit scope only, each rule
tried), the records manager's ``@@ccas-connecteurs`` (the token never shown back).
"""

from api_particulier_server import FakeApiParticulier
from api_particulier_server import SIRET
from api_particulier_server import TOKEN
from ccas.vault.connectors import api_particulier
from ccas.vault.connectors import consent
from ccas.vault.connectors import settings
from ccas.vault.history import api as history
from datetime import date
from plone import api
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import requests
import transaction


NAME = api_particulier.NAME


@pytest.fixture
def site(functional_portal, frozen):
    server = FakeApiParticulier().start()
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("consultant")
    make_agent("autre")
    make_user("archiviste", ["RecordsManager"])
    vault = consent_as_owner(
        open_vault_as(
            "accueil", "jdupont", first="Jeanne", last="Lefebvre", born=date(1982, 12, 27)
        )
    )
    consent_as_owner(open_vault_as("accueil", "amartin", first="Anne", last="Martin"))
    active_mandate(vault, agents=("travailleur",), scopes=("consult", "deposit"))
    active_mandate(vault, agents=("consultant",), scopes=("consult",))
    settings.set_enabled(NAME, True)
    settings.set_settings(NAME, {"base_url": server.url, "token": TOKEN, "recipient": SIRET})
    transaction.commit()
    yield functional_portal, vault, server
    server.stop()


def staff(method, url, login, **kw):
    auth = (login, PASSWORD) if login else None
    return requests.request(method, url, auth=auth, allow_redirects=False, timeout=60, **kw)


def agree_in_the_skin(portal, session):
    page = session.get(skin(portal, "connecteurs"), timeout=60)
    assert page.status_code == 200
    return session.post(
        skin(portal, "connecteurs"),
        data={
            "_authenticator": form_token(page.text),
            "connector": NAME,
            "person_sexe": "F",
            "person_code_commune_naissance": "59350",
            "consent": "1",
            "scheduled": "1",
        },
        timeout=60,
    )


def shared_papers(vault):
    transaction.begin()
    return [d for d in vault["partage"].objectValues() if d.portal_type == "VaultDocument"]


def test_the_person_agrees_in_the_skin_then_fetches_the_paper(site):
    portal, vault, _server = site
    session = skin_session(portal, "jdupont")
    add = session.get(skin(portal, "ajouter"), timeout=60).text
    assert 'id="connectors-link"' in add
    page = session.get(skin(portal, "connecteurs"), timeout=60).text
    assert "CAF ou la MSA" in page and "quotient familial" in page  # the notice
    answer = agree_in_the_skin(portal, session)
    assert answer.status_code == 200 and "accord" in answer.text
    transaction.begin()
    record = consent.consent_of(vault, NAME)
    assert record["given_by"] == "jdupont" and record["scheduled"]
    fetched = session.post(
        skin(portal, "connecteurs"),
        data={"_authenticator": form_token(answer.text), "connector": NAME, "fetch": "1"},
        timeout=60,
    )
    assert fetched.status_code == 200
    [paper] = shared_papers(vault)
    assert paper.title.startswith("Attestation de quotient familial (source : CAF")
    papers = session.get(skin(portal, "papiers"), timeout=60).text
    assert "Attestation de quotient familial (source : CAF, via API Particulier" in papers


def test_withdrawing_from_qui_a_acces(site):
    portal, vault, _server = site
    session = skin_session(portal, "jdupont")
    agree_in_the_skin(portal, session)
    access = session.get(skin(portal, "acces"), timeout=60).text
    assert f'id="revoke-{NAME}"' in access
    answer = session.post(
        skin(portal, "connecteurs/retirer"),
        data={"_authenticator": form_token(access), "connector": NAME, "retour": "acces"},
        timeout=60,
    )
    assert answer.status_code == 200 and "acces" in answer.url
    assert f'id="revoke-{NAME}"' not in answer.text
    transaction.begin()
    assert consent.consent_of(vault, NAME) is None


def test_a_forged_post_changes_nothing(site):
    portal, vault, _server = site
    session = skin_session(portal, "jdupont")
    answer = session.post(
        skin(portal, "connecteurs"),
        data={"connector": NAME, "person_sexe": "F", "consent": "1"},
        timeout=60,
    )
    assert answer.status_code in (401, 403) or "connexion" in answer.url
    transaction.begin()
    assert consent.consent_of(vault, NAME) is None


def test_another_person_never_reaches_this_vault_s_connectors(site):
    portal, vault, _server = site
    other = skin_session(portal, "amartin")
    agree_in_the_skin(portal, other)  # their own vault
    transaction.begin()
    assert consent.consent_of(vault, NAME) is None


def test_the_agent_with_the_deposit_scope_fetches_on_the_agent_s_page(site):
    portal, vault, _server = site
    agree_in_the_skin(portal, skin_session(portal, "jdupont"))
    dossier = staff("GET", f"{vault.absolute_url()}/@@dossier", "travailleur").text
    assert 'id="action-connectors"' in dossier
    page = staff("GET", f"{vault.absolute_url()}/@@connecteurs", "travailleur")
    assert (page.status_code == 200 and "La personne a donné son accord" in page.text) or (
        "The person agreed" in page.text
    )
    done = staff(
        "POST",
        f"{vault.absolute_url()}/@@connecteurs",
        "travailleur",
        data={"_authenticator": form_token(page.text), "connector": NAME},
    )
    assert done.status_code == 200, done.text[:500]
    assert 'id="connector-done"' in done.text
    [paper] = shared_papers(vault)
    assert api.content.get_state(paper) == "certified"


def test_an_api_error_is_shown_to_the_agent_and_nothing_is_stored(site):
    portal, vault, _server = site
    session = skin_session(portal, "jdupont")
    page = session.get(skin(portal, "connecteurs"), timeout=60)
    session.post(
        skin(portal, "connecteurs"),
        data={
            "_authenticator": form_token(page.text),
            "connector": NAME,
            "person_sexe": "F",
            "person_code_commune_naissance": "59350",
            "person_nom_naissance": "INCONNU",
            "consent": "1",
        },
        timeout=60,
    )
    page = staff("GET", f"{vault.absolute_url()}/@@connecteurs", "travailleur")
    done = staff(
        "POST",
        f"{vault.absolute_url()}/@@connecteurs",
        "travailleur",
        data={"_authenticator": form_token(page.text), "connector": NAME},
    )
    assert done.status_code == 404
    assert "ne trouvent pas de dossier allocataire" in done.text
    assert shared_papers(vault) == []


@pytest.mark.parametrize("login", ["consultant", "autre", "accueil", "jdupont", "archiviste", None])
def test_only_the_deposit_scope_reaches_the_agent_s_page(site, login):
    _portal, vault, server = site
    url = f"{vault.absolute_url()}/@@connecteurs"
    assert staff("GET", url, login).status_code in (302, 401, 403)
    assert staff("POST", url, login, data={"connector": NAME}).status_code in (302, 401, 403)
    assert server.requests == [] and shared_papers(vault) == []


def test_the_agent_s_post_needs_the_form_token(site):
    portal, vault, server = site
    agree_in_the_skin(portal, skin_session(portal, "jdupont"))
    answer = staff(
        "POST", f"{vault.absolute_url()}/@@connecteurs", "travailleur", data={"connector": NAME}
    )
    assert answer.status_code == 403
    assert server.requests == [] and shared_papers(vault) == []


def test_the_records_manager_switches_on_and_the_token_is_never_shown(site):
    portal, _vault, _server = site
    url = f"{portal.absolute_url()}/@@ccas-connecteurs"
    page = staff("GET", url, "archiviste")
    assert page.status_code == 200, page.text[:500]
    assert TOKEN not in page.text and "API Particulier" in page.text
    saved = staff(
        "POST",
        url,
        "archiviste",
        data={
            "_authenticator": form_token(page.text),
            "connector": NAME,
            "setting_base_url": "https://particulier.api.gouv.fr",
            "setting_token": "nouveau-jeton",
            "setting_recipient": SIRET,
        },
    )
    assert saved.status_code == 200 and "nouveau-jeton" not in saved.text
    transaction.begin()
    assert not settings.is_enabled(NAME)  # the box was not ticked
    assert settings.get_settings(NAME)["token"] == "nouveau-jeton"
    assert "nouveau-jeton" not in settings.stored_value(NAME, "token")


@pytest.mark.parametrize("login", ["travailleur", "jdupont", "autre", None])
def test_only_the_records_manager_reaches_the_panel(site, login):
    portal, _vault, _server = site
    url = f"{portal.absolute_url()}/@@ccas-connecteurs"
    assert staff("GET", url, login).status_code in (302, 401, 403)
    answer = staff("POST", url, login, data={"connector": NAME, "setting_token": "vol"})
    assert answer.status_code in (302, 401, 403)
    transaction.begin()
    assert settings.get_settings(NAME)["token"] == TOKEN


def test_the_person_downloads_the_answer_kept_beside_the_paper_and_nobody_else(site):
    portal, vault, _server = site
    session = skin_session(portal, "jdupont")
    answer = agree_in_the_skin(portal, session)
    session.post(
        skin(portal, "connecteurs"),
        data={"_authenticator": form_token(answer.text), "connector": NAME, "fetch": "1"},
        timeout=60,
    )
    [paper] = shared_papers(vault)
    page = session.get(skin(portal, "connecteurs"), timeout=60).text
    url = skin(portal, "connecteurs/reponse", papier=paper.UID())
    assert url.replace("&", "&amp;") in page or url in page
    got = session.get(url, timeout=60)
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.json()["data"]["quotient_familial"]["valeur"] == 2550
    transaction.begin()
    last = history.entries(vault)[-1]
    assert last.action == "download" and last.details["what"] == "connector_answer"
    # another person, through their own skin: not their paper
    other = skin_session(portal, "amartin")
    assert other.get(url, timeout=60, allow_redirects=False).status_code == 404
    # agents (even with the deposit scope), the records manager, anonymous: not the person
    for login in ("travailleur", "archiviste", None):
        refused = staff("GET", url, login)
        assert refused.status_code in (302, 401, 403, 404) or "sans-coffre" in refused.text
        assert "quotient_familial" not in refused.text
    assert (
        session.get(skin(portal, "connecteurs/reponse", papier="x"), timeout=60).status_code == 404
    )
