"""Hostile use of accounts over HTTP (issue 19 items 2, 7 and 14; decision 0035).

* Item 2 — a Site Administrator or a Manager cannot take a person's account over through
  Plone's user management: REST ``@users`` (password, e-mail, deletion), the
  ``@@user-information`` form, the ZMI's ``manage_updatePassword``, ``@users/…/reset-password``
  (old password, or the token of Plone's own reset tool): each is refused 403 and
  the person's password and e-mail stay as they were.  A staff account still changes.
* Item 7 — the agent who starts an assisted reset holds the printed half of the code and
  sees the date of birth: that is not enough to choose the person's password.
* Item 14 — opening vaults never counts as failed logins at the agent's address.

Every request goes to the functional layer's server (C security implementation).
"""

from Acquisition import aq_base
from ccas.vault.account import recovery
from ccas.vault.account.notices import notices as pending_notices
from ccas.vault.bruteforce import throttle
from ccas.vault.history import api as history
from plone import api
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import re
import requests
import transaction


NEW = "Pris-par-l-admin-9"
JSON = {"Accept": "application/json"}


def site_url(portal):
    return portal.absolute_url()


def can_log_in(portal, login, password):
    """Whether ``login`` / ``password`` opens REST ``@login`` (the throttle's counting door)."""
    answer = requests.post(
        f"{site_url(portal)}/@login",
        json={"login": login, "password": password},
        headers=JSON,
        timeout=60,
    )
    return answer.status_code == 200


def stored_email(login):
    transaction.begin()
    return api.user.get(username=login).getProperty("email")


def make_people(portal):
    make_agent("accueil")
    make_user("chef", ["Site Administrator"])
    make_user("patron", ["Manager"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", email="jean@example.org"))
    api.user.get(username="jdupont").setMemberProperties({"email": "jean@example.org"})
    transaction.commit()
    return vault


def forget_login_failures():
    transaction.begin()
    tree = getattr(aq_base(recovery._directory()), recovery.THROTTLE, None)
    if tree is not None:
        tree.clear()
    transaction.commit()


# --- item 2: Plone's user management does not reach a vault owner's account ----------------


def test_a_site_administrator_cannot_set_a_persons_password_through_rest(functional_portal):
    make_people(functional_portal)
    for admin in ("chef", "patron"):
        answer = requests.patch(
            f"{site_url(functional_portal)}/@users/jdupont",
            json={"password": NEW},
            headers=JSON,
            auth=(admin, PASSWORD),
            timeout=60,
        )
        assert answer.status_code == 403, (admin, answer.status_code, answer.text[:300])
    forget_login_failures()
    assert not can_log_in(functional_portal, "jdupont", NEW)
    assert can_log_in(functional_portal, "jdupont", PASSWORD)


def test_a_site_administrator_cannot_redirect_a_persons_recovery_email(functional_portal):
    make_people(functional_portal)
    answer = requests.patch(
        f"{site_url(functional_portal)}/@users/jdupont",
        json={"email": "pirate@evil.example"},
        headers=JSON,
        auth=("chef", PASSWORD),
        timeout=60,
    )
    assert answer.status_code == 403, answer.text[:300]
    assert stored_email("jdupont") == "jean@example.org"


def test_a_site_administrator_cannot_delete_a_persons_account_to_make_it_again(
    functional_portal,
):
    make_people(functional_portal)
    answer = requests.delete(
        f"{site_url(functional_portal)}/@users/jdupont",
        headers=JSON,
        auth=("patron", PASSWORD),
        timeout=60,
    )
    assert answer.status_code == 403, answer.text[:300]
    transaction.begin()
    assert api.user.get(username="jdupont") is not None
    assert can_log_in(functional_portal, "jdupont", PASSWORD)


def test_staff_accounts_still_change_through_plones_user_management(functional_portal):
    make_people(functional_portal)
    answer = requests.patch(
        f"{site_url(functional_portal)}/@users/accueil",
        json={"password": NEW, "email": "accueil@ccas.example"},
        headers=JSON,
        auth=("chef", PASSWORD),
        timeout=60,
    )
    assert answer.status_code == 204, answer.text[:300]
    assert can_log_in(functional_portal, "accueil", NEW)
    assert stored_email("accueil") == "accueil@ccas.example"


def _authenticator(session, url):
    page = session.get(url, timeout=60)
    assert page.status_code == 200, page.status_code
    found = re.search(r'name="_authenticator"\s+value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"\s+name="_authenticator"', page.text
    )
    assert found, "no _authenticator on the form"
    return found.group(1)


def test_the_user_information_form_does_not_change_a_persons_email(functional_portal):
    make_people(functional_portal)
    session = requests.Session()
    session.auth = ("chef", PASSWORD)
    url = f"{site_url(functional_portal)}/@@user-information?userid=jdupont"
    token = _authenticator(session, url)
    answer = session.post(
        url,
        data={
            "_authenticator": token,
            "form.widgets.fullname": "Jean Dupont",
            "form.widgets.email": "pirate@evil.example",
            "form.buttons.save": "Save",
        },
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 403, answer.status_code
    assert stored_email("jdupont") == "jean@example.org"


def test_the_zmi_password_form_does_not_change_a_persons_password(functional_portal):
    """``manage_updatePassword`` sets the *caller's* password without the old one: a stolen
    session would keep the account for good, untraced."""
    make_people(functional_portal)
    session = requests.Session()
    session.auth = ("jdupont", PASSWORD)
    answer = session.post(
        f"{site_url(functional_portal)}/acl_users/source_users/manage_updatePassword",
        data={"login_name": "jdupont", "password": NEW, "confirm": NEW},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 403, answer.status_code
    forget_login_failures()
    assert not can_log_in(functional_portal, "jdupont", NEW)
    assert can_log_in(functional_portal, "jdupont", PASSWORD)


def test_the_zmi_user_password_form_of_a_manager_is_refused_too(functional_portal):
    make_people(functional_portal)
    answer = requests.post(
        f"{site_url(functional_portal)}/acl_users/source_users/manage_updateUserPassword",
        data={"user_id": "jdupont", "password": NEW, "confirm": NEW},
        auth=("patron", PASSWORD),
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 403, answer.status_code
    forget_login_failures()
    assert not can_log_in(functional_portal, "jdupont", NEW)


def test_plones_own_password_routes_do_not_change_a_persons_password_untraced(
    functional_portal,
):
    """``POST @users/<id>/reset-password`` (old + new password) and Plone's reset tool's token
    change the password outside the vault's history: only "Mon compte" and the recovery
    routes (which trace it and tell the person) do.  For these routes a vault owner's login is
    no account at all (``account/plone_reset.py``): 404, as for an unknown login."""
    make_people(functional_portal)
    own = requests.post(
        f"{site_url(functional_portal)}/@users/jdupont/reset-password",
        json={"old_password": PASSWORD, "new_password": NEW},
        headers=JSON,
        auth=("jdupont", PASSWORD),
        timeout=60,
    )
    assert own.status_code == 404, (own.status_code, own.text[:300])
    transaction.begin()
    tool = api.portal.get_tool("portal_password_reset")
    token = tool.requestReset("jdupont")["randomstring"]
    transaction.commit()
    by_token = requests.post(
        f"{site_url(functional_portal)}/@users/jdupont/reset-password",
        json={"reset_token": token, "new_password": NEW},
        headers=JSON,
        timeout=60,
    )
    assert by_token.status_code == 404, (by_token.status_code, by_token.text[:300])
    forget_login_failures()
    assert not can_log_in(functional_portal, "jdupont", NEW)
    assert can_log_in(functional_portal, "jdupont", PASSWORD)


# --- item 7: the agent's printed code alone does not choose the person's password ---------


def helped_person(portal, **contact):
    make_agent("accueil")
    make_agent("aidant")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", **contact))
    active_mandate(vault, agents=("aidant",), scopes=("account",))
    transaction.commit()
    return vault


def agent_prints_a_code(portal, vault):
    answer = requests.post(
        f"{vault.absolute_url()}/@assisted-reset",
        json={"delivery": "print"},
        headers=JSON,
        auth=("aidant", PASSWORD),
        timeout=60,
    )
    assert answer.status_code == 201, answer.text[:300]
    return answer.json()


def reset_with_code(portal, code, birth_date="1980-05-17", password=NEW):
    return requests.post(
        f"{site_url(portal)}/@password-reset",
        json={
            "route": "code",
            "login": "jdupont",
            "code": code,
            "birth_date": birth_date,
            "new_password": password,
        },
        headers=JSON,
        timeout=60,
    )


def test_the_agent_with_the_printed_code_and_the_birth_date_cannot_choose_the_password(
    functional_portal, sms
):
    vault = helped_person(functional_portal, phone="0612345678", contact_channel="sms")
    printed = agent_prints_a_code(functional_portal, vault)
    # the agent sees the date of birth in @my-vaults and completes the reset anonymously
    mine = requests.get(
        f"{site_url(functional_portal)}/coffres/@my-vaults",
        headers=JSON,
        auth=("aidant", PASSWORD),
        timeout=60,
    )
    assert "1980-05-17" in mine.text
    for code in (printed["code"], printed["code"] + "AAAA"):
        answer = reset_with_code(functional_portal, code)
        assert answer.status_code == 400, answer.text[:300]
    forget_login_failures()
    assert can_log_in(functional_portal, "jdupont", PASSWORD)
    assert not can_log_in(functional_portal, "jdupont", NEW)
    assert printed["second_part"] == "sms" and printed["phone"].endswith("78")
    # the SMS the person got (the agent saw the masked number only) holds the other part
    ((phone, text),) = sms.sent
    assert phone == "0612345678" and printed["code"] not in text
    part = re.search(r": ([A-Z0-9]{4})\b", text).group(1)
    assert part not in str(printed)


def test_the_person_with_both_parts_chooses_and_is_told_and_the_old_sessions_end(
    functional_portal, sms
):
    vault = helped_person(functional_portal, phone="0612345678", contact_channel="sms")
    before = requests.post(
        f"{site_url(functional_portal)}/@login",
        json={"login": "jdupont", "password": PASSWORD},
        headers=JSON,
        timeout=60,
    ).json()["token"]
    printed = agent_prints_a_code(functional_portal, vault)
    part = re.search(r": ([A-Z0-9]{4})\b", sms.sent[-1][1]).group(1)
    answer = reset_with_code(functional_portal, printed["code"] + part)
    assert answer.status_code == 200, answer.text[:300]
    # the token of a session opened before the reset no longer reads anything (checked
    # before logging in again: a JWT made in the same second would be the same string)
    old = requests.get(
        f"{site_url(functional_portal)}/@users/jdupont",
        headers={**JSON, "Authorization": f"Bearer {before}"},
        timeout=60,
    )
    assert old.status_code == 401, old.status_code
    assert can_log_in(functional_portal, "jdupont", NEW)
    # told: an SMS on the person's channel, and a notice in the vault
    assert "mot de passe a été changé" in sms.sent[-1][1]
    transaction.begin()
    fresh = api.portal.get().unrestrictedTraverse("/".join(vault.getPhysicalPath()))
    assert [n for n in pending_notices(fresh) if n.get("kind") == "password_changed"]
    completed = [e for e in history.entries(fresh) if e.action == "password_reset_completed"]
    assert dict(completed[-1].details)["started_by"] == "aidant"


# --- item 14: opening vaults is not a failed login ------------------------------------------


def test_opening_many_vaults_does_not_lock_the_reception_desk(functional_portal):
    make_agent("accueil")
    transaction.commit()
    url = f"{site_url(functional_portal)}/coffres/@vaults"
    for number in range(throttle.ADDRESS_LIMIT + 1):
        answer = requests.post(
            url,
            json={
                "first_name": "Jean",
                "last_name": f"Dupont {chr(ord('a') + number)}",
                "birth_date": "1980-05-17",
                "login": f"jdupont{number}",
                "password": PASSWORD,
                "contact_channel": "none",
            },
            headers=JSON,
            auth=("accueil", PASSWORD),
            timeout=60,
        )
        assert answer.status_code == 201, answer.text[:300]
    transaction.begin()
    tree = getattr(aq_base(recovery._directory()), recovery.THROTTLE, None)
    assert not dict(tree or {}), "an opening was counted as a failed login"
    assert can_log_in(functional_portal, "accueil", PASSWORD)
    assert can_log_in(functional_portal, "jdupont20", PASSWORD)


def test_a_json_body_with_login_and_password_logs_in_only_on_the_login_service(
    functional_portal,
):
    """plone.restapi reads ``login`` / ``password`` from any JSON body; elsewhere than
    ``@login`` they are a form's fields (here: an opening's): they do not log anyone in."""
    make_people(functional_portal)
    answer = requests.post(
        f"{site_url(functional_portal)}/coffres/@vaults",
        json={
            "first_name": "Jean",
            "last_name": "Dupont",
            "birth_date": "1980-05-17",
            "login": "jdupont",
            "password": PASSWORD,
            "contact_channel": "none",
        },
        headers=JSON,
        timeout=60,
    )
    assert answer.status_code == 401, (answer.status_code, answer.text[:300])
    assert can_log_in(functional_portal, "jdupont", PASSWORD)
