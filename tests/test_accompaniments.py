"""My accompaniments (API, REST, page) and the reception identity check."""

from AccessControl import Unauthorized
from ccas.vault.api import accompaniments
from ccas.vault.api import mandates
from ccas.vault.history import api as history
from datetime import date
from datetime import datetime
from plone import api
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import END
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import START
import pytest
import requests
import transaction


def people():
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("autre-agent")
    dupont = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-0042"], born=date(1980, 5, 17))
    )
    eleve = consent_as_owner(
        open_vault_as("accueil", "aeleve", first="Zoé", last="Élève", born=date(1990, 1, 2))
    )
    martin = consent_as_owner(open_vault_as("accueil", "pmartin", first="Paul", last="Martin"))
    return dupont, eleve, martin


@pytest.fixture
def vaults(portal, frozen):
    return people()


def ids(items):
    return [item["id"] for item in items]


# --- API ------------------------------------------------------------------------


def test_my_vaults_lists_the_mandates_in_force_sorted_by_last_name(vaults, frozen):
    dupont, eleve, martin = vaults
    active_mandate(dupont, scopes=("consult", "extract"), end=date(2027, 1, 31))
    active_mandate(eleve, scopes=("deposit",), end=None)
    with acting_as(martin.owner_login):  # a mandate not signed yet gives nothing
        mandates.create_mandate(
            martin, agents=["travailleur"], scopes=["consult"], start=START, end=END
        )
    with acting_as("travailleur"):
        items = accompaniments.my_vaults()
    assert ids(items) == [dupont.getId(), eleve.getId()]
    first, second = items
    assert first["first_name"] == "Jean"
    assert first["last_name"] == "Dupont"
    assert first["birth_date"] == "1980-05-17"
    assert first["ged_person_ids"] == ["GED-0042"]
    assert first["scopes"] == ["consult", "extract"]
    assert first["until"] == "2027-01-31"
    assert first["shared_space_url"].endswith(f"/coffres/{dupont.getId()}/partage")
    assert second["scopes"][0] == "deposit"
    assert second["until"] is None


def test_a_mandate_stops_being_listed_exactly_at_its_end(vaults, frozen):
    dupont = vaults[0]
    active_mandate(dupont, end=date(2027, 1, 31))
    frozen(datetime(2027, 1, 31, 23, 59, 59))
    with acting_as("travailleur"):
        assert ids(accompaniments.my_vaults()) == [dupont.getId()]
    frozen(datetime(2027, 2, 1, 0, 0, 0))
    with acting_as("travailleur"):
        assert accompaniments.my_vaults() == []


def test_a_revoked_mandate_is_not_listed(vaults, frozen):
    dupont = vaults[0]
    mandate = active_mandate(dupont)
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    with acting_as("travailleur"):
        assert accompaniments.my_vaults() == []


def test_search_by_name_without_accents_or_case_and_by_ged_id(vaults, frozen):
    dupont, eleve, _martin = vaults
    active_mandate(dupont)
    active_mandate(eleve)
    with acting_as("travailleur"):
        assert ids(accompaniments.my_vaults("eleve")) == [eleve.getId()]
        assert ids(accompaniments.my_vaults("ZOE")) == [eleve.getId()]
        assert ids(accompaniments.my_vaults("jean dup")) == [dupont.getId()]
        assert ids(accompaniments.my_vaults("ged-0042")) == [dupont.getId()]
        assert accompaniments.my_vaults("GED-00") == []  # a GED id matches whole
        assert accompaniments.my_vaults("personne") == []


def test_other_agents_see_nothing_and_beneficiaries_are_refused(vaults, frozen):
    active_mandate(vaults[0])
    with acting_as("autre-agent"):
        assert accompaniments.my_vaults() == []
    for login in ("jdupont", None):
        with acting_as(login), pytest.raises(Unauthorized):
            accompaniments.my_vaults()


def test_mandates_ending_soon(vaults, frozen):
    dupont, eleve, martin = vaults
    active_mandate(dupont, end=date(2026, 12, 20))
    active_mandate(eleve, end=date(2026, 12, 24))
    active_mandate(martin, end=date(2027, 6, 1))
    with acting_as("travailleur"):
        assert ids(accompaniments.mandates_ending_soon()) == [dupont.getId()]
        assert ids(accompaniments.mandates_ending_soon(days=31)) == [dupont.getId(), eleve.getId()]


# --- REST and browser (functional) -----------------------------------------------


@pytest.fixture
def site(functional_portal, frozen):
    dupont, eleve, _martin = people()
    make_agent("sans-consult")
    deposit_as("jdupont", dupont["partage"], document_type="cni", title="Carte d'identité")
    deposit_as("jdupont", dupont["partage"], title="Attestation CAF")
    deposit_as("jdupont", dupont["prive"], document_type="passeport", title="Passeport privé")
    active_mandate(dupont, scopes=("consult",))
    active_mandate(dupont, agents=("sans-consult",), scopes=("deposit",))
    active_mandate(eleve, scopes=("extract",), end=date(2026, 12, 1))
    transaction.commit()
    return functional_portal, dupont


def get(url, login=None, **kw):
    auth = (login, PASSWORD) if login else None
    return requests.get(url, auth=auth, allow_redirects=False, timeout=60, **kw)


def entries(vault):
    transaction.begin()
    return history.entries(api.portal.get().unrestrictedTraverse(vault.getPhysicalPath()))


def test_rest_my_vaults(site):
    portal, dupont = site
    url = f"{portal.absolute_url()}/++api++/coffres/@my-vaults"
    response = get(url, "travailleur", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["items_total"] == 2
    assert [item["last_name"] for item in body["items"]] == ["Dupont", "Élève"]
    assert response.headers["Cache-Control"] == "private, no-store"
    body = get(url, "travailleur", params={"q": "GED-0042"}).json()
    assert [item["id"] for item in body["items"]] == [dupont.getId()]
    assert get(url, "autre-agent").json()["items"] == []
    anonymous = get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "Unauthorized"
    beneficiary = get(url, "jdupont")
    assert beneficiary.status_code == 403
    assert beneficiary.json()["error"]["message_fr"]


def test_the_page_renders_for_an_agent(site):
    portal, dupont = site
    url = f"{portal.absolute_url()}/@@mes-accompagnements"
    response = get(url, "travailleur")
    assert response.status_code == 200, response.text
    page = response.text
    assert 'id="accompaniments"' in page
    assert "Jean Dupont" in page
    assert "17/05/1980" in page
    assert f"/coffres/{dupont.getId()}/@@dossier" in page  # the agent's page (decision 0045)
    assert 'id="ending-soon"' in page  # Élève: ends on 2026-12-01
    assert response.headers["Cache-Control"] == "private, no-store"
    filtered = get(url, "travailleur", params={"q": "eleve"}).text
    assert "Jean Dupont" not in filtered
    assert "Zoé Élève" in filtered
    assert 'id="accompaniments-empty"' in get(url, "autre-agent").text


def test_the_page_is_refused_to_others(site):
    portal, _dupont = site
    url = f"{portal.absolute_url()}/@@mes-accompagnements"
    for login in (None, "jdupont"):
        response = get(url, login)
        assert response.status_code in (302, 401, 403), response.status_code
        assert "Jean Dupont" not in response.text


def test_identity_check_with_consult_is_traced(site):
    _portal, dupont = site
    before = len(entries(dupont))
    response = get(f"{dupont.absolute_url()}/@@identity-check", "travailleur")
    assert response.status_code == 200, response.text
    page = response.text
    assert "Jean Dupont" in page
    (cni,) = [d for d in dupont["partage"].objectValues() if d.document_type == "cni"]
    assert f'src="{cni.absolute_url()}/@@preview"' in page
    assert page.count("/@@preview") == 1  # not the CAF paper, nothing private
    assert "Passeport" not in page
    after = entries(dupont)
    assert len(after) == before + 1
    assert after[-1].action == "view"
    assert after[-1].actor == "travailleur"
    assert dict(after[-1].details) == {"what": "identity_check"}
    preview = get(f"{cni.absolute_url()}/@@preview", "travailleur")
    assert preview.status_code == 200
    assert preview.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("login", [None, "autre-agent", "sans-consult", "accueil"])
def test_identity_check_refused_without_consult(site, login):
    _portal, dupont = site
    before = len(entries(dupont))
    response = get(f"{dupont.absolute_url()}/@@identity-check", login)
    assert response.status_code in (302, 401, 403), response.status_code
    assert "Jean Dupont" not in response.text
    # a refusal may be recorded (control report), never a consultation
    assert not [entry for entry in entries(dupont)[before:] if entry.action == "view"]


def test_identity_check_refused_once_the_mandate_ended(site, frozen):
    _portal, dupont = site
    frozen(datetime(2027, 11, 24, 0, 0))
    response = get(f"{dupont.absolute_url()}/@@identity-check", "travailleur")
    assert response.status_code == 302
