"""The ``ccas.vault:demo`` profile: the accounts of the CCAS de Démoville."""

from ccas.vault import roles
from ccas.vault.setuphandlers import demo
from ccas.vault.setuphandlers import demo_people
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


# --- the people of Démoville (setuphandlers/demo_people.py) ---------------------------


def appointments_of(vault):
    """The person's appointments, as the person sees them."""
    from ccas.vault.api.appointments import list_appointments

    with api.env.adopt_user(username=vault.owner_login):
        return list_appointments(vault)


def parked_references():
    """The GED references of the parked letters, as an agent sees them."""
    from ccas.vault.letters.parking import list_parked

    with api.env.adopt_user(username="accueil"):
        return [letter["ged_reference"] for letter in list_parked()]


def snapshot(portal):
    """Everything the demo builds, counted."""
    from ccas.vault.account.recovery import indicators
    from ccas.vault.history.storage import get_history
    from ccas.vault.indicators.compute import documents_in
    from ccas.vault.letters import receipts
    from ccas.vault.security import as_system
    from ccas.vault.setuphandlers.install import VAULT_DIRECTORY_ID
    from ccas.vault.tombstones import list_tombstones

    directory = portal[VAULT_DIRECTORY_ID]
    with as_system():
        vaults = directory.objectValues()
        return {
            "vaults": sorted(vault.owner_login for vault in vaults),
            "papers": sum(len(list(documents_in(vault))) for vault in vaults),
            "objects": sum(len(vault.objectIds()) for vault in vaults),
            "history": sum(len(get_history(vault)) for vault in vaults),
            "appointments": sum(len(appointments_of(vault)) for vault in vaults),
            "tombstones": len(list_tombstones(directory)),
            "parked": parked_references(),
            "receipts": len(list(receipts.all_receipts())),
            "resets": indicators(),
            "users": sorted(user.getId() for user in api.user.get_users()),
        }


def test_every_person_has_a_vault_but_the_one_who_closed_it(demo_portal):
    from ccas.vault.api.vaults import vault_of

    for person in demo_people.PEOPLE:
        vault = vault_of(person.login)
        if person.closed:
            assert vault is None
            assert api.user.get(username=person.login) is None  # the account went too
        else:
            assert vault is not None, person.login
            assert (vault.first_name, vault.last_name) == (person.first, person.last)
    assert snapshot(demo_portal)["tombstones"] == 1


def test_alice_and_bruno_have_papers_and_log_in(demo_portal):
    from ccas.vault.api.vaults import vault_of
    from ccas.vault.indicators.compute import documents_in
    from ccas.vault.security import as_system

    for login in ("alice.martin", "bruno.diallo"):
        vault = vault_of(login)
        with as_system():
            papers = list(documents_in(vault))
            assert len(papers) >= 4
            assert {paper.origin for paper in papers} >= {"upload", "ged"}
            assert api.content.get_state(vault) == "open"
        assert authenticates(demo_portal, login, "demo")


def test_the_papers_are_real_files(demo_portal):
    from ccas.vault.api.vaults import vault_of
    from ccas.vault.indicators.compute import documents_in
    from ccas.vault.security import as_system
    from io import BytesIO
    from PIL import Image
    from pypdf import PdfReader

    with as_system():
        (cni, *_rest) = [
            p for p in documents_in(vault_of("alice.martin")) if p.document_type == "cni"
        ]
        assert "Carte nationale" in PdfReader(BytesIO(cni.file.data)).pages[0].extract_text()
        (photo,) = documents_in(vault_of("hsimon"))
        assert Image.open(BytesIO(photo.file.data)).format == "PNG"


def test_the_demo_is_spread_over_six_months_and_its_histories_verify(demo_portal):
    from ccas.vault.api.vaults import vault_of
    from ccas.vault.history.api import entries
    from ccas.vault.history.api import verify
    from datetime import datetime
    from datetime import UTC

    vault = vault_of("alice.martin")
    assert verify(vault) is None
    history = entries(vault)
    opened = datetime.fromisoformat(history[0].when)
    assert 120 < (datetime.now(UTC) - opened).days < 190
    whens = [entry.when for entry in history]
    assert whens == sorted(whens)
    assert vault.created().asdatetime() == opened
    for person in demo_people.PEOPLE:
        if not person.closed:
            assert verify(vault_of(person.login)) is None


def test_shares_mandates_letters_and_appointments_exist(demo_portal):
    from ccas.vault.api.mandates import mandates_of
    from ccas.vault.api.vaults import vault_of
    from ccas.vault.security import as_system
    from ccas.vault.sharing.links import links_of

    with as_system():
        alice, bruno = vault_of("alice.martin"), vault_of("bruno.diallo")
        assert len(links_of(alice)) == 1
        assert [api.content.get_state(m) for m in mandates_of(alice)] == ["active"]
        assert [api.content.get_state(m) for m in mandates_of(vault_of("ngarcia"))] == ["revoked"]
        assert len(appointments_of(alice)) == 1 and len(appointments_of(bruno)) == 1
        assert api.content.get_state(vault_of("lfontaine")) == "closing"
        assert api.content.get_state(vault_of("pnguyen")) == "awaiting_consent"
    assert parked_references() == [demo_people.PARKED_REFERENCE]


def test_running_the_profile_again_builds_no_person_twice(demo_portal):
    before = snapshot(demo_portal)
    assert len(before["vaults"]) == 12
    applyProfile(demo_portal, "ccas.vault:demo")
    assert snapshot(demo_portal) == before


def test_the_demo_profile_is_fast_enough(portal):
    import time

    started = time.monotonic()
    applyProfile(portal, "ccas.vault:demo")
    assert time.monotonic() - started < 20
