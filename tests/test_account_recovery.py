"""A lost password: e-mail link, personal questions, or a code an agent has sent — and the
person always chooses the new password (brief §3 rule 4, §6; decision 0016)."""

from AccessControl import Unauthorized
from ccas.vault.account import options
from ccas.vault.account import recovery
from ccas.vault.account.notices import notices
from ccas.vault.account.recovery import RecoveryLocked
from ccas.vault.account.recovery import RecoveryRefused
from ccas.vault.api import closing
from ccas.vault.api.errors import VaultError
from ccas.vault.history import api as history
from datetime import date
from datetime import datetime
from plone import api
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import json
import logging
import pytest
import re
import transaction


NEW = "Nouveau-mot-de-passe-9"
BORN = date(1980, 5, 17)
ANSWERS = {"birth_town": "Saint-Étienne", "mother_first_name": "Fatou"}
HERE = "192.0.2.10"


@pytest.fixture
def mails(monkeypatch):
    sent = []

    def fake_send_mail(to, subject, body):
        sent.append((to, subject, body))
        return True

    monkeypatch.setattr("ccas.vault.notifications.mail.send_mail", fake_send_mail)
    return sent


@pytest.fixture
def texts(monkeypatch):
    sent = []
    monkeypatch.setattr(recovery, "send_secret_sms", lambda phone, text: sent.append((phone, text)))
    monkeypatch.setattr(
        "ccas.vault.notifications.sms.send_sms_after_commit",
        lambda phone, text: sent.append((phone, text)),
    )
    return sent


@pytest.fixture
def vault(portal, frozen):
    make_agent("accueil")
    make_agent("aidant")
    make_agent("lecteur")
    vault = open_vault_as(
        "accueil",
        "jdupont",
        email="jean@example.org",
        phone="0612345678",
        contact_channel="email",
        recovery_answers=ANSWERS,
    )
    consent_as_owner(vault)
    return vault


def can_log_in(portal, login, password):
    return portal.acl_users.authenticate(login, password, portal.REQUEST) is not None


def printed_code(vault, texts):
    """A printed code as the person types it: the paper's code (the agent saw it), then the
    second part sent by SMS to the person's phone (decision 0035)."""
    with acting_as("aidant"):
        answer = recovery.start_assisted_reset(vault, "print")
    assert answer["second_part"] == "sms"
    part = re.search(r": ([A-Z0-9]{4})\b", texts[-1][1]).group(1)
    return answer["code"] + part


def token_of(mail):
    return re.search(r"jeton=([A-Za-z0-9_-]+)", mail[2]).group(1)


def all_history(vault):
    directory = vault.aq_parent
    entries = [e.as_dict() for e in history.entries(vault) + history.entries(directory)]
    return json.dumps(entries, ensure_ascii=False)


# --- e-mail ----------------------------------------------------------------------------


def test_the_email_link_lets_the_person_choose_a_new_password(portal, vault, mails):
    with acting_as(None):
        assert recovery.start_email_reset("jdupont", address=HERE) is None
    ((to, subject, body),) = mails
    assert to == "jean@example.org"
    assert subject == "Choisissez un nouveau mot de passe"
    token = token_of(mails[0])
    assert f"{portal.absolute_url()}/mon-coffre/nouveau-mot-de-passe?jeton={token}" in body
    with acting_as(None):
        recovery.set_password_with(token, NEW, address=HERE)
    assert can_log_in(portal, "jdupont", NEW)
    assert not can_log_in(portal, "jdupont", PASSWORD)
    actions = [e.action for e in history.entries(vault)]
    assert actions[-2:] == ["password_reset_started", "password_reset_completed"]
    assert token not in all_history(vault)
    with acting_as(None), pytest.raises(RecoveryRefused) as refused:
        recovery.set_password_with(token, "Encore-un-autre-1", address=HERE)
    assert refused.value.code == "wrong_token"  # ended: its hash left the index
    assert "Demandez un nouveau lien" in refused.value.message_fr


def test_no_account_enumeration_by_email(portal, vault, mails):
    make_agent("sans")  # an account without a vault
    with acting_as(None):
        answers = [
            recovery.start_email_reset(login, address=HERE)
            for login in ("inconnu", "sans", "jdupont")
        ]
    assert answers == [None, None, None]
    assert [to for to, _s, _b in mails] == ["jean@example.org"]


def test_an_email_link_lasts_one_hour(portal, vault, mails, frozen):
    with acting_as(None):
        recovery.start_email_reset("jdupont", address=HERE)
    frozen(datetime(2026, 11, 23, 11, 0, 1))
    with acting_as(None), pytest.raises(RecoveryRefused) as refused:
        recovery.set_password_with(token_of(mails[0]), NEW, address=HERE)
    assert refused.value.code == "expired"
    assert refused.value.message_fr.startswith("Ce code n'est plus valable.")
    assert can_log_in(portal, "jdupont", PASSWORD)


def test_a_wrong_link_is_refused_in_french(portal, vault):
    with acting_as(None), pytest.raises(RecoveryRefused) as refused:
        recovery.set_password_with("pas-un-jeton", NEW, address=HERE)
    assert refused.value.code == "wrong_token"
    assert refused.value.message_fr.startswith("Ce lien ne marche pas.")


def test_the_email_route_is_rate_limited_silently_and_traced(portal, vault, mails):
    with acting_as(None):
        for _ in range(8):
            recovery.start_email_reset("jdupont", address=HERE)
    assert len(mails) == 5
    locks = [e for e in history.entries(vault) if e.action == "account_locked"]
    assert [dict(e.details)["route"] for e in locks] == ["email"]


# --- personal questions ---------------------------------------------------------------


def test_questions_chosen_at_opening_are_kept_hashed(portal, vault):
    stored = json.dumps([dict(item) for item in vault.recovery_questions])
    assert "Fatou" not in stored and "etienne" not in stored.lower()
    assert recovery.questions_for("jdupont") == ["birth_town", "mother_first_name"]


def test_unknown_logins_get_the_same_decoy_questions_every_time(portal, vault):
    first = recovery.questions_for("personne")
    assert len(first) == 2 and first == recovery.questions_for("personne")
    assert set(first) <= set(recovery.QUESTION_TEXTS)


def test_answers_ignore_case_accents_and_spaces(portal, vault):
    answers = {"birth_town": "  saint etienne ", "mother_first_name": "FATOU"}
    with acting_as(None):
        token = recovery.check_questions("jdupont", answers, address=HERE)
        recovery.set_password_with(token, NEW, address=HERE)
    assert can_log_in(portal, "jdupont", NEW)


def test_wrong_answers_and_unknown_logins_get_the_same_refusal(portal, vault):
    messages = set()
    for login, answers in (
        ("jdupont", {"birth_town": "Lyon", "mother_first_name": "Fatou"}),
        ("personne", {"birth_town": "Lyon", "mother_first_name": "Fatou"}),
    ):
        with acting_as(None), pytest.raises(RecoveryRefused) as refused:
            recovery.check_questions(login, answers, address=HERE)
        messages.add((refused.value.code, refused.value.message_fr))
    assert messages == {("wrong_answers", recovery.WRONG_ANSWERS[1])}


def test_five_wrong_answers_lock_the_account_for_15_minutes(portal, vault, frozen):
    wrong = {"birth_town": "Lyon", "mother_first_name": "Fatou"}
    for number in range(5):
        with acting_as(None), pytest.raises(RecoveryRefused) as refused:
            recovery.check_questions("jdupont", wrong, address=f"198.51.100.{number}")
    assert not isinstance(refused.value, RecoveryLocked)
    with acting_as(None), pytest.raises(RecoveryLocked) as locked:
        recovery.check_questions("jdupont", ANSWERS, address="203.0.113.9")
    assert "Trop d'essais. Attendez 10:15" in locked.value.message_fr
    (lock,) = [e for e in history.entries(vault) if e.action == "account_locked"]
    assert dict(lock.details) == {
        "route": "questions",
        "scope": "account",
        "until": "2026-11-23T09:15:00+00:00",
    }
    frozen(datetime(2026, 11, 23, 10, 15, 1))
    with acting_as(None):
        assert recovery.check_questions("jdupont", ANSWERS, address="203.0.113.9")


def test_five_failures_from_one_address_lock_that_address(portal, vault):
    for number in range(5):
        with acting_as(None), pytest.raises(RecoveryRefused):
            recovery.check_questions(f"inconnu{number}", ANSWERS, address=HERE)
    with acting_as(None), pytest.raises(RecoveryLocked):
        recovery.check_questions("jdupont", ANSWERS, address=HERE)
    with acting_as(None):  # another address is not locked
        assert recovery.check_questions("jdupont", ANSWERS, address="203.0.113.9")
    directory_locks = [
        dict(e.details) for e in history.entries(vault.aq_parent) if e.action == "account_locked"
    ]
    assert [d["scope"] for d in directory_locks] == ["address"]
    assert HERE not in all_history(vault)


def test_opening_refuses_a_single_question_before_creating_anything(portal):
    make_agent("accueil")
    with pytest.raises(VaultError) as refused:
        open_vault_as("accueil", "amartin", recovery_answers={"birth_town": "Lyon"})
    assert refused.value.code == "too_few_questions"
    assert "au moins 2 questions" in refused.value.message_fr
    assert api.user.get(username="amartin") is None


# --- assisted by an agent -------------------------------------------------------------


def test_an_agent_without_the_account_scope_cannot_start_a_reset(portal, vault):
    active_mandate(vault, agents=("lecteur",), scopes=("consult",))
    for login in ("lecteur", "accueil", "jdupont", None):
        with acting_as(login), pytest.raises(Unauthorized):
            recovery.start_assisted_reset(vault, "print")


def test_the_account_scope_helps_only_while_the_vault_is_open(portal, vault):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    with acting_as("aidant"):
        assert recovery.may_assist(vault)
    with acting_as("jdupont"):
        closing.request_closure(vault)
    with acting_as("aidant"):
        assert not recovery.may_assist(vault)
        with pytest.raises(Unauthorized):
            recovery.start_assisted_reset(vault, "print")


def test_assisted_reset_by_sms_the_agent_never_sees_the_code(portal, vault, texts, caplog):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    with caplog.at_level(logging.DEBUG), acting_as("aidant"):
        result = recovery.start_assisted_reset(vault, "sms")
    assert "code" not in result
    assert result["phone"] == "…78"
    ((phone, text),) = texts
    assert phone == "0612345678"
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", text).group(0)
    assert code not in caplog.text
    with acting_as(None):
        recovery.set_password_with(
            code.lower().replace("-", " "), NEW, login="jdupont", birth_date=BORN, address=HERE
        )
    assert can_log_in(portal, "jdupont", NEW)
    assert code not in all_history(vault)
    (help_line,) = [e for e in history.entries(vault) if e.action == "account_help"]
    assert help_line.actor == "aidant"
    assert dict(help_line.details)["route"] == "code_sms"


def test_a_printed_code_needs_the_date_of_birth_and_never_logs_in(portal, vault, texts):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    code = printed_code(vault, texts)
    assert not can_log_in(portal, "jdupont", code)
    with acting_as("aidant"), pytest.raises(RecoveryRefused) as refused:
        recovery.set_password_with(code, NEW, login="jdupont", birth_date=BORN, address=HERE)
    assert refused.value.code == "staff_session"
    for birth_date in (None, date(1981, 5, 17)):
        with acting_as(None), pytest.raises(RecoveryRefused) as refused:
            recovery.set_password_with(
                code, NEW, login="jdupont", birth_date=birth_date, address=HERE
            )
        assert refused.value.code == "wrong_code"
        assert refused.value.message_fr.startswith("Ce code ne marche pas.")
    with acting_as(None):
        recovery.set_password_with(code, NEW, login="jdupont", birth_date=BORN, address=HERE)
    assert can_log_in(portal, "jdupont", NEW)
    with acting_as(None), pytest.raises(RecoveryRefused) as refused:
        recovery.set_password_with(code, "Encore-1-autre", login="jdupont", birth_date=BORN)
    assert refused.value.code == "already_used"
    assert "déjà servi" in refused.value.message_fr


def test_a_code_lasts_24_hours_and_a_new_one_ends_the_old(portal, vault, frozen, texts):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    first = printed_code(vault, texts)
    second = printed_code(vault, texts)
    with acting_as(None), pytest.raises(RecoveryRefused) as refused:
        recovery.set_password_with(first, NEW, login="jdupont", birth_date=BORN, address=HERE)
    assert refused.value.code == "expired"
    frozen(datetime(2026, 11, 24, 10, 0, 1))
    with acting_as(None), pytest.raises(RecoveryRefused) as refused:
        recovery.set_password_with(second, NEW, login="jdupont", birth_date=BORN, address=HERE)
    assert refused.value.code == "expired"


def test_setting_a_password_ends_every_other_pending_reset(portal, vault, mails, texts):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    code = printed_code(vault, texts)
    with acting_as(None):
        recovery.start_email_reset("jdupont", address=HERE)
        recovery.set_password_with(token_of(mails[0]), NEW, address=HERE)
    assert recovery.pending_resets(vault) == []
    with acting_as(None), pytest.raises(RecoveryRefused) as refused:
        recovery.set_password_with(code, "Encore-1-autre", login="jdupont", birth_date=BORN)
    assert refused.value.code == "expired"


def test_five_wrong_codes_lock_the_code_route(portal, vault):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    with acting_as("aidant"):
        code = recovery.start_assisted_reset(vault, "print")["code"]
    for number in range(5):
        with acting_as(None), pytest.raises(RecoveryRefused):
            recovery.set_password_with(
                "AAAA-AAAA", NEW, login="jdupont", birth_date=BORN, address=f"10.0.0.{number}"
            )
    with acting_as(None), pytest.raises(RecoveryLocked):
        recovery.set_password_with(code, NEW, login="jdupont", birth_date=BORN, address=HERE)


def test_sms_needs_a_phone_number(portal, frozen):
    make_agent("accueil")
    make_agent("aidant")
    vault = consent_as_owner(open_vault_as("accueil", "amartin", first="Alice", last="Martin"))
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    with acting_as("aidant"), pytest.raises(RecoveryRefused) as refused:
        recovery.start_assisted_reset(vault, "sms")
    assert refused.value.code == "no_phone"
    assert "Imprimer le code" in refused.value.message_fr


def test_a_short_password_is_refused_with_a_sentence(portal, vault, mails):
    with acting_as(None):
        recovery.start_email_reset("jdupont", address=HERE)
        with pytest.raises(RecoveryRefused) as refused:
            recovery.set_password_with(token_of(mails[0]), "court", address=HERE)
    assert refused.value.code == "password_refused"
    assert "au moins 8 caractères" in refused.value.message_fr
    with acting_as(None):  # the link still works
        recovery.set_password_with(token_of(mails[0]), NEW, address=HERE)


def test_the_person_is_told_when_the_password_changed(portal, vault, mails, texts):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    code = printed_code(vault, texts)
    with acting_as(None):
        recovery.set_password_with(code, NEW, login="jdupont", birth_date=BORN, address=HERE)
    ((to, subject, body),) = mails
    assert (to, subject) == ("jean@example.org", "Votre mot de passe a été changé")
    assert "venez vite à l'accueil du CCAS" in body or "accueil du CCAS" in body


def test_indicators_count_started_and_completed_per_route(portal, vault, mails, texts):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    code = printed_code(vault, texts)
    with acting_as(None):
        recovery.set_password_with(code, NEW, login="jdupont", birth_date=BORN, address=HERE)
        recovery.start_email_reset("jdupont", address=HERE)
        recovery.check_questions("jdupont", ANSWERS, address=HERE)
    counts = recovery.indicators("2026-11")
    assert counts == {
        "code_print.started": 1,
        "code_print.completed": 1,
        "email.started": 1,
        "questions.started": 1,
    }


# --- Mon compte -----------------------------------------------------------------------


def test_the_person_changes_the_password_with_the_current_one(portal, vault):
    with acting_as("jdupont"), pytest.raises(RecoveryRefused) as refused:
        recovery.change_password(vault, "pas-le-bon", NEW)
    assert refused.value.message_fr.startswith("Le mot de passe actuel n'est pas le bon.")
    with acting_as("jdupont"):
        recovery.change_password(vault, PASSWORD, NEW)
    assert can_log_in(portal, "jdupont", NEW)
    assert history.entries(vault)[-1].action == "password_changed"
    with acting_as("aidant"), pytest.raises(Unauthorized):
        recovery.change_password(vault, NEW, PASSWORD)


def test_contact_settings_are_checked_and_traced_without_values(portal, vault):
    with acting_as("jdupont"), pytest.raises(options.InvalidOptions) as refused:
        options.update_contact(vault, contact_channel="sms", email=None, phone=None)
    assert refused.value.fields["phone"][1].startswith("Écrivez votre numéro de portable")
    with acting_as("jdupont"):
        changed = options.update_contact(
            vault, contact_channel="sms", phone="07 11 22 33 44", preferred_language="en"
        )
    assert changed == ["contact_channel", "email", "phone", "preferred_language"]
    assert (vault.contact_channel, vault.phone, vault.email) == ("sms", "07 11 22 33 44", None)
    line = history.entries(vault)[-1]
    assert line.action == "recovery_options_changed"
    assert "07 11" not in all_history(vault)
    with acting_as("aidant"), pytest.raises(Unauthorized):
        options.update_contact(vault, contact_channel="none")


def test_the_person_replaces_the_questions(portal, vault):
    with acting_as("jdupont"):
        options.update_questions(vault, {"first_pet": "Médor", "favourite_dish": "couscous"})
    assert recovery.questions_for("jdupont") == ["favourite_dish", "first_pet"]
    with acting_as(None):
        assert recovery.check_questions(
            "jdupont", {"first_pet": "medor", "favourite_dish": "Couscous"}, address=HERE
        )


def test_a_notice_waits_when_the_person_has_no_channel(portal, frozen):
    make_agent("accueil")
    make_agent("aidant")
    make_agent("collegue")
    vault = consent_as_owner(open_vault_as("accueil", "amartin", first="Alice", last="Martin"))
    active_mandate(vault, agents=("aidant", "collegue"), scopes=("account",))
    with acting_as("aidant"):
        code = recovery.start_assisted_reset(vault, "print")["code"]
    with acting_as("collegue"):  # no channel, no questions: four eyes (decision 0043)
        recovery.confirm_assisted_reset(vault)
    with acting_as(None):
        recovery.set_password_with(code, NEW, login="amartin", birth_date=BORN, address=HERE)
    assert [n["kind"] for n in notices(vault)] == ["password_changed"]


# --- REST -----------------------------------------------------------------------------


@pytest.fixture
def site(functional_portal, monkeypatch, mails):
    make_agent("accueil")
    make_agent("aidant")
    vault = open_vault_as(
        "accueil", "jdupont", email="jean@example.org", contact_channel="email", phone="0611"
    )
    consent_as_owner(vault)
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    transaction.commit()
    return functional_portal


def test_rest_email_route_answers_the_same_for_everybody(site, request_factory, mails):
    answers = [
        request_factory().post("@password-reset", json={"route": "email", "login": login})
        for login in ("jdupont", "inconnu")
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    assert len(mails) == 1


def test_rest_assisted_reset_then_code(site, request_factory, sms):
    vault_url = "coffres/" + api.portal.get()["coffres"].objectIds()[0]
    refused = request_factory().post(f"{vault_url}/@assisted-reset", json={"delivery": "print"})
    assert refused.status_code == 401
    agent = request_factory(basic_auth=("aidant", PASSWORD))
    answer = agent.post(f"{vault_url}/@assisted-reset", json={"delivery": "print"})
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    assert answer.json()["second_part"] == "sms"  # the person has a phone (decision 0035)
    body = {"route": "code", "login": "jdupont", "code": code, "new_password": NEW}
    alone = request_factory().post("@password-reset", json={**body, "birth_date": "1980-05-17"})
    assert alone.status_code == 400, "the agent's printed code alone chose the password"
    ((_phone, text),) = sms.sent
    body["code"] = code + re.search(r": ([A-Z0-9]{4})\b", text).group(1)
    wrong = request_factory().post("@password-reset", json={**body, "birth_date": "1999-01-01"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["message_fr"].startswith("Ce code ne marche pas.")
    done = request_factory().post("@password-reset", json={**body, "birth_date": "1980-05-17"})
    assert done.status_code == 200, done.text
    transaction.begin()
    assert can_log_in(api.portal.get(), "jdupont", NEW)


def test_rest_questions_are_given_for_any_login(site, request_factory):
    answer = request_factory().get("@password-reset", params={"login": "inconnu"})
    assert answer.status_code == 200
    assert len(answer.json()["questions"]) == 2
    assert answer.json()["questions"][0]["text_fr"].endswith("?")


def test_an_agent_cannot_send_codes_without_end(portal, vault):
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    with acting_as("aidant"):
        for _ in range(5):
            recovery.start_assisted_reset(vault, "print")
        with pytest.raises(RecoveryLocked):
            recovery.start_assisted_reset(vault, "print")
    (lock,) = [e for e in history.entries(vault) if e.action == "account_locked"]
    assert lock.actor == "aidant"
    assert dict(lock.details)["route"] == "assist"
    assert recovery.indicators("2026-11")["assist.locked"] == 1
