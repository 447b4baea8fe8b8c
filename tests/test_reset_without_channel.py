"""The assisted reset of a person with no phone and no e-mail (issue 19 item 7, decision 0043).

The agent who prints a code holds it and sees the date of birth (``@my-vaults``): that
must not be enough.  A printed code for a person without channel needs

* the answer to one of the person's personal questions (kept as scrypt hashes: the agent
  never sees it), typed by the person — a wrong answer is refused like a wrong code; or,
* for a person without questions, a second CCAS agent's confirmation (four eyes): not the
  agent who made the code, and one holding the account-help scope on that vault.

Every completed assisted reset ends the person's other sessions and leaves a notice on
the person's pages, "changed on <date> with the help of the CCAS", until dismissed.

In-process tests for the detail, then HTTP on the functional layer's server and on the
instance ``make start`` builds (``real_site``), both running AccessControl's C code.
"""

from AccessControl import Unauthorized
from Acquisition import aq_base
from ccas.vault import roles
from ccas.vault.account import recovery
from ccas.vault.account.notices import dismiss_notice
from ccas.vault.account.notices import notices
from ccas.vault.account.notices import take_notices
from ccas.vault.account.recovery import RecoveryRefused
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.history import api as history
from datetime import date
from plone import api
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import re
import requests
import transaction


NEW = "Choisi-par-la-personne-7"
BORN = date(1980, 5, 17)
HERE = "192.0.2.20"
#: the person's questions: the strongest (first_pet) is the one a printed code asks
ANSWERS = {"birth_town": "Saint-Étienne", "first_pet": "Médor"}
JSON = {"Accept": "application/json"}


def make_partner(login):
    """An agent of the CAF (a partner organisation): VaultAgent, not a CCAS agent."""
    ensure_group("caf-agents", "Agents de la CAF", [roles.VAULT_AGENT])
    member, _ = ensure_account(login, PASSWORD, login.title(), groups=["caf-agents"])
    return member


def helped(portal, questions=True, second_agent=True):
    """``jdupont`` without phone nor e-mail; ``aidant`` (and ``collegue``) with the account
    scope; ``lecteur`` with consult only; ``caf`` a partner agent with the account scope."""
    make_agent("accueil")
    make_agent("aidant")
    make_agent("collegue")
    make_agent("lecteur")
    make_partner("caf")
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", recovery_answers=ANSWERS if questions else None)
    )
    agents = ("aidant", "collegue") if second_agent else ("aidant",)
    active_mandate(vault, agents=agents, scopes=("account",))
    active_mandate(vault, agents=("lecteur",), scopes=("consult",))
    active_mandate(vault, agents=("caf",), scopes=("account",))
    return vault


def can_log_in(portal, login, password):
    return portal.acl_users.authenticate(login, password, portal.REQUEST) is not None


def complete(code, answer=None, birth_date=BORN, address=HERE):
    with acting_as(None):
        return recovery.set_password_with(
            code, NEW, login="jdupont", birth_date=birth_date, address=address, answer=answer
        )


def refused_with(code, answer=None, **kw):
    with pytest.raises(RecoveryRefused) as refused:
        complete(code, answer, **kw)
    return refused.value


# --- in process: the rules --------------------------------------------------------------


def test_a_printed_code_asks_the_strongest_of_the_persons_questions(portal, frozen):
    vault = helped(portal)
    with acting_as("aidant"):
        printed = recovery.start_assisted_reset(vault, "print")
    assert printed["needs"] == "answer" and printed["question"] == "first_pet"
    assert "second_part" not in printed and "Médor" not in str(printed)
    assert recovery.code_question("jdupont") == "first_pet"
    # a login without questions gets a decoy, always the same: nothing tells them apart
    assert recovery.code_question("inconnu") == recovery.code_question("inconnu")
    assert recovery.code_question("inconnu") in recovery.QUESTION_TEXTS
    (line,) = [e for e in history.entries(vault) if e.action == "account_help"]
    assert dict(line.details)["needs"] == "answer"
    assert "Médor" not in str(line.as_dict())


def test_the_agent_with_the_code_and_the_birth_date_cannot_answer_the_question(portal, frozen):
    vault = helped(portal)
    with acting_as("aidant"):
        code = recovery.start_assisted_reset(vault, "print")["code"]
    no_answer = refused_with(code)
    wrong = refused_with(code, "Rex")
    other_question = refused_with(code, "Saint-Étienne")  # the birth town is on the ID card
    wrong_code = refused_with("AAAA-AAAA", "Médor")
    # the same refusal whatever part was wrong
    for refusal in (no_answer, wrong, other_question):
        assert (refusal.code, refusal.message_fr) == (wrong_code.code, wrong_code.message_fr)
    assert wrong_code.code == "wrong_code"
    assert can_log_in(portal, "jdupont", PASSWORD)
    assert refused_with(code, "Rex", address="192.0.2.21").code == "wrong_code"
    # five failures (wrong answers count like wrong codes) locked the code route
    with pytest.raises(recovery.RecoveryLocked):
        complete(code, "Médor", address="192.0.2.99")


def test_the_person_answers_and_chooses_the_password(portal, frozen):
    vault = helped(portal)
    with acting_as("aidant"):
        code = recovery.start_assisted_reset(vault, "print")["code"]
    complete(code, "  MEDOR ")  # case, accents and spaces do not count
    assert can_log_in(portal, "jdupont", NEW)
    (done,) = [e for e in history.entries(vault) if e.action == "password_reset_completed"]
    assert dict(done.details) == {"route": "code_print", "started_by": "aidant", "needs": "answer"}


def test_without_questions_a_second_ccas_agent_must_confirm(portal, frozen):
    vault = helped(portal, questions=False)
    with acting_as("aidant"):
        printed = recovery.start_assisted_reset(vault, "print")
    assert printed["needs"] == "confirmation" and "question" not in printed
    code = printed["code"]
    assert refused_with(code).code == "wrong_code"  # not confirmed yet
    # the agent who made it cannot confirm it
    with acting_as("aidant"), pytest.raises(RecoveryRefused) as refused:
        recovery.confirm_assisted_reset(vault)
    assert refused.value.code == "same_agent"
    # a partner agent (the CAF's), even with the account scope, is not a CCAS agent
    with acting_as("caf"), pytest.raises(RecoveryRefused) as refused:
        recovery.confirm_assisted_reset(vault)
    assert refused.value.code == "not_ccas_agent"
    # an agent without the account scope on this vault, or none at all
    for login in ("lecteur", "accueil"):
        with acting_as(login), pytest.raises(Unauthorized):
            recovery.confirm_assisted_reset(vault)
    assert refused_with(code).code == "wrong_code"
    with acting_as("collegue"):
        confirmed = recovery.confirm_assisted_reset(vault)
    assert confirmed["confirmed_by"] == "collegue" and confirmed["started_by"] == "aidant"
    with acting_as("collegue"), pytest.raises(RecoveryRefused) as refused:
        recovery.confirm_assisted_reset(vault)
    assert refused.value.code == "nothing_to_confirm"
    complete(code)
    assert can_log_in(portal, "jdupont", NEW)
    helps = [e for e in history.entries(vault) if e.action == "account_help"]
    assert [e.actor for e in helps] == ["aidant", "collegue"]
    assert dict(helps[1].details)["what"] == "confirmation"
    assert dict(helps[1].details)["started_by"] == "aidant"
    (done,) = [e for e in history.entries(vault) if e.action == "password_reset_completed"]
    assert dict(done.details)["confirmed_by"] == "collegue"
    assert dict(done.details)["started_by"] == "aidant"


def test_a_new_code_needs_a_new_confirmation(portal, frozen):
    vault = helped(portal, questions=False)
    with acting_as("aidant"):
        recovery.start_assisted_reset(vault, "print")
    with acting_as("collegue"):
        recovery.confirm_assisted_reset(vault)
    with acting_as("aidant"):
        second = recovery.start_assisted_reset(vault, "print")["code"]
    assert refused_with(second).code == "wrong_code"
    assert recovery.awaiting_confirmation(vault) is not None


def test_a_person_with_a_channel_keeps_the_second_part(portal, frozen, monkeypatch):
    monkeypatch.setattr(recovery, "send_secret_sms", lambda phone, text: None)
    make_agent("accueil")
    make_agent("aidant")
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", phone="0612345678", recovery_answers=ANSWERS)
    )
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    with acting_as("aidant"):
        printed = recovery.start_assisted_reset(vault, "print")
    assert printed["second_part"] == "sms" and "needs" not in printed
    assert [r.get("needs") for r in recovery.pending_resets(vault)] == [None]


def test_the_notice_names_the_date_and_stays_until_dismissed(portal, frozen):
    vault = helped(portal, questions=False)
    with acting_as("aidant"):
        code = recovery.start_assisted_reset(vault, "print")["code"]
    with acting_as("collegue"):
        recovery.confirm_assisted_reset(vault)
    complete(code)
    (notice,) = notices(vault)
    assert notice["kind"] == "password_changed" and notice["sticky"]
    assert notice["text"] == (
        "Votre mot de passe a été changé le 23 novembre 2026 à 10 h 00 avec l'aide de "
        "l'accueil du CCAS. Si ce n'était pas vous, venez au CCAS."
    )
    assert take_notices(vault) == [notice]
    assert notices(vault) == [notice]  # shown, still there
    assert not dismiss_notice(vault, "autre")
    assert dismiss_notice(vault, notice["id"])
    assert notices(vault) == []


def test_the_notice_is_in_english_for_a_person_who_chose_english(portal, frozen):
    make_agent("accueil")
    make_agent("aidant")
    make_agent("collegue")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", preferred_language="en"))
    active_mandate(vault, agents=("aidant", "collegue"), scopes=("account",))
    with acting_as("aidant"):
        code = recovery.start_assisted_reset(vault, "print")["code"]
    with acting_as("collegue"):
        recovery.confirm_assisted_reset(vault)
    complete(code)
    (notice,) = notices(vault)
    assert notice["text"] == (
        "Your password was changed on 23 November 2026 at 10:00 with the help of the CCAS "
        "reception desk. If it was not you, come to the CCAS."
    )


# --- HTTP, functional layer ---------------------------------------------------------------


def rest_reset(portal, code, answer=None, birth_date="1980-05-17"):
    body = {
        "route": "code",
        "login": "jdupont",
        "code": code,
        "birth_date": birth_date,
        "new_password": NEW,
    }
    if answer is not None:
        body["answer"] = answer
    return requests.post(f"{portal.absolute_url()}/@password-reset", json=body, headers=JSON)


def agent_post(vault, login, body):
    return requests.post(
        f"{vault.absolute_url()}/@assisted-reset",
        json=body,
        headers=JSON,
        auth=(login, PASSWORD),
        timeout=60,
    )


def fresh(vault):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(vault.getPhysicalPath()))


def forget_failures():
    transaction.begin()
    tree = getattr(aq_base(recovery._directory()), recovery.THROTTLE, None)
    if tree is not None:
        tree.clear()
    transaction.commit()


def test_rest_the_agent_alone_cannot_and_the_four_eyes_can(functional_portal, frozen):
    vault = helped(functional_portal, questions=False)
    transaction.commit()
    printed = agent_post(vault, "aidant", {"delivery": "print"})
    assert printed.status_code == 201, printed.text[:300]
    assert printed.json()["needs"] == "confirmation"
    code = printed.json()["code"]
    mine = requests.get(
        f"{functional_portal.absolute_url()}/coffres/@my-vaults",
        headers=JSON,
        auth=("aidant", PASSWORD),
        timeout=60,
    )
    assert "1980-05-17" in mine.text  # the agent sees the date of birth
    alone = rest_reset(functional_portal, code)
    assert alone.status_code == 400, alone.text[:300]
    assert alone.json()["error"]["type"] == "wrong_code"
    own = agent_post(vault, "aidant", {"confirm": True})
    assert own.status_code == 403 and own.json()["error"]["type"] == "same_agent"
    partner = agent_post(vault, "caf", {"confirm": True})
    assert partner.status_code == 403 and partner.json()["error"]["type"] == "not_ccas_agent"
    for login in ("lecteur", "accueil"):  # no account scope on this vault
        answer = agent_post(vault, login, {"confirm": True})
        assert answer.status_code in (401, 403), (login, answer.status_code)
    forget_failures()
    assert rest_reset(functional_portal, code).status_code == 400
    confirmed = agent_post(vault, "collegue", {"confirm": True})
    assert confirmed.status_code == 200, confirmed.text[:300]
    assert confirmed.json()["started_by"] == "aidant"
    # a JWT of the person from before the reset
    before = requests.post(
        f"{functional_portal.absolute_url()}/@login",
        json={"login": "jdupont", "password": PASSWORD},
        headers=JSON,
        timeout=60,
    ).json()["token"]
    done = rest_reset(functional_portal, code)
    assert done.status_code == 200, done.text[:300]
    old = requests.get(
        f"{functional_portal.absolute_url()}/@users/jdupont",
        headers={**JSON, "Authorization": f"Bearer {before}"},
        timeout=60,
    )
    assert old.status_code == 401, "a session opened before the reset still works"
    transaction.begin()
    assert can_log_in(functional_portal, "jdupont", NEW)
    actors = [(e.action, e.actor) for e in history.entries(fresh(vault))]
    assert ("account_help", "aidant") in actors and ("account_help", "collegue") in actors


def test_rest_the_answer_is_needed_and_the_question_is_given(functional_portal, frozen):
    vault = helped(functional_portal)
    transaction.commit()
    asked = requests.get(
        f"{functional_portal.absolute_url()}/@password-reset",
        params={"login": "jdupont"},
        headers=JSON,
        timeout=60,
    )
    assert asked.json()["code_question"]["id"] == "first_pet"
    assert asked.json()["code_question"]["text_fr"].endswith("?")
    printed = agent_post(vault, "aidant", {"delivery": "print"})
    assert printed.json()["needs"] == "answer" and printed.json()["question"] == "first_pet"
    code = printed.json()["code"]
    alone, wrong = rest_reset(functional_portal, code), rest_reset(functional_portal, code, "Rex")
    assert alone.status_code == wrong.status_code == 400
    assert alone.json()["error"] == wrong.json()["error"]
    done = rest_reset(functional_portal, code, "médor")
    assert done.status_code == 200, done.text[:300]
    transaction.begin()
    assert can_log_in(functional_portal, "jdupont", NEW)


def test_skin_the_person_types_the_answer_and_sees_the_notice_until_dismissed(
    functional_portal, frozen
):
    vault = helped(functional_portal)
    transaction.commit()
    code = agent_post(vault, "aidant", {"delivery": "print"}).json()["code"]
    session = requests.Session()
    first = session.get(skin(functional_portal, "nouveau-mot-de-passe"), timeout=60)
    assert 'id="code-login-form"' in first.text and 'id="code"' not in first.text
    url = skin(functional_portal, "nouveau-mot-de-passe", identifiant="jdupont")
    page = session.get(url, timeout=60)
    assert "votre premier animal ?" in page.text
    form = {
        "form.submitted": "1",
        "_authenticator": form_token(page.text),
        "identifiant": "jdupont",
        "code": code,
        "naissance": "17/05/1980",
        "new_password": NEW,
        "new_password_again": NEW,
    }
    post_url = skin(functional_portal, "nouveau-mot-de-passe")
    refused = session.post(post_url, data={**form, "reponse": "Rex"}, timeout=60)
    assert 'id="code-error">Ce code ne marche pas.' in refused.text
    no_answer = session.post(post_url, data=form, timeout=60)
    assert 'id="code-error">Ce code ne marche pas.' in no_answer.text
    done = session.post(post_url, data={**form, "reponse": "Medor"}, timeout=60)
    assert "Votre nouveau mot de passe est enregistré." in done.text
    person = skin_session(functional_portal, "jdupont", NEW)
    notice = "Votre mot de passe a été changé le 23 novembre 2026 à 10 h 00 avec l'aide"
    papers = person.get(skin(functional_portal, "papiers"), timeout=60)
    assert notice in papers.text and "Si ce n'était pas vous, venez au CCAS." in papers.text
    assert papers.text.count(notice) == 1
    again = person.get(skin(functional_portal, "papiers"), timeout=60)
    assert notice in again.text  # until the person dismisses it
    notice_id = re.search(r'name="avis" value="([0-9a-f]+)"', again.text).group(1)
    forged = person.post(skin(functional_portal, "avis-lu"), data={"avis": notice_id}, timeout=60)
    assert forged.status_code == 403
    assert notice in person.get(skin(functional_portal, "papiers"), timeout=60).text
    dismissed = person.post(
        skin(functional_portal, "avis-lu"),
        data={"avis": notice_id, "_authenticator": form_token(again.text)},
        timeout=60,
    )
    assert dismissed.status_code == 200 and notice not in dismissed.text
    assert notice not in person.get(skin(functional_portal, "papiers"), timeout=60).text


def test_agent_page_offers_the_confirmation_to_the_second_agent_only(functional_portal, frozen):
    vault = helped(functional_portal, questions=False)
    transaction.commit()
    first = requests.Session()
    first.auth = ("aidant", PASSWORD)
    page = first.get(f"{vault.absolute_url()}/@@aide-compte", timeout=60)
    assert 'id="help-form"' in page.text  # the page itself, not plone.protect's confirmation
    sheet = first.post(
        f"{vault.absolute_url()}/@@aide-compte",
        data={"delivery": "print", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    assert 'id="confirmation-needed"' in sheet.text and 'id="ask-a-colleague"' in sheet.text
    code = re.search(r'id="reset-code">([A-Z0-9-]+)<', sheet.text).group(1)
    # "Mon accueil" points the second agent, not the first, to the code waiting for them
    home = f"{functional_portal.absolute_url()}/@@accueil-agent"
    assert "code-to-confirm-link" not in first.get(home, timeout=60).text
    assert "code-to-confirm-link" in requests.get(home, auth=("collegue", PASSWORD)).text
    own = first.get(f"{vault.absolute_url()}/@@aide-compte", timeout=60)
    assert 'id="help-waiting"' in own.text and 'id="confirm-reset"' not in own.text
    assert 'id="confirm-not-you"' in own.text
    second = requests.Session()
    second.auth = ("collegue", PASSWORD)
    page = second.get(f"{vault.absolute_url()}/@@aide-compte", timeout=60)
    assert 'id="confirm-reset"' in page.text and "Confirming User Action" not in page.text
    forged = second.post(f"{vault.absolute_url()}/@@aide-compte", data={"confirm": "1"})
    assert forged.status_code == 403
    confirmed = second.post(
        f"{vault.absolute_url()}/@@aide-compte",
        data={"confirm": "1", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    assert 'id="help-confirmed"' in confirmed.text
    assert "code-to-confirm-link" not in second.get(home, timeout=60).text
    assert rest_reset(functional_portal, code).status_code == 200


# --- HTTP, the instance ``make start`` builds (C security, a subprocess) ------------------------

PERSON = "bruno.diallo"  # no phone, no e-mail, no questions in the demo
PERSON_BIRTH = "1979-11-02"
WORKER = "travailleur"  # the account scope on Bruno Diallo's vault
COLLEAGUE = "accueil"  # a CCAS agent, no mandate on him until he names her
PARTNER = "partenaire-caf"  # the CAF's agent: no mandate on him


def site_login(site, login, password):
    """A session logged in through the skin's own form."""
    session = requests.Session()
    answer = session.post(
        f"{site.url}/mon-coffre/connexion",
        data={"__ac_name": login, "__ac_password": password, "form.submitted": "1"},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 303, answer.text[:300]
    return session


def site_reset(site, code, answer=None, password=NEW):
    body = {
        "route": "code",
        "login": PERSON,
        "code": code,
        "birth_date": PERSON_BIRTH,
        "new_password": password,
    }
    if answer is not None:
        body["answer"] = answer
    return requests.post(f"{site.url}/@password-reset", json=body, headers=JSON, timeout=60)


@pytest.mark.slow
def test_on_the_shipped_instance_the_agent_alone_never_chooses_the_password(real_site):
    site = real_site
    worker = site.session(WORKER)
    mine = worker.get(f"{site.url}/coffres/@my-vaults", timeout=60).json()["items"]
    (item,) = [item for item in mine if item["last_name"] == "Diallo"]
    assert item["birth_date"] == PERSON_BIRTH  # the agent sees the date of birth
    vault = f"{site.url}/coffres/{item['id']}"
    # the person names the reception agent too, with the account scope
    made = site.session(PERSON).post(
        f"{vault}/@mandates",
        json={"agents": [COLLEAGUE], "scopes": ["account"], "purpose": "Accueil", "submit": True},
        timeout=60,
    )
    assert made.status_code == 201, made.text[:300]
    for who, body in ((PERSON, {"method": "electronic"}), (COLLEAGUE, {})):
        signed = site.session(who).post(f"{made.json()['@id']}/@mandate-sign", json=body)
        assert signed.status_code == 200, signed.text[:300]
    before = requests.post(
        f"{site.url}/@login", json={"login": PERSON, "password": "demo"}, headers=JSON, timeout=60
    ).json()["token"]

    # (b) no questions: the worker's code and the date of birth are not enough
    printed = worker.post(f"{vault}/@assisted-reset", json={"delivery": "print"}, timeout=60)
    assert printed.status_code == 201, printed.text[:300]
    assert printed.json()["needs"] == "confirmation"
    code = printed.json()["code"]
    assert site_reset(site, code).status_code == 400
    own = worker.post(f"{vault}/@assisted-reset", json={"confirm": True}, timeout=60)
    assert (own.status_code, own.json()["error"]["type"]) == (403, "same_agent")
    partner = site.session(PARTNER).post(f"{vault}/@assisted-reset", json={"confirm": True})
    assert partner.status_code in (401, 403), partner.text[:300]
    confirmed = site.session(COLLEAGUE).post(f"{vault}/@assisted-reset", json={"confirm": True})
    assert confirmed.status_code == 200, confirmed.text[:300]
    done = site_reset(site, code)
    assert done.status_code == 200, done.text[:300]
    old = requests.get(
        f"{vault}/@vault-history", headers={**JSON, "Authorization": f"Bearer {before}"}
    )
    assert old.status_code == 401, "a session opened before the reset still reads the vault"

    # the person sees the notice on her first page until she dismisses it
    person = site_login(site, PERSON, NEW)
    papers = person.get(f"{site.url}/mon-coffre/papiers", timeout=60).text
    assert "avec l'aide de l'accueil du CCAS. Si ce n'était pas vous, venez au CCAS." in papers
    notice_id = re.search(r'name="avis" value="([0-9a-f]+)"', papers).group(1)
    person.post(
        f"{site.url}/mon-coffre/avis-lu",
        data={"avis": notice_id, "_authenticator": form_token(papers)},
        timeout=60,
    )
    assert "avec l'aide de l'accueil" not in person.get(f"{site.url}/mon-coffre/papiers").text

    # (a) the person chooses questions: a new printed code then needs her answer
    account = person.get(f"{site.url}/mon-coffre/compte", timeout=60).text
    chosen = person.post(
        f"{site.url}/mon-coffre/compte",
        data={
            "form.action": "questions",
            "_authenticator": form_token(account),
            "question1": "first_pet",
            "answer1": "Médor",
            "question2": "birth_town",
            "answer2": "Dakar",
        },
        timeout=60,
    )
    assert chosen.status_code == 200, chosen.text[:300]
    printed = worker.post(f"{vault}/@assisted-reset", json={"delivery": "print"}, timeout=60)
    assert printed.json()["needs"] == "answer" and printed.json()["question"] == "first_pet"
    code = printed.json()["code"]
    for answer in (None, "Dakar", "Rex"):  # the birth town is on the residence permit
        refused = site_reset(site, code, answer, password="Encore-un-autre-8")
        assert (refused.status_code, refused.json()["error"]["type"]) == (400, "wrong_code")
    assert site_reset(site, code, "medor", password="Encore-un-autre-8").status_code == 200
    assert site_login(site, PERSON, "Encore-un-autre-8")


def test_the_printed_sheet_names_the_question_in_the_persons_language(functional_portal, frozen):
    vault = helped(functional_portal)
    transaction.commit()
    agent = requests.Session()
    agent.auth = ("aidant", PASSWORD)
    page = agent.get(f"{vault.absolute_url()}/@@aide-compte", timeout=60)
    sheet = agent.post(
        f"{vault.absolute_url()}/@@aide-compte",
        data={"delivery": "print", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    said = re.search(r'<p id="answer-needed">(.*?)</p>', sheet.text, re.S).group(1)
    assert "Sur la page, répondez aussi à votre question personnelle" in said
    assert "votre premier animal ?" in said and "Médor" not in sheet.text
    assert 'id="confirmation-needed"' not in sheet.text
