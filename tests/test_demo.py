"""The ``ccas.vault:demo`` profile: the accounts of the CCAS de Démoville."""

from ccas.vault import roles
from ccas.vault.setuphandlers import demo
from plone import api
from plone.app.testing import applyProfile
import pytest


EXPECTED_ROLES = {
    "accueil": roles.VAULT_AGENT,
    "travailleur": roles.VAULT_AGENT,
    "partenaire-caf": roles.VAULT_AGENT,
    "archiviste": roles.RECORDS_MANAGER,
    "ged": roles.GED_CONNECTOR,
    "alice.martin": roles.BENEFICIARY,
    "bruno.diallo": roles.BENEFICIARY,
}


def authenticates(portal, login, password):
    return portal.acl_users.authenticate(login, password, portal.REQUEST) is not None


@pytest.fixture
def demo_portal(portal):
    applyProfile(portal, "ccas.vault:demo")
    return portal


def test_every_account_the_issue_names_exists():
    assert set(demo.ACCOUNTS) == set(EXPECTED_ROLES)


@pytest.mark.parametrize(("login", "role"), sorted(EXPECTED_ROLES.items()))
def test_account_has_its_role_through_its_group(demo_portal, login, role):
    user = api.user.get(username=login)
    assert user is not None
    assert role in api.user.get_roles(user=user)
    other_global_roles = set(roles.GLOBAL_ROLES) - {role}
    assert not other_global_roles & set(api.user.get_roles(user=user))


@pytest.mark.parametrize("login", sorted(EXPECTED_ROLES))
def test_account_logs_in_with_the_demo_password(demo_portal, login):
    assert authenticates(demo_portal, login, "demo")
    assert not authenticates(demo_portal, login, "wrong")


def test_no_account_is_a_manager(demo_portal):
    for login in EXPECTED_ROLES:
        user_roles = api.user.get_roles(username=login)
        assert "Manager" not in user_roles
        assert "Site Administrator" not in user_roles


def test_beneficiary_without_email_has_none(demo_portal):
    assert not api.user.get(username="bruno.diallo").getProperty("email")
    assert api.user.get(username="alice.martin").getProperty("email") == "alice.martin@example.org"


def test_full_names_are_set(demo_portal):
    assert api.user.get(username="bruno.diallo").getProperty("fullname") == "Bruno Diallo"


def test_groups_carry_their_titles(demo_portal):
    group = api.group.get(groupname="beneficiaires")
    assert group.getProperty("title") == "Bénéficiaires du coffre-fort"


def test_demo_password_comes_from_the_environment(portal, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "autre-secret")
    applyProfile(portal, "ccas.vault:demo")
    assert authenticates(portal, "alice.martin", "autre-secret")
    assert not authenticates(portal, "alice.martin", "demo")


def test_running_the_profile_again_duplicates_nothing(demo_portal, monkeypatch):
    users_before = sorted(user.getId() for user in api.user.get_users())
    groups_before = sorted(group.getId() for group in api.group.get_groups())
    members_before = {
        group_id: sorted(api.group.get(groupname=group_id).getGroupMemberIds())
        for group_id in demo.GROUPS
    }
    monkeypatch.setenv("DEMO_PASSWORD", "changed")
    applyProfile(demo_portal, "ccas.vault:demo")
    assert sorted(user.getId() for user in api.user.get_users()) == users_before
    assert sorted(group.getId() for group in api.group.get_groups()) == groups_before
    for group_id, members in members_before.items():
        assert sorted(api.group.get(groupname=group_id).getGroupMemberIds()) == members
    # an existing account keeps its password
    assert authenticates(demo_portal, "accueil", "demo")
