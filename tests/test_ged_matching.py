"""GED letters matched from the browser (issue 20, item 3; decision 0046), in process and over HTTP.

The wizard's GED id (duplicates refused, the waiting letters counted and delivered at the
consent), "Mon accueil"'s unfinished openings, the person's word on an empty "Mes papiers",
and the parked letters page: search, paging bounds, matching a GED id to a vault found by
name and date of birth (refused for a vault not open, for a partner agent).
"""

from AccessControl import Unauthorized
from ccas.vault import clock
from ccas.vault import roles
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.api.errors import VaultError
from ccas.vault.history import api as history
from ccas.vault.letters import matching
from ccas.vault.letters import parking
from ccas.vault.letters.delivery import receive_letter
from datetime import date
from plone import api
from test_ged_letters import letter
from test_ged_letters import letters_of
from test_opening_wizard import CONTACT
from test_opening_wizard import error
from test_opening_wizard import PERSON
from test_opening_wizard import PERSON_PASSWORD
from test_opening_wizard import step_of
from test_opening_wizard import Wizard
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import re
import requests
import transaction


@pytest.fixture
def site(functional_portal):
    api.portal.set_registry_record("plone.available_languages", ["fr", "en"])
    api.portal.set_registry_record("plone.default_language", "fr")
    make_agent("accueil")
    make_agent("collegue")
    ensure_group("caf-agents", "Agents de la CAF", [roles.VAULT_AGENT])
    ensure_account("partenaire-caf", PASSWORD, "Julie Petit", groups=["caf-agents"])
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    for number in range(3):
        receive_letter(letter(f"GED-W-{number}", person={"ged_person_id": "GED-77"}), "ged")
    transaction.commit()
    return functional_portal


def get(portal, login, path, follow=True, **params):
    return requests.get(
        f"{portal.absolute_url()}/{path}",
        params=params,
        auth=(login, PASSWORD),
        timeout=60,
        allow_redirects=follow,
    )


def token_of(page):
    return re.search(r'name="_authenticator" value="([^"]+)"', page.text).group(1)


# --- a. the wizard's GED id ------------------------------------------------------------------


def test_the_wizard_takes_the_ged_id_counts_the_letters_and_delivers_them_at_the_consent(site):
    wizard = Wizard(site)
    wizard.get()
    identity = wizard.post({"step": "search", **PERSON})
    assert 'id="ged_person_ids"' in identity.text
    # typed twice: refused, what was typed kept
    page = wizard.post(
        {"step": "identity", **PERSON, **CONTACT, "ged_person_ids": "GED-77, ged-77 "}
    )
    assert step_of(page) == "identity" and page.status_code == 400
    assert error(page, "ged_person_ids") == (
        "L'identifiant GED ged-77 est écrit deux fois. Écrivez-le une seule fois."
    )
    assert 'value="GED-77, ged-77 "' in page.text
    page = wizard.post({"step": "identity", **PERSON, **CONTACT, "ged_person_ids": "GED-77"})
    assert step_of(page) == "account"
    assert "Courriers de la GED du CCAS en attente pour cette personne : 3." in page.text
    assert 'name="ged_person_ids" value="GED-77"' in page.text  # carried to step 3
    page = wizard.post(
        {
            "step": "account",
            **PERSON,
            **CONTACT,
            "ged_person_ids": "GED-77",
            "login": "lmartin",
            "password": PERSON_PASSWORD,
            "password2": PERSON_PASSWORD,
        }
    )
    assert step_of(page) == "consent"
    assert "Courriers de la GED du CCAS en attente pour cette personne : <strong>3</strong>." in (
        page.text
    )
    transaction.begin()
    vault = api.portal.get()["coffres"][wizard.vault_id]
    assert vault.ged_person_ids == ["GED-77"]
    assert parking.get_parked("GED-W-0").reason == "vault_not_open"

    wizard.consent(receive_ccas_letters="1")
    done = wizard.vault_step("mandate", {"skip": "1"})
    done = wizard.vault_step("deposit", {"skip": "1"})
    assert step_of(done) == "done"
    summary = re.search(r'id="summary-ged">(.*?)</dd>', done.text, re.S).group(1)
    assert "GED-77" in summary and "courriers du CCAS déposés : 3" in summary
    transaction.begin()
    assert len(letters_of(vault)) == 3
    assert matching.waiting_for("GED-77") == 0


def test_a_ged_id_of_another_vault_is_refused(site):
    open_vault_as("collegue", "jdupont", ged_person_ids=["GED-12"])
    transaction.commit()
    wizard = Wizard(site)
    wizard.get()
    wizard.post({"step": "search", **PERSON})
    page = wizard.post({"step": "identity", **PERSON, **CONTACT, "ged_person_ids": "ged-12"})
    assert step_of(page) == "identity"
    message = error(page, "ged_person_ids")
    assert message.startswith("L'identifiant GED ged-12 est déjà celui d'un autre coffre (c-")
    assert "vérifiez-le dans la GED" in message


def test_a_partner_agent_has_no_ged_field_and_cannot_post_one(site):
    wizard = Wizard(site, login="partenaire-caf")
    wizard.get()
    identity = wizard.post({"step": "search", **PERSON})
    assert step_of(identity) == "identity"
    assert 'id="ged_person_ids"' not in identity.text
    page = wizard.post({"step": "identity", **PERSON, **CONTACT, "ged_person_ids": "GED-77"})
    assert error(page, "ged_person_ids") == (
        "Seuls les agents du CCAS saisissent un identifiant GED."
    )


# --- b. "Mon accueil": the openings to finish --------------------------------------------------


def test_my_home_lists_my_openings_waiting_for_consent_with_a_link_to_go_on(site):
    mine = open_vault_as("accueil", "jdupont", ged_person_ids=["GED-77"])
    open_vault_as("collegue", "pmartin", first="Paul", last="Martin")
    consent_as_owner(open_vault_as("accueil", "sroux", first="Sophie", last="Roux"))
    transaction.commit()
    home = get(site, "accueil", "@@accueil-agent")
    section = re.search(r'<section id="home-openings".*?</section>', home.text, re.S).group(0)
    assert "Jean Dupont" in section and "17/05/1980" in section
    assert "Paul Martin" not in section and "Sophie Roux" not in section
    assert "Attend l&#x27;accord de la personne" in section or "Attend l'accord" in section
    assert "Courriers de la GED en attente : 3" in section
    url = f"{site.absolute_url()}/@@ouvrir-un-coffre?vault={mine.getId()}&amp;step=consent"
    assert url in section
    # the colleague sees theirs, not mine; the partner agent (no letters right) no count
    other = get(site, "collegue", "@@accueil-agent").text
    assert "Paul Martin" in other and "Jean Dupont" not in other
    # step 1 of the wizard points to it too when the agent searches the person again
    wizard = Wizard(site)
    wizard.get()
    page = wizard.post(
        {"step": "search", "last_name": "Dupont", "first_name": "Jean", "birth_date": "1980-05-17"}
    )
    assert "Continuer : il manque l&#x27;accord" in page.text or "il manque l'accord" in page.text
    # once the person consents, it is no longer listed
    consent_as_owner(mine)
    transaction.commit()
    assert 'id="home-openings"' not in get(site, "accueil", "@@accueil-agent").text


# --- c. the person's empty "Mes papiers" -------------------------------------------------------


def test_the_person_of_a_vault_awaiting_consent_is_told_why_mes_papiers_is_empty(site):
    vault = open_vault_as("accueil", "jdupont")
    transaction.commit()
    page = get(site, "jdupont", "mon-coffre/papiers")
    assert page.status_code == 200
    assert "Votre coffre attend votre accord." in page.text
    assert "Allez à l&#x27;accueil du CCAS" in page.text or "Allez à l'accueil du CCAS" in page.text
    assert 'class="btn btn-main btn-wide"' not in page.text  # no "Ajouter un papier" button
    consent_as_owner(vault)
    transaction.commit()
    page = get(site, "jdupont", "mon-coffre/papiers")
    assert "Votre coffre attend votre accord." not in page.text
    assert 'class="btn btn-main btn-wide"' in page.text


# --- d. the parked letters page: search, paging, matching ----------------------------------------


def test_search_and_paging_bounds(site):
    for number in range(105):
        receive_letter(
            letter(f"GED-P-{number:03d}", person={"ged_person_id": f"GED-{1000 + number}"}), "ged"
        )
    open_vault_as("accueil", "jdupont", ged_person_ids=["GED-1004"])
    transaction.commit()
    page = get(site, "accueil", "@@courriers-en-attente")
    assert "Courriers 1 à 50 sur 108" in page.text
    assert page.text.count("<tr data-reference=") == 50
    last = get(site, "accueil", "@@courriers-en-attente", page="3")
    assert "Courriers 101 à 108 sur 108" in last.text
    assert last.text.count("<tr data-reference=") == 8
    for wrong, shown in (("0", "1 à 50"), ("-4", "1 à 50"), ("99", "101 à 108"), ("abc", "1 à 50")):
        answer = get(site, "accueil", "@@courriers-en-attente", page=wrong)
        assert answer.status_code == 200 and f"Courriers {shown} sur 108" in answer.text
    # by GED person id, by the name of a vault not open yet, by date
    found = get(site, "accueil", "@@courriers-en-attente", q="ged-1042")
    assert "Courriers 1 à 1 sur 1" in found.text and "GED-P-042" in found.text
    found = get(site, "accueil", "@@courriers-en-attente", q="dupont")
    assert "Courriers 1 à 1 sur 1" in found.text and "GED-P-004" in found.text
    assert (
        "Le coffre n&#x27;est pas encore ouvert" in found.text or "pas encore ouvert" in found.text
    )
    found = get(site, "accueil", "@@courriers-en-attente", date="2026-11-20")
    assert "sur 108" in found.text  # the letters' date
    parked_on = clock.paris_now().date().isoformat()
    found = get(site, "accueil", "@@courriers-en-attente", date=parked_on)
    assert "sur 108" in found.text  # the day they were parked (Europe/Paris)
    found = get(site, "accueil", "@@courriers-en-attente", date="2001-01-01")
    assert "Aucun courrier n&#x27;attend" in found.text or 'id="parked-empty"' in found.text
    found = get(site, "accueil", "@@courriers-en-attente", date="pas une date")
    assert found.status_code == 200 and "Écrivez la date sous la forme 23/11/2026." in found.text
    # the search keeps its words in the pages' links
    many = get(site, "accueil", "@@courriers-en-attente", q="GED-P-0")
    assert "sur 100" in many.text and "q=GED-P-0&amp;page=2" in many.text


def test_matching_a_ged_id_to_an_open_vault_delivers_its_letters_and_is_traced(site):
    vault = consent_as_owner(
        open_vault_as("collegue", "jdupont", receive_ccas_letters=True, ged_person_ids=["G-1"])
    )
    waiting = open_vault_as("collegue", "pmartin", first="Paul", last="Martin")
    transaction.commit()
    listing = get(site, "accueil", "@@courriers-en-attente")
    assert "@@courriers-en-attente?rattacher=GED-77" in listing.text

    find = get(
        site,
        "accueil",
        "@@courriers-en-attente",
        rattacher="GED-77",
        last_name="DUPONT",
        first_name="jean",
        birth_date="1980-05-17",
        find="1",
    )
    assert "Courriers en attente sous cet identifiant GED : <strong>3</strong>" in find.text
    assert f'data-vault="{vault.getId()}"' in find.text
    # a first name only starting the same, or another birth date: nobody
    for first, born in (("Je", "1980-05-17"), ("Jean", "1980-05-18")):
        none = get(
            site,
            "accueil",
            "@@courriers-en-attente",
            rattacher="GED-77",
            last_name="Dupont",
            first_name=first,
            birth_date=born,
            find="1",
        )
        assert 'id="match-none"' in none.text

    session = requests.Session()
    session.auth = ("accueil", PASSWORD)
    form = {
        "_authenticator": token_of(find),
        "rattacher": "GED-77",
        "last_name": "Dupont",
        "first_name": "Jean",
        "birth_date": "1980-05-17",
        "match": "1",
        "vault": vault.getId(),
    }
    url = f"{site.absolute_url()}/@@courriers-en-attente"
    unchecked = session.post(url, data=form)
    assert "Cochez la case" in unchecked.text
    transaction.begin()
    assert matching.waiting_for("GED-77") == 3
    done = session.post(url, data={**form, "checked": "1"})
    assert done.status_code == 200
    assert "est rattaché à Jean Dupont. Courriers déposés dans « Courrier du CCAS » : 3." in (
        done.text
    )
    transaction.begin()
    vault = api.portal.get()["coffres"][vault.getId()]
    assert vault.ged_person_ids == ["G-1", "GED-77"]
    assert len(letters_of(vault)) == 3
    assert matching.waiting_for("GED-77") == 0
    (entry,) = [
        e
        for e in history.entries(vault)
        if e.action == "account_help" and e.details.get("why") == "parked_letters_matched"
    ]
    assert entry.actor == "accueil"
    assert entry.details["ged_person_ids_after"] == "G-1, GED-77"
    assert entry.details["letters_waiting"] == "3"

    # a vault not open is refused
    receive_letter(letter("GED-X-1", person={"ged_person_id": "GED-88"}), "ged")
    transaction.commit()
    with api.env.adopt_user(username="accueil"), pytest.raises(VaultError) as refused:
        matching.match("GED-88", waiting)
    assert refused.value.code == "vault_not_open"
    assert "n'est pas ouvert" in refused.value.message_fr
    # a GED id already on another vault is refused
    transaction.begin()
    with api.env.adopt_user(username="accueil"):
        other = api.portal.get()["coffres"][vault.getId()]
        with pytest.raises(VaultError) as taken:
            matching.match("G-1", other)
    assert taken.value.code in ("not_parked", "ged_id_taken")


def test_a_partner_agent_may_not_search_nor_match(site):
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", receive_ccas_letters=True))
    transaction.commit()
    page = get(site, "partenaire-caf", "@@courriers-en-attente", False, rattacher="GED-77")
    assert page.status_code in (302, 401, 403)
    assert "GED-77" not in page.text
    with api.env.adopt_user(username="partenaire-caf"):
        with pytest.raises(Unauthorized):
            matching.match("GED-77", vault)
        with pytest.raises(Unauthorized):
            matching.find_person("Dupont", "Jean", date(1980, 5, 17))
        with pytest.raises(Unauthorized):
            matching.search("GED")
    transaction.begin()
    assert matching.waiting_for("GED-77") == 3


def test_odd_inputs_never_crash_the_page(site):
    session = requests.Session()
    session.auth = ("accueil", PASSWORD)
    url = f"{site.absolute_url()}/@@courriers-en-attente"
    odd = [
        {"q": ["a", "b"], "page": ["1", "2"]},
        {"page": "9" * 40, "date": "2026-02-30"},
        {"q": "\x00" * 5 + "é" * 500},
        {"rattacher": ["GED-77", "x"]},
        {"rattacher": "GED-77", "find": "1", "birth_date": "17/05/1980"},
        {"rattacher": "G" * 5000},
    ]
    for params in odd:
        answer = session.get(url, params=params)
        assert answer.status_code in (200, 400), (params, answer.status_code)
    token = token_of(session.get(url))
    for data in (
        {"rattacher": "GED-77", "match": "1", "checked": "1", "vault": ["a", "b"]},
        {"rattacher": "GED-77", "match": "1", "checked": "1", "vault": "nope"},
    ):
        answer = session.post(url, data={"_authenticator": token, **data})
        assert answer.status_code in (200, 400), (data, answer.status_code)
        assert "existe pas" in answer.text, re.findall(r"alert[^>]*>([^<]*)<", answer.text)
    transaction.begin()
    assert matching.waiting_for("GED-77") == 3
