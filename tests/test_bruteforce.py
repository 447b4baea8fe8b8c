"""Brute force: every door that checks a password is limited per account and per address
(issue 9, decision 0026).

Five wrong passwords for one account in 15 minutes lock the account for 15 minutes — on
every door (the skin's login page, Plone's ``@@login``, REST ``@login``, HTTP Basic), even
with the right password afterwards.  Twenty failures from one address lock the address.  A
success clears the account's count.  A lock answers 429 (REST, Basic) or a French message
(skin), is traced in the beneficiary's history or logged for staff, never with a password.
"""

from base64 import b64encode
from ccas.vault.account import recovery
from ccas.vault.bruteforce import throttle
from ccas.vault.bruteforce.plugin import PLUGIN_ID
from ccas.vault.history import api as history
from datetime import datetime
from datetime import timedelta
from Products.PluggableAuthService.interfaces.plugins import IAuthenticationPlugin
from public_skin import skin
from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import json
import logging
import pytest
import requests
import transaction


WRONG = "Pas-le-bon-mot-de-passe-0"
START = datetime(2026, 11, 23, 10, 0)
LOCKED_FR = "Trop d'essais. Réessayez dans 15 minutes."


@pytest.fixture
def people(functional_portal, frozen):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()
    return vault


# --- the doors -------------------------------------------------------------------------


def skin_login(portal, login, password, address=None):
    answer = requests.post(
        skin(portal, "connexion"),
        data={"__ac_name": login, "__ac_password": password, "form.submitted": "1"},
        timeout=60,
        allow_redirects=False,
    )
    return answer.status_code == 303, answer


def intranet_login(portal, login, password):
    answer = requests.post(
        f"{portal.absolute_url()}/@@login",
        data={
            "__ac_name": login,
            "__ac_password": password,
            "buttons.login": "Se connecter",
        },
        timeout=60,
        allow_redirects=False,
    )
    return "__ac" in answer.cookies and answer.cookies["__ac"] not in ("", '""'), answer


def rest_login(portal, login, password):
    answer = requests.post(
        f"{portal.absolute_url()}/@login",
        json={"login": login, "password": password},
        headers={"Accept": "application/json"},
        timeout=60,
    )
    return answer.status_code == 200 and "token" in answer.json(), answer


def basic_login(portal, login, password):
    auth = b64encode(f"{login}:{password}".encode()).decode()
    answer = requests.get(
        f"{portal.absolute_url()}/@users/{login}",
        headers={"Accept": "application/json", "Authorization": f"Basic {auth}"},
        timeout=60,
        allow_redirects=False,
    )
    return answer.status_code == 200, answer


DOORS = {
    "skin": skin_login,
    "intranet": intranet_login,
    "rest": rest_login,
    "basic": basic_login,
}


@pytest.mark.parametrize("door", sorted(DOORS))
def test_the_right_password_opens_every_door(people, functional_portal, door):
    ok, answer = DOORS[door](functional_portal, "jdupont", PASSWORD)
    assert ok, answer.text[:500]


@pytest.mark.parametrize("door", sorted(DOORS))
def test_five_wrong_passwords_lock_the_account_on_every_door(people, functional_portal, door):
    log_in = DOORS[door]
    for _ in range(recovery.MAX_ATTEMPTS):
        ok, answer = log_in(functional_portal, "jdupont", WRONG)
        assert not ok
    ok, answer = log_in(functional_portal, "jdupont", PASSWORD)
    assert not ok, "the right password must not open a locked account"
    assert answer.status_code == 429 or LOCKED_FR in answer.text


@pytest.mark.parametrize("door", sorted(DOORS))
def test_the_lock_lasts_fifteen_minutes(people, functional_portal, frozen, door):
    log_in = DOORS[door]
    for _ in range(recovery.MAX_ATTEMPTS):
        log_in(functional_portal, "jdupont", WRONG)
    frozen(START + timedelta(minutes=14, seconds=59))
    assert not log_in(functional_portal, "jdupont", PASSWORD)[0]
    frozen(START + timedelta(minutes=15, seconds=1))
    ok, answer = log_in(functional_portal, "jdupont", PASSWORD)
    assert ok, answer.text[:300]


@pytest.mark.parametrize("door", sorted(DOORS))
def test_a_success_clears_the_account_count(people, functional_portal, door):
    log_in = DOORS[door]
    for _ in range(2):
        for _ in range(recovery.MAX_ATTEMPTS - 1):
            assert not log_in(functional_portal, "jdupont", WRONG)[0]
        ok, answer = log_in(functional_portal, "jdupont", PASSWORD)
        assert ok, answer.text[:300]


def test_failures_on_different_doors_add_up(people, functional_portal):
    for door in ("skin", "intranet", "rest", "basic", "skin"):
        DOORS[door](functional_portal, "jdupont", WRONG)
    assert not basic_login(functional_portal, "jdupont", PASSWORD)[0]


def test_the_login_is_counted_whatever_its_case(people, functional_portal):
    for login in ("JDUPONT", "Jdupont", "jDupont", "jdupont", "JDupont"):
        skin_login(functional_portal, login, WRONG)
    assert not skin_login(functional_portal, "jdupont", PASSWORD)[0]


def test_twenty_failures_from_one_address_lock_the_address(people, functional_portal, frozen):
    make_agent("instructeur")
    transaction.commit()
    for number in range(throttle.ADDRESS_LIMIT):
        skin_login(functional_portal, f"inconnu{number}", WRONG)
    # nobody may log in from this address now, whatever the account
    ok, answer = skin_login(functional_portal, "jdupont", PASSWORD)
    assert not ok and answer.status_code == 429 and LOCKED_FR in answer.text
    assert not rest_login(functional_portal, "instructeur", PASSWORD)[0]
    # X-Forwarded-For counts only from zope.conf's trusted proxies: not from this client
    spoofed = requests.post(
        f"{functional_portal.absolute_url()}/@login",
        json={"login": "instructeur", "password": PASSWORD},
        headers={"Accept": "application/json", "X-Forwarded-For": "203.0.113.7"},
        timeout=60,
    )
    assert spoofed.status_code == 429
    transaction.begin()
    directory = functional_portal["coffres"]
    locks = [dict(e.details) for e in history.entries(directory) if e.action == "account_locked"]
    assert {"route": "login", "scope": "address"}.items() <= locks[-1].items()
    frozen(START + timedelta(minutes=16))
    assert skin_login(functional_portal, "jdupont", PASSWORD)[0]


def test_the_skin_says_it_in_french(people, functional_portal):
    for _ in range(recovery.MAX_ATTEMPTS):
        skin_login(functional_portal, "jdupont", WRONG)
    _ok, answer = skin_login(functional_portal, "jdupont", PASSWORD)
    assert answer.status_code == 429
    assert LOCKED_FR in answer.text
    assert answer.headers["Retry-After"] == "900"
    assert "__ac" not in answer.cookies or answer.cookies["__ac"] in ("", '""', "deleted")


def test_the_intranet_login_form_says_it_too(people, functional_portal):
    for _ in range(recovery.MAX_ATTEMPTS):
        intranet_login(functional_portal, "accueil", WRONG)
    ok, answer = intranet_login(functional_portal, "accueil", PASSWORD)
    assert not ok and answer.status_code == 429
    assert "Trop d'essais" in answer.text or "Too many attempts" in answer.text  # site language
    assert "15 minutes" in answer.text


def test_rest_answers_429_with_retry_after(people, functional_portal, frozen):
    for _ in range(recovery.MAX_ATTEMPTS):
        rest_login(functional_portal, "jdupont", WRONG)
    frozen(START + timedelta(minutes=5))
    _ok, answer = rest_login(functional_portal, "jdupont", PASSWORD)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "600"
    error = answer.json()["error"]
    assert error["code"] == "login_locked"
    assert error["until"] == "2026-11-23T09:15:00+00:00"
    assert "token" not in answer.json()


def test_a_beneficiary_lock_is_traced_without_the_password(people, functional_portal, caplog):
    caplog.set_level(logging.DEBUG)
    for door in ("skin", "rest", "basic", "intranet", "skin"):
        DOORS[door](functional_portal, "jdupont", WRONG)
    transaction.begin()
    vault = functional_portal["coffres"][people.getId()]
    (lock,) = [e for e in history.entries(vault) if e.action == "account_locked"]
    assert dict(lock.details) == {
        "route": "login",
        "until": "2026-11-23T09:15:00+00:00",
        "scope": "account",
    }
    everything = json.dumps([repr(e.__dict__) for e in history.entries(vault)], default=str)
    assert WRONG not in everything and PASSWORD not in everything
    assert WRONG not in caplog.text and PASSWORD not in caplog.text


def test_a_staff_lock_is_logged_without_the_password(people, functional_portal, caplog):
    caplog.set_level(logging.INFO, logger="ccas.vault.bruteforce")
    for _ in range(recovery.MAX_ATTEMPTS):
        intranet_login(functional_portal, "accueil", WRONG)
    (line,) = [r for r in caplog.records if r.name == "ccas.vault.bruteforce"]
    assert "'accueil'" in line.getMessage() and "Login locked" in line.getMessage()
    assert WRONG not in caplog.text and PASSWORD not in caplog.text
    assert not intranet_login(functional_portal, "accueil", PASSWORD)[0]


def test_a_logged_in_session_counts_nothing(people, functional_portal):
    from public_skin import skin_session

    session = skin_session(functional_portal, "jdupont")
    for _ in range(recovery.MAX_ATTEMPTS + 1):
        assert session.get(skin(functional_portal, "papiers"), timeout=60).status_code == 200
    token = rest_login(functional_portal, "jdupont", PASSWORD)[1].json()["token"]
    for _ in range(recovery.MAX_ATTEMPTS + 1):
        mine = requests.get(
            f"{functional_portal.absolute_url()}/@users/jdupont",
            headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert mine.status_code == 200
    transaction.begin()
    tree = getattr(functional_portal["coffres"], recovery.THROTTLE, {})
    assert [key for key in tree if key.startswith("login|")] == []


def test_zopes_own_admin_is_no_failure_of_the_site(people, functional_portal):
    from plone.app.testing import SITE_OWNER_NAME
    from plone.app.testing import SITE_OWNER_PASSWORD

    for door in ("intranet", "basic") * (throttle.ADDRESS_LIMIT // 2 + 1):
        _ok, answer = DOORS[door](functional_portal, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
        assert answer.status_code < 500
    transaction.begin()
    tree = getattr(functional_portal["coffres"], recovery.THROTTLE, {})
    assert list(tree) == []
    assert skin_login(functional_portal, "jdupont", PASSWORD)[0]


def test_the_plugin_is_the_first_authenticator(people, functional_portal):
    plugins = functional_portal.acl_users.plugins
    assert plugins.listPluginIds(IAuthenticationPlugin)[0] == PLUGIN_ID


# --- hostile inputs: never a server error, never a session --------------------------------

HOSTILE_LOGINS = [
    "",
    " ",
    "jdupont ",
    " jdupont",
    "JDUPONT",
    "admin' OR '1'='1",
    "jdupont\x00",
    "j" * 5000,
    "../../acl_users",
    "<script>alert(1)</script>",
    "jdupont:x",
    "ʝđüpøñŧ",
    "%00",
    "admin",
]
HOSTILE_PASSWORDS = ["", PASSWORD + " ", PASSWORD.upper(), "x" * 5000, "' OR 1=1 --", "\x00"]


@pytest.mark.parametrize("door", sorted(DOORS))
@pytest.mark.parametrize("login", HOSTILE_LOGINS, ids=range(len(HOSTILE_LOGINS)))
def test_hostile_logins_never_open_a_session(people, functional_portal, door, login):
    ok, answer = DOORS[door](functional_portal, login, PASSWORD)
    assert answer.status_code < 500
    assert not ok


@pytest.mark.parametrize("door", sorted(DOORS))
@pytest.mark.parametrize("password", HOSTILE_PASSWORDS, ids=range(len(HOSTILE_PASSWORDS)))
def test_hostile_passwords_never_open_a_session(people, functional_portal, door, password):
    ok, answer = DOORS[door](functional_portal, "jdupont", password)
    assert answer.status_code < 500
    assert not ok


# --- secrets typed without a password: share-link codes, reset codes ------------------------


@pytest.fixture
def here(monkeypatch):
    """Integration requests have no client address: give them one."""
    monkeypatch.setattr(recovery, "client_address", lambda request=None: "192.0.2.44")
    return "192.0.2.44"


@pytest.fixture
def shared_vault(portal, frozen):
    from vaults import deposit_as

    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    return vault


def code_link(vault):
    from ccas.vault.sharing import links
    from vaults import acting_as

    with acting_as("jdupont"):
        documents = list(vault["partage"].objectValues())
        return links.create_link(vault, documents, "Mme Martin", "7d", with_code=True)


def test_wrong_share_codes_from_one_address_lock_every_link(shared_vault, here, frozen):
    from ccas.vault.sharing import links

    made = [code_link(shared_vault) for _ in range(6)]
    wrong = 0
    for _link, token, code in made[:5]:
        for _ in range(links.MAX_FAILURES - 1):  # under each link's own limit
            with pytest.raises(links.WrongCode):
                links.open_link(token, "000000" if code != "000000" else "111111")
            wrong += 1
    assert wrong == throttle.ADDRESS_LIMIT
    link, token, code = made[5]
    with pytest.raises(links.LinkLocked):
        links.open_link(token, code)  # the right code, but from a locked address
    frozen(START + timedelta(minutes=15, seconds=1))
    assert links.open_link(token, code) == link


def test_reset_codes_lock_per_account_and_per_address(shared_vault, here, frozen):
    from datetime import date
    from vaults import acting_as

    for _ in range(recovery.MAX_ATTEMPTS):
        with acting_as(None), pytest.raises(recovery.RecoveryRefused):
            recovery.set_password_with(
                "ABCD-EFGH",
                "Nouveau-mot-2-passe",
                login="jdupont",
                birth_date=date(1980, 5, 17),
                address="198.51.100.1",
            )
    with acting_as(None), pytest.raises(recovery.RecoveryLocked):
        recovery.set_password_with(
            "ABCD-EFGH",
            "Nouveau-mot-2-passe",
            login="jdupont",
            birth_date=date(1980, 5, 17),
            address="198.51.100.2",
        )
    # another account from yet another address is not locked
    with acting_as(None), pytest.raises(recovery.RecoveryRefused) as refused:
        recovery.set_password_with(
            "ABCD-EFGH",
            "Nouveau-mot-2-passe",
            login="mmartin",
            birth_date=date(1980, 5, 17),
            address="198.51.100.3",
        )
    assert refused.value.code == "wrong_code"
