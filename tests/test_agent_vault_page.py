"""The agent's page of a vault (``@@dossier``) and mandates given after the opening (decision 0045).

Over HTTP on the functional layer: who gets the page and what it shows for each
mandate; an agent proposes a mandate to a person found by names and date of
birth; the person accepts part of it (API and phone page); the printed form.
"""

from ccas.vault.api import mandates
from ccas.vault.api.errors import VaultError
from ccas.vault.history import api as history
from datetime import date
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


def get(url, login=None, **kw):
    auth = (login, PASSWORD) if login else None
    return requests.get(url, auth=auth, allow_redirects=False, timeout=60, **kw)


@pytest.fixture
def site(functional_portal, frozen):
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("partenaire")
    make_agent("sans-mandat")
    dupont = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-0042"], born=date(1980, 5, 17))
    )
    deposit_as("jdupont", dupont["partage"], document_type="cni", title="Carte d'identité")
    deposit_as("jdupont", dupont["partage"], title="Attestation CAF")
    deposit_as("jdupont", dupont["partage"], title="<b>gras</b> & co")
    deposit_as("jdupont", dupont["prive"], document_type="passeport", title="Passeport privé")
    active_mandate(dupont, scopes=("consult", "deposit", "account"))
    active_mandate(dupont, agents=("partenaire",), scopes=("consult",))
    transaction.commit()
    return functional_portal, dupont


def test_the_page_shows_the_person_their_papers_and_the_actions_of_the_mandate(site):
    _portal, dupont = site
    url = f"{dupont.absolute_url()}/@@dossier"
    response = get(url, "travailleur")
    assert response.status_code == 200, response.text[:2000]
    page = response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Jean Dupont" in page and "17/05/1980" in page and "GED-0042" in page
    assert "Carte d'identité" in page and "Attestation CAF" in page
    assert "Passeport privé" not in page  # the private space
    assert "&lt;b&gt;gras&lt;/b&gt; &amp; co" in page and "<b>gras" not in page  # escaped
    assert 'id="edit-bar"' not in page and "toolbar" not in page
    assert "Origine" not in page and "État" not in page
    for paper in dupont["partage"].objectValues():
        assert f">{paper.getId()}<" not in page  # no raw id shown
        assert f"{paper.absolute_url()}/@@preview" in page
    assert 'id="action-deposit"' in page and 'id="action-account-help"' in page
    assert 'id="action-identity-check"' in page
    assert 'id="action-share"' not in page and "print-link" not in page
    # the partner: consult only
    partner = get(url, "partenaire").text
    assert "Carte d'identité" in partner
    assert 'id="action-deposit"' not in partner and 'id="action-account-help"' not in partner


def test_the_page_is_refused_without_a_mandate_in_force(site):
    _portal, dupont = site
    url = f"{dupont.absolute_url()}/@@dossier"
    for login in ("sans-mandat", "jdupont"):
        response = get(url, login)
        assert response.status_code in (302, 401, 403), (login, response.status_code)
        assert "Carte d'identité" not in response.text
    assert get(url).status_code in (302, 401)


def test_agent_home_and_accompaniments_lead_to_the_page(site):
    portal, dupont = site
    dossier = f"{dupont.absolute_url()}/@@dossier"
    assert dossier in get(f"{portal.absolute_url()}/@@accueil-agent", "travailleur").text
    assert dossier in get(f"{portal.absolute_url()}/@@mes-accompagnements", "travailleur").text
    rest = get(
        f"{portal.absolute_url()}/++api++/coffres/@my-vaults",
        "travailleur",
        headers={"Accept": "application/json"},
    ).json()
    assert rest["items"][0]["dossier_url"] == dossier


# --- the API: proposal and partial acceptance ---------------------------------------


def test_an_agent_proposes_and_the_person_accepts_part_of_it(site):
    _portal, dupont = site
    with acting_as("sans-mandat"):
        mandate = mandates.propose_mandate(dupont, agents=[], scopes=["consult", "deposit"])
    assert api.content.get_state(mandate) == "awaiting_signatures"
    assert mandate.agents == ["sans-mandat"] and mandate.proposed_by == "sans-mandat"
    with acting_as("jdupont"), pytest.raises(VaultError) as refused:
        mandates.sign_as_person(mandate, scopes=[])
    assert refused.value.code == "no_scope_accepted"
    with acting_as("jdupont"), pytest.raises(VaultError) as refused:
        mandates.sign_as_person(mandate, scopes=["consult", "share"])
    assert refused.value.code == "bad_scopes"
    with acting_as("jdupont"):
        mandates.sign_as_person(mandate, scopes=["consult"])
    assert set(mandate.scopes) == {"consult"} and set(mandate.refused_scopes) == {"deposit"}
    with acting_as("sans-mandat"):
        mandates.sign_as_agent(mandate)
    assert api.content.get_state(mandate) == "active"
    signed = [e for e in history.entries(dupont) if e.action == "mandate_signed"][-2]
    assert dict(signed.details)["refused_scopes"] == "deposit"
    created = [e for e in history.entries(dupont) if e.action == "mandate_created"][-1]
    assert dict(created.details)["proposed_by"] == "sans-mandat"


def test_only_an_agent_proposes(site):
    _portal, dupont = site
    with acting_as("jdupont"), pytest.raises(VaultError):
        mandates.propose_mandate(dupont, agents=["travailleur"], scopes=["consult"])


# --- the browser forms (HTTP) --------------------------------------------------------


def _authenticator(html):
    return re.search(r'name="_authenticator"[^>]*value="([^"]+)"', html).group(1)


def test_the_proposal_form_shows_only_names_and_birth_date_then_the_person_signs_part(site):
    portal, dupont = site
    agent = requests.Session()
    agent.auth = ("sans-mandat", PASSWORD)
    url = f"{portal.absolute_url()}/@@proposer-un-mandat"
    token = _authenticator(agent.get(url, timeout=60).text)
    # a wrong date of birth finds nobody
    found = agent.post(
        url,
        data={
            "_authenticator": token,
            "last_name": "dupont",
            "first_name": "jean",
            "birth_date": "1980-05-18",
        },
        timeout=60,
    ).text
    assert 'id="search-error"' in found and "Jean Dupont" not in found
    identity = {"last_name": "DUPONT", "first_name": "Jean", "birth_date": "1980-05-17"}
    found = agent.post(url, data={"_authenticator": token, **identity}, timeout=60).text
    assert "Jean Dupont" in found and "17/05/1980" in found
    assert "Carte d'identité" not in found and "GED-0042" not in found
    # the vault id alone is refused to an agent without mandate
    alone = agent.get(url, params={"coffre": dupont.getId()}, timeout=60).text
    assert 'id="proposal"' not in alone and "Jean Dupont" not in alone
    form = agent.post(
        url, data={"_authenticator": token, "coffre": dupont.getId(), **identity}, timeout=60
    ).text
    assert 'id="proposal"' in form and "Carte d'identité" not in form
    done = agent.post(
        url,
        data={
            "_authenticator": token,
            "coffre": dupont.getId(),
            **identity,
            "propose": "1",
            "scopes:list": ["consult", "deposit"],
            "end": "2027-06-30",
        },
        timeout=60,
    )
    assert 'id="proposal-sent"' in done.text, done.text[:3000]
    transaction.begin()
    (mandate,) = [
        m for m in mandates.mandates_of(dupont) if getattr(m, "proposed_by", None) == "sans-mandat"
    ]
    assert set(mandate.scopes) == {"consult", "deposit"}

    # the person, on the skin: ticks only consult and signs
    person = requests.Session()
    login = person.post(
        f"{portal.absolute_url()}/mon-coffre/connexion",
        data={"__ac_name": "jdupont", "__ac_password": PASSWORD, "form.submitted": "1"},
        timeout=60,
        allow_redirects=False,
    )
    assert login.status_code == 303
    sign_url = f"{portal.absolute_url()}/mon-coffre/acces/signer?mandate={mandate.getId()}"
    page = person.get(sign_url, timeout=60).text
    assert 'name="scopes:list"' in page
    token = _authenticator(page)
    signed = person.post(
        sign_url,
        data={
            "_authenticator": token,
            "agree": "1",
            "scopes_shown": "1",
            "scopes:list": ["consult"],
        },
        timeout=60,
    )
    assert signed.status_code == 200, signed.text[:2000]
    transaction.begin()
    assert set(mandate.scopes) == {"consult"}
    # the agent signs on Mon accueil: the page shows the papers, no deposit
    home = agent.get(f"{portal.absolute_url()}/@@accueil-agent", timeout=60).text
    token = _authenticator(home)
    agent.post(
        f"{portal.absolute_url()}/@@accueil-agent",
        data={"_authenticator": token, "sign": mandate.UID()},
        timeout=60,
    )
    page = agent.get(f"{dupont.absolute_url()}/@@dossier", timeout=60).text
    assert "Carte d'identité" in page and 'id="action-deposit"' not in page


def test_the_person_gives_access_to_an_agent_named_by_their_email(site):
    portal, dupont = site
    api.user.get(userid="sans-mandat").setMemberProperties({"email": "s.mandat@ccas.example"})
    transaction.commit()
    person = requests.Session()
    person.post(
        f"{portal.absolute_url()}/mon-coffre/connexion",
        data={"__ac_name": "jdupont", "__ac_password": PASSWORD, "form.submitted": "1"},
        timeout=60,
        allow_redirects=False,
    )
    url = f"{portal.absolute_url()}/mon-coffre/acces/nouveau"
    page = person.get(url, timeout=60).text
    token = _authenticator(page)
    unknown = person.post(
        url, data={"_authenticator": token, "email": "nobody@ccas.example"}, timeout=60
    )
    assert unknown.status_code == 400 and 'id="new-agent"' not in unknown.text
    found = person.post(
        url, data={"_authenticator": token, "email": "S.Mandat@ccas.example"}, timeout=60
    ).text
    assert 'id="new-agent"' in found and "Sans-Mandat" in found
    signed = person.post(
        url,
        data={
            "_authenticator": token,
            "email": "s.mandat@ccas.example",
            "confirm": "1",
            "scopes_shown": "1",
            "scopes:list": ["consult"],
            "agree": "1",
        },
        timeout=60,
        allow_redirects=False,
    )
    assert signed.status_code in (302, 303), signed.text[:2000]
    transaction.begin()
    (mandate,) = [m for m in mandates.mandates_of(dupont) if m.agents == ["sans-mandat"]]
    assert set(mandate.scopes) == {"consult"} and mandate.person_signature
    assert api.content.get_state(mandate) == "awaiting_signatures"
    # the agent signs it on "Mon accueil"
    home = get(f"{portal.absolute_url()}/@@accueil-agent", "sans-mandat").text
    assert f'value="{mandate.UID()}"' in home


def test_rest_the_person_signs_part_of_a_proposed_mandate(site):
    portal, dupont = site
    with acting_as("sans-mandat"):
        mandate = mandates.propose_mandate(dupont, agents=[], scopes=["consult", "deposit"])
    transaction.commit()
    url = (
        f"{portal.absolute_url()}/++api++/coffres/{dupont.getId()}/{mandate.getId()}/@mandate-sign"
    )
    headers = {"Accept": "application/json"}
    auth = ("jdupont", PASSWORD)
    bad = requests.post(
        url,
        json={"method": "electronic", "scopes": "consult"},
        headers=headers,
        auth=auth,
        timeout=60,
    )
    assert bad.status_code == 400, bad.text
    more = requests.post(
        url,
        json={"method": "electronic", "scopes": ["share"]},
        headers=headers,
        auth=auth,
        timeout=60,
    )
    assert more.status_code in (400, 403, 409), more.text
    signed = requests.post(
        url,
        json={"method": "electronic", "scopes": ["consult"]},
        headers=headers,
        auth=auth,
        timeout=60,
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["scopes"] == ["consult"]


def test_a_deposit_from_the_page_comes_back_to_it(site):
    from vaults import pdf_bytes

    _portal, dupont = site
    agent = requests.Session()
    agent.auth = ("travailleur", PASSWORD)
    page = agent.get(f"{dupont.absolute_url()}/@@dossier", timeout=60).text
    deposit_url = re.search(r'id="action-deposit"[^>]*|href="([^"]+@@deposit[^"]*)"', page)
    href = re.search(r'href="([^"]+/@@deposit\?retour=dossier)"', page).group(1)
    form = agent.get(href, timeout=60).text
    assert deposit_url and 'name="retour"' in form
    answer = agent.post(
        href.split("?")[0],
        data={
            "_authenticator": _authenticator(form),
            "form.submitted": "1",
            "retour": "dossier",
            "document_type": "attestation-caf",
            "title": "Déposée par le travailleur",
        },
        files={"file": ("attestation.pdf", pdf_bytes("Attestation"), "application/pdf")},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:2000]
    assert answer.headers["Location"] == f"{dupont.absolute_url()}/@@dossier"
    assert "Déposée par le travailleur" in agent.get(answer.headers["Location"], timeout=60).text


def test_odd_inputs_get_an_answer_never_a_crash(site):
    portal, dupont = site
    agent = requests.Session()
    agent.auth = ("travailleur", PASSWORD)
    url = f"{portal.absolute_url()}/@@proposer-un-mandat"
    token = _authenticator(agent.get(url, timeout=60).text)
    identity = {"last_name": "Dupont", "first_name": "Jean", "birth_date": "1980-05-17"}
    tries = [
        {"coffre": ["a", "b"]},
        {"last_name": ["a", "b"], "first_name": "x", "birth_date": "hier"},
        {"coffre": dupont.getId(), "propose": "1", "scopes:list": ["bogus"]},
        {"coffre": dupont.getId(), "propose": "1", "scopes:list": ["consult"], "end": "2099-1-1"},
        {"coffre": dupont.getId(), **identity, "propose": "1", "end": "demain"},
        {"fait": ["x", "y"]},
    ]
    for data in tries:
        answer = agent.post(url, data={"_authenticator": token, **data}, timeout=60)
        assert answer.status_code < 500, (data, answer.status_code)
    paper = f"{portal.absolute_url()}/@@mandat-papier"
    for params in ({}, {"mandat": ["a", "b"]}, {"mandat": "nope"}):
        assert agent.get(paper, params=params, timeout=60).status_code < 500, params
    person = requests.Session()
    person.post(
        f"{portal.absolute_url()}/mon-coffre/connexion",
        data={"__ac_name": "jdupont", "__ac_password": PASSWORD, "form.submitted": "1"},
        timeout=60,
    )
    new = f"{portal.absolute_url()}/mon-coffre/acces/nouveau"
    token = _authenticator(person.get(new, timeout=60).text)
    for data in ({"email": ["a", "b"]}, {"email": "x" * 300}, {"email": "@", "confirm": "1"}):
        answer = person.post(new, data={"_authenticator": token, **data}, timeout=60)
        assert answer.status_code < 500, (data, answer.status_code)


def test_the_reception_search_offers_to_propose_a_mandate(site):
    portal, _dupont = site
    agent = requests.Session()
    agent.auth = ("accueil", PASSWORD)
    wizard = f"{portal.absolute_url()}/@@ouvrir-un-coffre"
    token = _authenticator(agent.get(wizard, timeout=60).text)
    page = agent.post(
        wizard,
        data={
            "_authenticator": token,
            "step": "search",
            "search": "1",
            "last_name": "Dupont",
            "first_name": "Jean",
            "birth_date": "1980-05-17",
        },
        timeout=60,
    ).text
    link = re.search(r'class="propose-mandate"\s+href="([^"]+)"', page)
    assert link, page[-3000:]
    proposal = agent.get(link.group(1).replace("&amp;", "&"), timeout=60).text
    assert "Jean Dupont" in proposal and 'id="choose-form"' in proposal


def test_an_agent_typing_a_space_address_lands_on_the_vault_page_not_plones_listing(site):
    """Issue 20 item 1: ``/coffres/<vault>/partage`` showed papers as opaque ids."""
    _portal, dupont = site
    dossier = f"{dupont.absolute_url()}/@@dossier"
    for login in ("travailleur", "partenaire"):
        response = get(dupont["partage"].absolute_url(), login)
        assert response.status_code == 302, (login, response.status_code)
        assert response.headers["Location"] == dossier
    # the agent without a mandate is refused as before (nothing told about the vault)
    refused = get(dupont["partage"].absolute_url(), "sans-mandat")
    assert refused.status_code in (302, 401, 403)
    assert refused.headers.get("Location", "") != dossier
    # a paper's own page is unchanged for who may read it
    paper = dupont["partage"].objectValues()[0]
    assert get(paper.absolute_url(), "travailleur").status_code == 200
