"""The indicators keep history (issue 20 item 7, decision 0044).

A year of activity through the product's own paths (openings, consents, logins,
papers, mandates, resets, closures, papers deleted, the clock deleting closed
vaults), the clock moved month by month (the ``frozen`` fixture); then the clock
deletes the closed vaults and every monthly and cumulative figure of the year is
read back unchanged.  The counters resolve concurrent increments (two ZEO clients).
"""

from ccas.vault import roles
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.indicators import compute
from ccas.vault.indicators import store
from ccas.vault.security import as_system
from datetime import datetime
from datetime import timedelta
from plone import api
from Products.PlonePAS.events import UserLoggedInEvent
from vaults import acting_as
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import open_vault_as
from vaults import PASSWORD
from zope.event import notify
import pytest


YEAR = [f"2026-{month:02d}" for month in range(1, 13)]
TYPES = ("attestation-caf", "rib", "cni", "justificatif-domicile")


def at(month, day=10):
    return datetime(2026, month, day, 10, 0)


def agent(login, group):
    ensure_group(group, group, [roles.VAULT_AGENT])
    ensure_account(login, PASSWORD, login.title(), groups=[group])


def person_logs_in(vault):
    notify(UserLoggedInEvent(api.portal.get().acl_users.getUser(vault.owner_login)))


def mandate_now(vault, scopes, month):
    """A mandate signed by the person and the agent, in force from ``month``."""
    from ccas.vault.api import mandates

    with acting_as(vault.owner_login):
        mandate = mandates.create_mandate(
            vault,
            agents=("travailleur",),
            scopes=scopes,
            start=at(month).date(),
            until_revoked=True,
        )
        mandates.submit(mandate)
        mandates.sign_as_person(mandate)
    with acting_as("travailleur"):
        mandates.sign_as_agent(mandate)
    return mandate


def snapshot(first="2026-01", last="2026-12"):
    result = compute.compute(first, last)
    return {
        (indicator, month, organisation): result.value(indicator, month, organisation)
        for indicator in result.indicator_ids
        for month in result.months
        for organisation in ("", "ccas", "caf")
    }


def a_year(frozen):
    """Build the year; return the vaults asked to close (deleted by the clock later)."""
    from ccas.vault.account import recovery
    from ccas.vault.api import closing
    from ccas.vault.api import mandates

    agent("accueil", "ccas-agents")
    agent("travailleur", "ccas-agents")
    agent("caf1", "caf-agents")
    vaults, closing_later = [], []
    for number, month in enumerate(range(1, 13), start=1):
        frozen(at(month))
        opener = "caf1" if month % 2 == 0 else "accueil"
        vault = open_vault_as(opener, f"p{number:02d}", first=f"P{number}", last="Essai")
        if month % 4 != 3:  # one vault in four waits for its consent
            consent_as_owner(vault)
            person_logs_in(vault)
        vaults.append(vault)
        for index, other in enumerate(vaults):
            if api.content.get_state(other) != "open":
                continue
            if (month + index) % 3 == 0:
                person_logs_in(other)
                deposit_as(other.owner_login, other["prive"], TYPES[(month + index) % 4])
            if (month + index) % 5 == 0:
                deposit_as(other.owner_login, other["prive"], "rib")
        if month == 3:
            mandate = mandate_now(vaults[0], ("consult", "account"), month)
        if month == 4:
            with acting_as("travailleur"):
                recovery.start_assisted_reset(vaults[0], delivery="print")
        if month == 5:
            papers = vaults[0]["prive"].objectValues()
            if papers:
                with acting_as(vaults[0].owner_login):
                    api.content.delete(obj=papers[0], check_linkintegrity=False)
        if month == 6:
            with acting_as(vaults[0].owner_login):
                mandates.revoke(mandate)
            mandate_now(vaults[1], ("consult",), month)
        if month == 7:  # closed and deleted within the year
            with acting_as(vaults[1].owner_login):
                closing.request_closure(vaults[1])
        if month == 9:
            vaults[1].deletion_due = at(9) - timedelta(days=1)
            with as_system():
                deleted = closing.close_due_vaults(now=at(9))
            assert len(deleted) == 1
        if month in (10, 12):  # asked to close, deleted next year
            target = vaults[4] if month == 10 else vaults[5]
            with acting_as(target.owner_login):
                closing.request_closure(target)
            closing_later.append(target)
    return closing_later


def test_a_year_of_figures_survives_the_clock_deleting_closed_vaults(portal, frozen):
    from ccas.vault.api import closing

    later = a_year(frozen)
    frozen(at(12, 20))
    before = snapshot()
    # The figures the report uses, checked against the year as built.
    assert [before[("vaults_proposed", m, "")] for m in YEAR] == [None, None] + [1] * 10  # < 3
    assert compute.compute("2026-01", "2026-02").values[("vaults_proposed", "2026-01", "")] == 1
    assert before[("vaults_proposed_cumulative", "2026-12", "")] == 12
    assert before[("vaults_proposed_cumulative", "2026-12", "ccas")] == 6
    assert before[("vaults_opened_cumulative", "2026-12", "")] == 9  # months 3, 7, 11 wait
    assert before[("conversion_opened", "2026-12", "")] == 75.0
    assert before[("vaults_closed", "2026-09", "")] == 1
    assert before[("vaults_held", "2026-08", "")] == 6
    # September: one vault opened, the deleted one left the stock
    assert before[("vaults_held", "2026-09", "")] == 6
    assert before[("vaults_opened", "2026-09", "")] == 1
    assert before[("closures_requested", "2026-07", "caf")] == 1  # its organisation keeps it
    assert before[("password_resets_code_print", "2026-04", "")] == 1
    assert before[("documents_deleted", "2026-05", "")] == 1
    assert before[("mandates_signed", "2026-03", "")] == 1
    assert before[("mandates_revoked", "2026-06", "")] == 1
    assert before[("mandates_active", "2026-05", "")] == 1
    logins = before[("logins_cumulative", "2026-12", "")]
    opened = before[("vaults_opened_cumulative", "2026-12", "")]
    assert before[("logins_per_vault_cumulative", "2026-12", "")] == round(logins / opened, 1)
    assert logins > opened > 0

    # The clock deletes the two vaults asked to close, in January 2027.
    moment = datetime(2027, 1, 5, 10, 0)
    frozen(moment)
    for vault in later:
        vault.deletion_due = moment - timedelta(days=1)
    with as_system():
        assert len(closing.close_due_vaults(now=moment)) == 2
    after = snapshot()
    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    assert changed == {}
    # January 2027: the stocks lose them, the figures since the start keep them.
    january = compute.compute("2027-01", "2027-01")
    assert january.value("vaults_closed", "2027-01") == 2
    assert january.value("vaults_held", "2027-01") == before[("vaults_held", "2026-12", "")] - 2
    assert january.value("vaults_opened_cumulative", "2027-01") == opened
    assert january.value("logins_cumulative", "2027-01") == logins


def test_a_vault_removed_another_way_leaves_the_stocks_once(portal, frozen):
    """Not through the clock (a manager's removal): counted once, in the clock's month."""
    agent("accueil", "ccas-agents")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["prive"], "rib")
    month = "2026-11"  # the frozen clock's
    assert compute.compute(month, month).values[("vaults_held", month, "")] == 1
    with as_system():
        api.content.delete(obj=vault, check_linkintegrity=False)
    values = compute.compute(month, month).values
    assert values[("vaults_held", month, "")] == 0
    assert values[("vaults_closed", month, "")] == 1
    assert values[("documents_per_vault_mean", month, "")] == 0
    assert values[("documents_deposited", month, "")] == 1
    assert values[("vaults_opened_cumulative", month, "")] == 1


def test_the_counters_hold_no_personal_data(portal, frozen):
    a_year(frozen)
    tree = store.store()
    words = {f"p{number:02d}" for number in range(1, 13)} | {"Essai", "accueil", "caf1"}
    for measure, month, organisation in tree:
        assert month[:4] == "2026"
        assert organisation in ("", "ccas", "caf")
        assert not any(word in measure for word in words)


def test_the_upgrade_counts_again_what_the_histories_hold(portal):
    """The 1007 back-fill: the counters rebuilt from the histories equal the live ones."""
    from ccas.vault.upgrades import v1007

    agent("accueil", "ccas-agents")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    person_logs_in(vault)
    deposit_as("jdupont", vault["prive"], "rib")
    live = store.read()
    store.store().clear()
    assert store.read() == {}
    v1007.upgrade(None)
    assert store.read() == live
    v1007.upgrade(None)  # idempotent
    assert store.read() == live


# --- concurrency: two ZEO clients add to the same counters -------------------------------


def test_two_zeo_clients_add_to_one_counter_without_conflict(tmp_path):
    from BTrees.OOBTree import OOBTree
    from ZODB.POSException import ConflictError
    import persistent
    import transaction
    import ZEO

    address, stop = ZEO.server(path=str(tmp_path / "Data.fs"))
    try:
        first = ZEO.DB(address)
        with first.transaction() as connection:
            connection.root.counters = OOBTree()
            store.Counter(connection.root.counters)("logins", "2026-11", "ccas")  # month started
            connection.root.plain = persistent.mapping.PersistentMapping(n=0)
        second = ZEO.DB(address)  # the other client, started once the counters exist
        managers = [transaction.TransactionManager() for _ in range(2)]
        connections = [db.open(managers[i]) for i, db in enumerate((first, second))]
        for manager in managers:
            manager.begin()
        # Both transactions add to the same counter, and each creates a counter of its own.
        for index, connection in enumerate(connections):
            add = store.Counter(connection.root.counters)
            add("logins", "2026-11", "ccas")
            add(f"documents_type.t{index}", "2026-11", "ccas")
        for connection in connections:
            add = store.Counter(connection.root.counters)
            add("logins", "2026-11", "ccas", 2)
        managers[0].commit()
        managers[1].commit()  # resolved: no ConflictError
        reader = ZEO.DB(address)  # a third client reads what the server holds
        with reader.transaction() as connection:
            values = store.read(connection.root.counters)
        reader.close()
        assert values[("logins", "2026-11", "ccas")] == 7
        assert values[("logins", "2026-11", "")] == 7
        assert values[("documents_type.t0", "2026-11", "ccas")] == 1
        assert values[("documents_type.t1", "2026-11", "ccas")] == 1
        # A plain number written by both conflicts: what the Length counters avoid.
        for connection in connections:
            connection.sync()
            connection.root.plain["n"] += 1
        managers[0].commit()
        with pytest.raises(ConflictError):
            managers[1].commit()
        managers[1].abort()
        for connection in connections:
            connection.close()
        first.close()
        second.close()
    finally:
        stop()


# --- the REST service --------------------------------------------------------------------


@pytest.fixture
def rest_site(functional_portal):
    import transaction

    agent("accueil", "ccas-agents")
    for login, last in (("jdupont", "Dupont"), ("mmartin", "Martin"), ("lbernard", "Bernard")):
        vault = consent_as_owner(open_vault_as("accueil", login, last=last))
        person_logs_in(vault)
    from vaults import make_user

    make_user("archiviste", global_roles=[roles.RECORDS_MANAGER])
    transaction.commit()
    return functional_portal


def test_the_rest_service_gives_the_figures_and_the_csv_file(rest_site, request_factory):
    from ccas.vault.indicators.compute import default_range

    first, last = default_range()
    url = f"{rest_site.absolute_url()}/@ccas-indicators"
    client = request_factory(basic_auth=("archiviste", PASSWORD))
    answer = client.get(url, params={"from": first, "to": last})
    assert answer.status_code == 200
    data = answer.json()
    assert data["months"][-1] == last
    items = {item["id"]: item for item in data["items"]}
    assert items["vaults_opened_cumulative"]["values"]["toutes"][last] == 3
    assert items["vaults_opened_cumulative"]["values"]["ccas"][last] == 3
    assert items["conversion_activated"]["values"]["toutes"][last] == 100.0
    assert "ccas" not in items["vaults_closed"]["values"]  # counted in the total only
    for word in ("jdupont", "mmartin", "Dupont", "Bernard"):
        assert word not in answer.text
    page = request_factory(basic_auth=("archiviste", PASSWORD), api=False)
    csv_file = client.get(url, params={"from": first, "to": last, "format": "csv"})
    assert csv_file.headers["Content-Type"].startswith("text/csv")
    view = page.get(
        f"{rest_site.absolute_url()}/@@ccas-indicateurs.csv", params={"from": first, "to": last}
    )
    assert csv_file.content == view.content
    wrong = client.get(url, params={"from": "2026-13", "to": last})
    assert wrong.status_code == 400
    error = wrong.json()["error"]
    assert error["type"] == "invalid_filter"
    assert error["message_fr"].startswith("Indiquez les mois")


def test_the_rest_service_refuses_others(rest_site, request_factory):
    url = f"{rest_site.absolute_url()}/@ccas-indicators"
    assert request_factory().get(url).status_code == 401
    agent_answer = request_factory(basic_auth=("accueil", PASSWORD)).get(url)
    assert agent_answer.status_code == 403
    assert "items" not in agent_answer.json()
