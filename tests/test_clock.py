"""The clock: expirations by date, deletion of closed vaults, the console script."""

from AccessControl import Unauthorized
from ccas.vault import clock
from ccas.vault import tombstones
from ccas.vault.api import closing
from ccas.vault.api import documents
from ccas.vault.api.vaults import OWNER_INDEX
from ccas.vault.api.vaults import PERSON_INDEX
from ccas.vault.security import as_system
from contextlib import contextmanager
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from plone import api
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import pdf_bytes
from ZODB.POSException import ConflictError
from zoneinfo import ZoneInfo
import pytest
import transaction


PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=PARIS)
TODAY = NOW.date()
VAULT_TYPES = ["Vault", "PrivateSpace", "SharedSpace", "VaultDocument"]


def run(portal, now):
    with as_system():
        return clock.run_clock(portal, now)


def close_due(now):
    with as_system():
        return closing.close_due_vaults(now)


def state(obj):
    return api.content.get_state(obj)


def certify_as(login, document, vault):
    make_agent(login)
    with as_system():
        vault["partage"].manage_setLocalRoles(login, ["VaultCertifier"])
    with api.env.adopt_user(username=login):
        documents.certify(document)


def snapshot(portal):
    """Everything the clock may change, as plain values."""
    directory = portal["coffres"]
    brains = portal.portal_catalog.unrestrictedSearchResults(portal_type=VAULT_TYPES)
    return {
        "catalog": sorted((brain.getPath(), brain.review_state) for brain in brains),
        "vaults": sorted(directory.objectIds()),
        "owners": dict(getattr(directory, OWNER_INDEX, {}).items()),
        "persons": {
            key: sorted(ids.keys()) for key, ids in getattr(directory, PERSON_INDEX, {}).items()
        },
        "users": sorted(user.getId() for user in api.user.get_users()),
        "tombstones": tombstones.list_tombstones(),
    }


# -- expirations ---------------------------------------------------------------


@pytest.fixture
def vault(portal):
    make_agent("accueil")
    return consent_as_owner(open_vault_as("accueil", "jdupont"))


def paper(vault, space="prive", valid_until=None, **kw):
    return deposit_as("jdupont", vault[space], valid_until=valid_until, **kw)


def test_papers_expire_the_day_after_their_validity(vault, portal):
    yesterday = paper(vault, valid_until=TODAY - timedelta(days=1))
    today = paper(vault, valid_until=TODAY)
    forever = paper(vault)  # no issue date: no end of validity
    certified = paper(vault, "partage", valid_until=TODAY - timedelta(days=30))
    certify_as("assistante", certified, vault)
    assert state(certified) == "certified"

    assert run(portal, NOW) == {"expired": 2, "renewed": 0, "mandates_expired": 0, "closed": 0}
    assert state(yesterday) == "expired"
    assert state(certified) == "expired"
    assert state(today) == "deposited"
    assert state(forever) == "deposited"
    assert certified.certification  # the seal stays on the paper


def test_replaced_papers_are_never_touched(vault, portal):
    old = paper(vault, valid_until=TODAY - timedelta(days=10))
    with api.env.adopt_user(username="jdupont"):
        newer = documents.replace(
            old, data=pdf_bytes("2026"), filename="a.pdf", valid_until=TODAY + timedelta(days=90)
        )
    assert run(portal, NOW) == {"expired": 0, "renewed": 0, "mandates_expired": 0, "closed": 0}
    assert state(old) == "superseded"
    assert state(newer) == "deposited"


def test_a_paper_whose_validity_is_extended_becomes_valid_again(vault, portal):
    document = paper(vault, valid_until=TODAY - timedelta(days=1))
    run(portal, NOW)
    assert state(document) == "expired"
    document.valid_until = TODAY + timedelta(days=365)
    assert run(portal, NOW) == {"expired": 0, "renewed": 1, "mandates_expired": 0, "closed": 0}
    assert state(document) == "deposited"
    document.valid_until = None  # no end of validity at all: valid too
    run(portal, NOW + timedelta(days=1000))
    assert state(document) == "deposited"


def test_a_certified_paper_valid_again_is_certified_again(vault, portal):
    document = paper(vault, "partage", valid_until=TODAY - timedelta(days=1))
    certify_as("assistante", document, vault)
    run(portal, NOW)
    assert state(document) == "expired"
    document.valid_until = TODAY + timedelta(days=365)
    assert run(portal, NOW)["renewed"] == 1
    assert state(document) == "certified"  # the seal did not expire with the paper


def test_today_is_the_paris_day(vault, portal):
    """23:30 UTC on 14 June is already 15 June in Paris: a paper valid until 14 June expires."""
    document = paper(vault, valid_until=date(2026, 6, 14))
    run(portal, datetime(2026, 6, 14, 21, 30, tzinfo=UTC))  # 23:30 in Paris
    assert state(document) == "deposited"
    run(portal, datetime(2026, 6, 14, 23, 30, tzinfo=UTC))  # 01:30 on the 15th in Paris
    assert state(document) == "expired"


# -- closures ------------------------------------------------------------------


@pytest.fixture
def closing_vault(vault):
    """A vault with three papers (one certified, one replaced), closure requested."""
    paper(vault, valid_until=TODAY + timedelta(days=400))
    shared = paper(vault, "partage", origin="camera")
    certify_as("assistante", shared, vault)
    old = paper(vault, "partage", valid_until=date(2020, 1, 1), title="Relevé Dupont")
    with api.env.adopt_user(username="jdupont"):
        documents.replace(old, data=pdf_bytes("v2"), filename="releve.pdf")
        closing.request_closure(vault)
    return vault


def test_nothing_is_deleted_before_the_due_date(closing_vault, portal):
    due = closing.deletion_due(closing_vault)
    before = snapshot(portal)
    assert close_due(due - timedelta(seconds=1)) == []
    assert snapshot(portal) == before
    assert state(closing_vault) == "closing"


def test_at_the_due_date_everything_goes_but_an_anonymous_tombstone(closing_vault, portal):
    vault_id = closing_vault.getId()
    vault_path = "/".join(closing_vault.getPhysicalPath())
    due = closing.deletion_due(closing_vault)
    other = open_vault_as("accueil", "amartin", first="Alice", last="Martin")

    closed = close_due(due)

    assert vault_id not in portal["coffres"]
    assert other.getId() in portal["coffres"]  # only due vaults go
    catalog = portal.portal_catalog.unrestrictedSearchResults(path=vault_path)
    assert list(catalog) == []
    assert api.user.get(username="jdupont") is None
    assert "jdupont" not in api.group.get(groupname="beneficiaires").getGroupMemberIds()
    directory = portal["coffres"]
    assert "jdupont" not in getattr(directory, OWNER_INDEX)
    assert all(vault_id not in ids for ids in getattr(directory, PERSON_INDEX).values())
    assert not any(key.startswith("dupont|") for key in getattr(directory, PERSON_INDEX))
    assert getattr(directory, OWNER_INDEX)["amartin"] == other.getId()

    today = datetime.now(PARIS).date()
    expected = {
        "opened": today,
        "consented": today,
        "closure_requested": today,
        "closed": due.date(),
        "documents": 4,  # every version
        "certified": 1,
        "deposits_by_origin": {"upload": 3, "camera": 1, "ged": 0, "partner": 0},
    }
    assert closed == [expected]
    assert tombstones.list_tombstones() == [expected]


def test_the_tombstone_holds_no_personal_data(closing_vault, portal):
    secrets = {
        "jdupont",
        "Jean",
        "Dupont",
        "1980",
        closing_vault.getId(),
        closing_vault.UID(),
        "attestation",
        "Relevé",
        *(doc_id for space in ("prive", "partage") for doc_id in closing_vault[space].objectIds()),
    }
    close_due(closing.deletion_due(closing_vault))
    (tombstone,) = tombstones.list_tombstones()
    assert set(tombstone) == set(tombstones.FIELDS)
    text = repr(tombstone).lower()
    assert not [secret for secret in secrets if secret.lower() in text]


def test_tombstones_refuse_anything_but_dates_and_counts(portal):
    good = {
        "opened": TODAY,
        "consented": None,
        "closure_requested": TODAY,
        "closed": TODAY,
        "documents": 0,
        "certified": 0,
        "deposits_by_origin": {},
    }
    with pytest.raises(TypeError):
        tombstones.add_tombstone(**{**good, "documents": "Jean Dupont"})
    with pytest.raises(ValueError):
        tombstones.add_tombstone(**{**good, "deposits_by_origin": {"jdupont": 1}})
    with pytest.raises(TypeError):
        tombstones.add_tombstone(**good, login="jdupont")
    assert tombstones.list_tombstones() == []


def test_the_account_leaves_no_trace_in_the_user_folder(closing_vault, portal):
    close_due(closing.deletion_due(closing_vault))
    acl = portal.acl_users
    assert "jdupont" not in acl.source_users.getUserIds()
    assert "jdupont" not in acl.source_groups._principal_groups
    assert "jdupont" not in acl.mutable_properties._storage
    assert "jdupont" not in acl.portal_role_manager._principal_roles


def test_a_cancelled_closure_is_never_executed(closing_vault, portal):
    due = closing.deletion_due(closing_vault)
    with api.env.adopt_user(username="jdupont"):
        closing.cancel_closure(closing_vault)
    assert close_due(due + timedelta(days=30)) == []
    assert state(closing_vault) == "open"


def test_a_vault_closed_before_consent_is_deleted_too(portal):
    make_agent("accueil")
    vault = open_vault_as("accueil", "jdupont")
    with api.env.adopt_user(username="jdupont"):
        due = closing.request_closure(vault)
    (tombstone,) = close_due(due)
    assert tombstone["consented"] is None
    assert tombstone["documents"] == 0
    assert api.user.get(username="jdupont") is None


def test_running_the_clock_twice_changes_nothing_the_second_time(closing_vault, portal):
    other = consent_as_owner(open_vault_as("accueil", "amartin", first="Alice", last="Martin"))
    expiring = deposit_as("amartin", other["prive"], valid_until=date(2026, 1, 1))
    now = closing.deletion_due(closing_vault) + timedelta(hours=1)
    assert run(portal, now) == {"expired": 1, "renewed": 0, "mandates_expired": 0, "closed": 1}
    assert state(expiring) == "expired"
    transaction.savepoint(optimistic=True)
    first = snapshot(portal)
    assert run(portal, now) == {"expired": 0, "renewed": 0, "mandates_expired": 0, "closed": 0}
    assert snapshot(portal) == first
    assert portal._p_jar._registered_objects == []  # nothing was even written


def test_only_the_system_runs_the_clock(closing_vault, portal):
    make_user("gestion", global_roles=["Manager"])
    for login in ("gestion", "jdupont", "accueil"):
        with api.env.adopt_user(username=login):
            with pytest.raises(Unauthorized):
                clock.run_clock(portal, NOW)
            with pytest.raises(Unauthorized):
                closing.close_due_vaults(closing.deletion_due(closing_vault))
    assert state(closing_vault) == "closing"


def test_the_summary_line():
    assert clock.summary({"expired": 3, "renewed": 0, "closed": 1}) == (
        "clock: 3 documents expired, 0 renewed, 0 mandates expired, 1 vault closed"
    )
    assert clock.summary({"expired": 1, "renewed": 2, "closed": 0}) == (
        "clock: 1 document expired, 2 renewed, 0 mandates expired, 0 vaults closed"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T03:00", datetime(2026, 12, 1, 3, 0, tzinfo=PARIS)),
        ("2026-12-01", datetime(2026, 12, 1, 0, 0, tzinfo=PARIS)),
        ("2026-07-01T01:00+00:00", datetime(2026, 7, 1, 3, 0, tzinfo=PARIS)),
        (None, None),
    ],
)
def test_now_option(text, expected):
    assert clock._parse_now(text) == expected


# -- the console script ----------------------------------------------------------


@pytest.fixture
def script_app(functional_app, monkeypatch):
    """``main`` opens the functional test app instead of a zope.conf."""
    opened = []

    @contextmanager
    def fake_opened_app(zope_conf):
        opened.append(zope_conf)
        yield functional_app

    monkeypatch.setattr(clock, "_opened_app", fake_opened_app)
    return opened


@pytest.fixture
def committed_vault(functional_portal):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["prive"], valid_until=date(2026, 1, 1))
    deposit_as("jdupont", vault["prive"], valid_until=date(2026, 1, 2))
    with api.env.adopt_user(username="jdupont"):
        closing.request_closure(vault)
    transaction.commit()
    return vault


def test_main_expires_closes_commits_and_is_idempotent(
    functional_portal, committed_vault, script_app, capsys
):
    due = closing.deletion_due(committed_vault)
    vault_id = committed_vault.getId()
    now = (due - timedelta(minutes=1)).isoformat()

    assert clock.main(["/srv/zope.conf", "--site", "plone", "--now", now]) == 0
    assert (
        capsys.readouterr().out
        == "clock: 2 documents expired, 0 renewed, 0 mandates expired, 0 vaults closed\n"
    )
    assert script_app == ["/srv/zope.conf"]

    now = due.isoformat()
    assert clock.main(["/srv/zope.conf", "--site", "plone", "--now", now]) == 0
    assert (
        capsys.readouterr().out
        == "clock: 0 documents expired, 0 renewed, 0 mandates expired, 1 vault closed\n"
    )
    transaction.begin()
    assert vault_id not in functional_portal["coffres"]
    assert len(tombstones.list_tombstones()) == 1

    assert clock.main(["/srv/zope.conf", "--site", "plone", "--now", now]) == 0
    assert (
        capsys.readouterr().out
        == "clock: 0 documents expired, 0 renewed, 0 mandates expired, 0 vaults closed\n"
    )
    transaction.begin()
    assert len(tombstones.list_tombstones()) == 1


def test_main_retries_on_conflicts(functional_portal, script_app, monkeypatch, capsys):
    calls = []

    def conflicting(portal, now):
        calls.append(now)
        if len(calls) < 3:
            raise ConflictError()
        return {"expired": 0, "renewed": 0, "mandates_expired": 0, "closed": 0}

    monkeypatch.setattr(clock, "run_clock", conflicting)
    assert clock.main(["zope.conf", "--site", "plone"]) == 0
    assert len(calls) == 3
    assert "0 vaults closed" in capsys.readouterr().out

    calls.clear()
    monkeypatch.setattr(clock, "RETRIES", 2)
    with pytest.raises(ConflictError):
        clock.main(["zope.conf", "--site", "plone"])
    assert len(calls) == 2


def test_main_refuses_a_bad_site_or_date(functional_portal, script_app):
    with pytest.raises(SystemExit) as exited:
        clock.main(["zope.conf", "--site", "nowhere"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        clock.main(["zope.conf", "--now", "demain"])
    assert exited.value.code == 2


def test_the_script_opens_the_zope_conf_and_closes_the_database(monkeypatch):
    from ccas.vault.scripts import instance

    events = []

    class Database:
        def close(self):
            events.append("closed")

    class App:
        class _p_jar:
            @staticmethod
            def db():
                return Database()

    monkeypatch.setattr(instance, "_open_app", lambda conf: events.append(conf) or App())
    with clock._opened_app("/srv/zope.conf") as app:
        assert isinstance(app, App)
    assert events == ["/srv/zope.conf", "closed"]


def test_the_script_runs_as_the_real_system_user():
    """Imported first (as the console script is), the clock still gets Zope's system user."""
    import subprocess
    import sys

    code = (
        "from ccas.vault import clock; from ccas.vault import security; "
        "assert security.system is not None, 'system user is None'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
