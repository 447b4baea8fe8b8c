"""Accounts of beneficiaries, who often have no e-mail address."""

from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from plone import api
import pytest


GOOD_PASSWORD = "Un-mot-de-passe-long"


@pytest.fixture
def group(portal):
    return ensure_group("beneficiaires", "Bénéficiaires", ["Beneficiary"])


def test_account_without_email(portal, group):
    member, created = ensure_account(
        "jdupont", GOOD_PASSWORD, "Jean Dupont", groups=[group.getId()]
    )
    assert created
    assert member.getProperty("email") == ""
    assert "Beneficiary" in api.user.get_roles(user=member)
    assert portal.acl_users.authenticate("jdupont", GOOD_PASSWORD, portal.REQUEST)


def test_account_with_email(portal):
    member, _ = ensure_account("amartin", GOOD_PASSWORD, "Alice Martin", "alice@example.org")
    assert member.getProperty("email") == "alice@example.org"


def test_existing_account_is_left_as_it_is(portal):
    ensure_account("jdupont", GOOD_PASSWORD, "Jean Dupont")
    member, created = ensure_account("jdupont", "Autre-mot-de-passe", "Autre nom")
    assert not created
    assert member.getProperty("fullname") == "Jean Dupont"
    assert portal.acl_users.authenticate("jdupont", GOOD_PASSWORD, portal.REQUEST)


def test_password_policy_applies(portal):
    with pytest.raises(ValueError, match="8"):
        ensure_account("jdupont", "court", "Jean Dupont")
    assert api.user.get(username="jdupont") is None


def test_invalid_email_is_refused_and_nothing_is_created(portal):
    with pytest.raises(ValueError):
        ensure_account("jdupont", GOOD_PASSWORD, "Jean Dupont", "pas-une-adresse")
    assert api.user.get(username="jdupont") is None


@pytest.mark.parametrize("login", ["", "Anonymous User", "avec espace"])
def test_invalid_login_is_refused(portal, login):
    with pytest.raises(ValueError):
        ensure_account(login, GOOD_PASSWORD, "Jean Dupont")


def test_group_roles_are_completed_not_duplicated(portal):
    ensure_group("agents", "Agents", ["VaultAgent"])
    group = ensure_group("agents", "Agents", ["VaultAgent", "RecordsManager"])
    assert {"VaultAgent", "RecordsManager"} <= set(group.getRoles())
    assert {"VaultAgent", "RecordsManager"} <= set(api.group.get_roles(groupname="agents"))
    assert [g.getId() for g in api.group.get_groups()].count("agents") == 1
