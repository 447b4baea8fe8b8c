"""The account pages of the public skin and the agent's @@aide-compte (HTTP, then Chromium at
360×740 with axe-core): DESIGN §6 "Person forgets the password; an agent with the account-help
scope starts a reset; the person sets a new one; the agent never sees it"."""

from ccas.vault.account.notices import add_notice
from ccas.vault.history import api as history
from plone import api
from public_skin import browser_login
from public_skin import check_page
from public_skin import form_token
from public_skin import phone
from public_skin import skin
from public_skin import skin_session
from servers import wait_until
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import base64
import pytest
import re
import requests
import transaction


NEW = "Mon-nouveau-secret-7"
ANSWERS = {"birth_town": "Saint-Étienne", "mother_first_name": "Fatou"}


def build(portal, **open_kw):
    make_agent("accueil")
    make_agent("aidant")
    make_agent("lecteur")
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", recovery_answers=ANSWERS, **open_kw)
    )
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    active_mandate(vault, agents=("lecteur",), scopes=("consult",))
    transaction.commit()
    return vault


def can_log_in(portal, password, login="jdupont"):
    transaction.begin()
    return portal.acl_users.authenticate(login, password, portal.REQUEST) is not None


def print_code(portal, vault, agent="aidant"):
    session = requests.Session()
    session.auth = (agent, PASSWORD)
    page = session.get(f"{vault.absolute_url()}/@@aide-compte", timeout=60)
    assert page.status_code == 200, page.text[:500]
    answer = session.post(
        f"{vault.absolute_url()}/@@aide-compte",
        data={"delivery": "print", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    assert answer.status_code == 200
    return re.search(r'id="reset-code">([A-Z0-9-]+)<', answer.text).group(1), answer.text


# --- HTTP ---------------------------------------------------------------------------------


def test_the_forgotten_page_offers_three_ways_in_french(functional_portal, frozen):
    build(functional_portal)
    page = requests.get(skin(functional_portal, "mot-de-passe-oublie"), timeout=60)
    assert page.status_code == 200
    for words in (
        "J'ai oublié mon mot de passe",
        "Je reçois un lien par e-mail",
        "Je réponds à mes questions",
        "J'ai un code du CCAS",
    ):
        assert words in page.text, words


def test_the_email_answer_is_the_same_for_unknown_logins(functional_portal, frozen):
    build(functional_portal)
    texts = []
    for login in ("jdupont", "inconnu"):
        session = requests.Session()
        url = skin(functional_portal, "mot-de-passe-oublie", moyen="email")
        token = form_token(session.get(url, timeout=60).text)
        answer = session.post(url, data={"identifiant": login, "_authenticator": token})
        assert answer.status_code == 200
        texts.append(re.search(r'<p class="done" role="status">(.*?)</p>', answer.text).group(1))
    assert texts[0] == texts[1]
    assert texts[0].startswith("Si votre compte a une adresse e-mail")


def test_errors_are_sentences_next_to_their_field(functional_portal, frozen):
    vault = build(functional_portal)
    code, _sheet = print_code(functional_portal, vault)
    session = requests.Session()
    url = skin(functional_portal, "nouveau-mot-de-passe")
    # the login first, then the whole form with the login's question (decision 0043)
    token = form_token(session.get(f"{url}?identifiant=jdupont", timeout=60).text)
    form = {"form.submitted": "1", "_authenticator": token, "identifiant": "jdupont"}
    answer = session.post(
        url,
        data={**form, "code": code, "naissance": "31/02/1980", "new_password": NEW},
        timeout=60,
    )
    assert 'id="birth-error">Écrivez votre date de naissance comme ceci : 17/05/1980.' in (
        answer.text
    )
    assert 'id="new_password_again-error">Les deux mots de passe ne sont pas pareils.' in (
        answer.text
    )
    answer = session.post(
        url,
        data={
            **form,
            "code": "AAAA-AAAA",
            "naissance": "17/05/1980",
            "new_password": NEW,
            "new_password_again": NEW,
        },
        timeout=60,
    )
    assert 'id="code-error">Ce code ne marche pas.' in answer.text
    assert 'aria-describedby="code-hint code-error"' in answer.text
    answer = session.post(
        url,
        data={
            **form,
            "code": code,
            "naissance": "17/05/1980",
            "reponse": "Fatou",  # no phone, no e-mail: the person's question (decision 0043)
            "new_password": NEW,
            "new_password_again": NEW,
        },
        timeout=60,
    )
    assert "Votre nouveau mot de passe est enregistré." in answer.text
    assert can_log_in(functional_portal, NEW)


def test_the_agent_page_needs_the_account_scope(functional_portal, frozen):
    vault = build(functional_portal)
    for agent in ("lecteur", "accueil"):
        answer = requests.get(
            f"{vault.absolute_url()}/@@aide-compte", auth=(agent, PASSWORD), timeout=60
        )
        # Unauthorized: Plone's "insufficient privileges" page, without the form
        assert 'id="help-form"' not in answer.text, agent
    transaction.begin()
    assert "account_help" not in [e.action for e in history.entries(vault)]


def test_sms_delivery_never_shows_the_code_to_the_agent(functional_portal, frozen, sms):
    vault = build(functional_portal, phone="0612345678", contact_channel="sms")
    session = requests.Session()
    session.auth = ("aidant", PASSWORD)
    page = session.get(f"{vault.absolute_url()}/@@aide-compte", timeout=60)
    answer = session.post(
        f"{vault.absolute_url()}/@@aide-compte",
        data={"delivery": "sms", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    assert 'id="help-sent"' in answer.text
    assert "…78" in answer.text
    ((number, text),) = sms.sent
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", text).group(0)
    assert number == "0612345678"
    assert code not in answer.text


def test_mon_compte_changes_password_and_channel(functional_portal, frozen):
    build(functional_portal)
    session = skin_session(functional_portal, "jdupont")
    page = session.get(skin(functional_portal, "compte"), timeout=60)
    assert page.status_code == 200
    token = form_token(page.text)
    answer = session.post(
        skin(functional_portal, "compte"),
        data={
            "form.action": "password",
            "_authenticator": token,
            "current_password": "faux-mot-de-passe",
            "new_password": NEW,
            "new_password_again": NEW,
        },
        timeout=60,
    )
    assert 'id="current_password-error">Le mot de passe actuel n' in answer.text
    answer = session.post(
        skin(functional_portal, "compte"),
        data={"form.action": "contact", "_authenticator": token, "contact_channel": "sms"},
        timeout=60,
    )
    assert 'id="phone-error">Écrivez votre numéro de portable, ou choisissez' in answer.text
    answer = session.post(
        skin(functional_portal, "compte"),
        data={
            "form.action": "password",
            "_authenticator": token,
            "current_password": PASSWORD,
            "new_password": NEW,
            "new_password_again": NEW,
        },
        timeout=60,
    )
    assert "Votre nouveau mot de passe est enregistré." in answer.text
    assert can_log_in(functional_portal, NEW)


def test_rest_questions_route_and_its_lock(functional_portal, frozen, request_factory):
    build(functional_portal)
    body = {"route": "questions", "login": "jdupont", "answers": ANSWERS}
    short = request_factory().post("@password-reset", json={**body, "new_password": "court"})
    assert short.status_code == 400
    assert short.json()["error"]["type"] == "password_refused"
    wrong = {**body, "answers": {"birth_town": "Lyon"}, "new_password": NEW}
    for _ in range(5):
        answer = request_factory().post("@password-reset", json=wrong)
        assert answer.json()["error"]["type"] == "wrong_answers"
    locked = request_factory().post("@password-reset", json={**body, "new_password": NEW})
    assert locked.status_code == 429
    assert locked.json()["error"]["message_fr"].startswith("Trop d'essais. Attendez 10:15")
    assert can_log_in(functional_portal, PASSWORD)


def test_a_notice_is_shown_once_at_the_next_login(functional_portal, frozen):
    vault = build(functional_portal)
    add_notice(vault, "Votre papier « Attestation CAF » ne sera plus valable le 23/12/2026.")
    transaction.commit()
    session = skin_session(functional_portal, "jdupont")
    first = session.get(skin(functional_portal, "compte"), timeout=60).text
    assert "Votre papier « Attestation CAF » ne sera plus valable" in first
    second = session.get(skin(functional_portal, "compte"), timeout=60).text
    assert "ne sera plus valable" not in second


# --- Chromium -----------------------------------------------------------------------------


def focus_by_tab(page, element_id, limit=40):
    """Press Tab until ``element_id`` has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus with Tab")


@pytest.mark.slow
def test_design_journey_agent_starts_a_reset_the_person_chooses(functional_portal, frozen):
    vault = build(functional_portal)
    basic = base64.b64encode(f"aidant:{PASSWORD}".encode()).decode()
    agent = {"Authorization": f"Basic {basic}"}  # Plone answers a login form, not a 401
    with phone(functional_portal, extra_http_headers=agent) as page:
        page.goto(f"{vault.absolute_url()}/@@aide-compte")
        page.check("#delivery-print")
        page.click("#start-reset")
        code = page.inner_text("#reset-code").strip()
        check_page(page, "account-aide-compte-code")  # the printable sheet
        agent_saw = page.content()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    with phone(functional_portal) as page:
        page.goto(skin(functional_portal, "connexion"))
        page.click("text=J'ai oublié mon mot de passe")
        check_page(page, "account-oublie")
        page.click("#route-code")
        check_page(page, "account-code-identifiant")
        # keyboard only: the login, then the whole form with the login's question
        focus_by_tab(page, "login")
        page.keyboard.type("jdupont")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        check_page(page, "account-code")
        focus_by_tab(page, "code")
        page.keyboard.type(code)
        page.keyboard.press("Tab")
        page.keyboard.type("17/05/1980")
        page.keyboard.press("Tab")
        page.keyboard.type("Fatou")  # no phone, no e-mail: the person's question (0043)
        page.keyboard.press("Tab")
        page.keyboard.type(NEW)
        page.keyboard.press("Tab")
        page.keyboard.type(NEW + "x")  # a typo
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.is_visible("#new_password_again-error")
        check_page(page, "account-code-erreur")
        focus_by_tab(page, "answer")  # an answer is never written back into the page
        page.keyboard.type("Fatou")
        page.keyboard.press("Tab")
        page.keyboard.type(NEW)
        page.keyboard.press("Tab")
        page.keyboard.type(NEW)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Votre nouveau mot de passe est enregistré" in page.inner_text("main")
        check_page(page, "account-fait")
        page.click("#go-login")
        browser_login(page, functional_portal, "jdupont", NEW)
    assert NEW not in agent_saw
    transaction.begin()
    actions = [e.action for e in history.entries(vault)]
    assert "account_help" in actions and "password_reset_completed" in actions


@pytest.mark.slow
def test_email_link_journey(functional_portal, frozen, smtp):
    inbox, port = smtp
    api.portal.set_registry_record("plone.smtp_host", "127.0.0.1")
    api.portal.set_registry_record("plone.smtp_port", port)
    api.portal.set_registry_record("plone.email_from_address", "ccas@example.org")
    build(functional_portal, email="jean@example.org", contact_channel="email")
    with phone(functional_portal) as page:
        page.goto(skin(functional_portal, "mot-de-passe-oublie"))
        page.click("#route-email")
        check_page(page, "account-email")
        page.fill("#login", "jdupont")
        page.click("#send-link")
        assert page.is_visible("p.done")
        check_page(page, "account-email-envoye")
        wait_until(lambda: inbox.messages, timeout=30, what="the reset e-mail")
        ((recipients, message),) = inbox.messages
        assert recipients == ["jean@example.org"]
        link = re.search(r"https?://\S+jeton=\S+", message.get_content()).group(0)
        page.goto(link)
        check_page(page, "account-nouveau-lien")
        page.fill("#new_password", NEW)
        page.fill("#new_password_again", NEW)
        page.click("#save-password")
        assert "Votre nouveau mot de passe est enregistré" in page.inner_text("main")
        browser_login(page, functional_portal, "jdupont", NEW)


@pytest.mark.slow
def test_mon_compte_on_a_phone(functional_portal, frozen):
    build(functional_portal)
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "compte"))
        check_page(page, "account-compte")
        page.fill("#current_password", PASSWORD)
        page.fill("#new_password", "court")
        page.fill("#new_password_again", "court")
        page.click("#change-password")
        assert page.is_visible("#new_password-error")
        check_page(page, "account-compte-erreur")
        page.fill("#current_password", PASSWORD)
        page.fill("#new_password", NEW)
        page.fill("#new_password_again", NEW)
        page.click("#change-password")
        assert page.is_visible("p.done")
        check_page(page, "account-compte-fait")
    assert can_log_in(functional_portal, NEW)
