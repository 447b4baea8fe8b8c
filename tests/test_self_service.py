"""``/mon-coffre/ouvrir``: a person opens their own vault online, only when the records manager
allows it (issue 8, decision 0022).

Through HTTP against the functional layer's server, as the person's phone would.
"""

from ccas.vault.accounts import get_account
from ccas.vault.api import vaults
from ccas.vault.history import api as history
from datetime import date
from plone import api
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import requests
import transaction


SETTING = "ccas.vault.settings.self_service_opening"
NEW_PASSWORD = "Mon-coffre-a-moi-7"
NEUTRAL = "Nous ne pouvons pas ouvrir ce coffre en ligne. Venez au CCAS avec une pièce d'identité."


def allow(portal, on=True):
    api.portal.set_registry_record(SETTING, on)
    transaction.commit()


def person(**changes):
    data = {
        "last_name": "Diallo",
        "first_name": "Bruno",
        "birth": "03/02/1975",
        "login": "bdiallo",
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
        "agree": "1",
        "email": "",
        "phone": "06 12 34 56 78",
        "form.submitted": "1",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def send(portal, data, session=None):
    """Load the form (for its token), then send ``data``; the redirect is not followed."""
    session = session or requests.Session()
    page = session.get(skin(portal, "ouvrir"), timeout=60)
    data = dict(data, _authenticator=form_token(page.text))
    return session, session.post(
        skin(portal, "ouvrir"), data=data, timeout=60, allow_redirects=False
    )


def directory_ids(portal):
    transaction.begin()
    return sorted(vaults.vault_directory().objectIds())


@pytest.fixture
def existing(functional_portal, frozen):
    """Jean Dupont (born 17/05/1980) already has a vault, opened at the CCAS."""
    make_agent("accueil")
    make_user("manager", ["Manager"])
    make_user("siteadmin", ["Site Administrator"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    api.portal.set_registry_record("ccas.vault.settings.ccas_name", "CCAS de Démoville")
    api.portal.set_registry_record(
        "ccas.vault.settings.ccas_address", "1 place de la Mairie\n99000 Démoville"
    )
    api.portal.set_registry_record(
        "ccas.vault.settings.ccas_hours", "Du lundi au vendredi, 9 h - 12 h"
    )
    transaction.commit()
    return vault


# --- off (the default) ---------------------------------------------------------------


def test_off_by_default_the_page_sends_people_to_the_ccas(functional_portal, existing):
    assert api.portal.get_registry_record(SETTING) is False
    page = requests.get(skin(functional_portal, "ouvrir"), timeout=60)
    assert page.status_code == 200
    assert "Pour ouvrir un coffre, venez au CCAS." in page.text
    assert "CCAS de Démoville" in page.text
    assert "1 place de la Mairie" in page.text and "Du lundi au vendredi" in page.text
    assert "<form" not in page.text.split('id="main"')[-1].split("</main>")[0]
    assert 'id="open-form"' not in page.text
    login_page = requests.get(skin(functional_portal, "connexion"), timeout=60)
    assert 'id="open-link"' not in login_page.text
    assert "/mon-coffre/ouvrir" not in login_page.text


def test_off_a_form_sent_anyway_is_refused_and_creates_nothing(functional_portal, existing):
    before = directory_ids(functional_portal)
    session = requests.Session()
    token = form_token(session.get(skin(functional_portal, "connexion"), timeout=60).text)
    answer = session.post(
        skin(functional_portal, "ouvrir"),
        data=dict(person(), _authenticator=token),
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 403
    assert "Pour ouvrir un coffre, venez au CCAS." in answer.text
    assert directory_ids(functional_portal) == before
    assert get_account("bdiallo") is None
    assert "__ac" not in answer.cookies


# --- on --------------------------------------------------------------------------------


def test_on_the_login_page_links_to_the_form(functional_portal, existing):
    allow(functional_portal)
    login_page = requests.get(skin(functional_portal, "connexion"), timeout=60)
    assert 'id="open-link"' in login_page.text
    assert "Je n'ai pas encore de coffre" in login_page.text
    page = requests.get(skin(functional_portal, "ouvrir"), timeout=60)
    assert page.status_code == 200
    assert 'id="open-form"' in page.text
    assert "J'ai lu et je suis d'accord." in page.text
    assert "Ne gardez pas de papiers de santé dans votre coffre." in page.text


def test_on_a_person_opens_an_active_vault_and_lands_on_their_papers(functional_portal, existing):
    allow(functional_portal)
    session, answer = send(functional_portal, person())
    assert answer.status_code == 303, answer.text[:2000]
    assert answer.headers["Location"] == skin(functional_portal, "papiers")
    papers = session.get(answer.headers["Location"], timeout=60)
    assert papers.status_code == 200
    assert "/mon-coffre/connexion" not in papers.url
    assert "Votre coffre est ouvert. Votre identifiant est bdiallo." in papers.text

    transaction.begin()
    vault = vaults.vault_of("bdiallo")
    assert vault is not None and vault.last_name == "Diallo"
    assert vault.birth_date == date(1975, 2, 3)
    assert api.content.get_state(vault) == "open"
    consent = vault.consents[-1]
    assert consent["method"] == "electronic"
    assert consent["recorded_by"] == "bdiallo"
    assert vault.information_notice["delivered_online"] is True
    assert vault.phone == "0612345678" and vault.contact_channel == "sms"
    actions = [entry.action for entry in history.entries(vault)]
    assert {"open", "consent", "login"} <= set(actions)
    assert functional_portal.acl_users.authenticate(
        "bdiallo", NEW_PASSWORD, functional_portal.REQUEST
    )
    # The person's own pages work in this session; nobody else's vault is reachable.
    assert session.get(skin(functional_portal, "historique"), timeout=60).status_code == 200


def test_an_empty_login_gets_a_suggestion_to_confirm(functional_portal, existing):
    allow(functional_portal)
    session, answer = send(functional_portal, person(login=""))
    assert answer.status_code == 200
    assert "Nous vous proposons cet identifiant." in answer.text
    assert 'value="bdiallo"' in answer.text
    assert get_account("bdiallo") is None
    _session, answer = send(functional_portal, person(login="bdiallo"), session)
    assert answer.status_code == 303
    transaction.begin()
    assert vaults.vault_of("bdiallo") is not None


def test_a_possible_duplicate_gets_the_neutral_answer_and_nothing(functional_portal, existing):
    allow(functional_portal)
    before = directory_ids(functional_portal)
    twin = person(last_name="DUPONT", first_name="jean", birth="17/05/1980", login="jean.d")
    _session, answer = send(functional_portal, twin)
    assert answer.status_code == 200
    assert NEUTRAL in answer.text
    assert "existe" not in answer.text  # it never says that a vault exists
    assert "jdupont" not in answer.text
    assert directory_ids(functional_portal) == before
    assert get_account("jean.d") is None
    assert "__ac" not in answer.cookies


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"last_name": ""}, "last_name", "Écrivez votre nom."),
        ({"first_name": "  "}, "first_name", "Écrivez votre prénom."),
        ({"birth": "31/02/1990"}, "birth", "Écrivez votre date de naissance comme ceci"),
        ({"birth": "01/01/2090"}, "birth", "Cette date de naissance n'est pas possible."),
        ({"login": "Bé Diallo"}, "login", "des lettres minuscules sans accent"),
        ({"login": "jdupont"}, "login", "Cet identifiant est déjà pris."),
        ({"new_password": "court", "new_password_again": "court"}, "new_password", "trop court"),
        ({"new_password_again": "Autre-chose-123"}, "new_password_again", "pas pareils"),
        ({"agree": None}, "agree", "cochez la case"),
        ({"email": "bruno@"}, "email", "Cette adresse e-mail n'est pas valable"),
        ({"phone": "12"}, "phone", "10 chiffres"),
    ],
)
def test_bad_input_gets_a_french_sentence_and_nothing_is_created(
    functional_portal, existing, changes, field, message
):
    allow(functional_portal)
    before = directory_ids(functional_portal)
    _session, answer = send(functional_portal, person(**changes))
    assert answer.status_code == 200
    error = answer.text.split(f'id="{field}-error"')[1].split("</")[0]
    assert message.lower() in error.lower(), error
    # What the person typed is kept (except the passwords).
    assert 'value="Diallo"' in answer.text or field == "last_name"
    assert NEW_PASSWORD not in answer.text
    assert directory_ids(functional_portal) == before
    assert get_account("bdiallo") is None


def test_the_form_needs_its_token(functional_portal, existing):
    allow(functional_portal)
    answer = requests.post(
        skin(functional_portal, "ouvrir"), data=person(), timeout=60, allow_redirects=False
    )
    assert answer.status_code == 403
    transaction.begin()
    assert get_account("bdiallo") is None


def test_attempts_are_limited_per_client_address(functional_portal, existing):
    allow(functional_portal)
    twin = person(last_name="Dupont", first_name="Jean", birth="17/05/1980", login="jean.d")
    session = requests.Session()
    for _attempt in range(5):
        session, answer = send(functional_portal, twin, session)
        assert NEUTRAL in answer.text
    # Locked now: even a new person from this address waits, and nothing is created.
    session, answer = send(functional_portal, person(), session)
    assert answer.status_code == 429
    assert "Trop d'essais" in answer.text
    transaction.begin()
    assert get_account("bdiallo") is None
    directory = vaults.vault_directory()
    locks = [e for e in history.entries(directory) if e.action == "account_locked"]
    assert locks and dict(locks[-1].details)["route"] == "self_service"


@pytest.mark.parametrize("login", ["jdupont", "accueil", "manager", "siteadmin"])
def test_somebody_logged_in_cannot_open_a_vault_here(functional_portal, existing, login):
    """The page is for a person without an account: staff, Managers and Site Administrators
    (and people who have a vault) are sent to their own pages; nothing is created."""
    allow(functional_portal)
    session = skin_session(functional_portal, login, PASSWORD)
    before = directory_ids(functional_portal)
    page = session.get(skin(functional_portal, "ouvrir"), timeout=60, allow_redirects=False)
    assert page.status_code == 303
    assert page.headers["Location"] == skin(functional_portal, "papiers")
    token = form_token(session.get(skin(functional_portal, "connexion"), timeout=60).text)
    answer = session.post(
        skin(functional_portal, "ouvrir"),
        data=dict(person(), _authenticator=token),
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 303
    assert directory_ids(functional_portal) == before
    assert get_account("bdiallo") is None
