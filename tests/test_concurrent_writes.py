"""People acting at the same moment on their own vaults do not conflict (decision 0053).

Each scenario runs its steps at once on one database (``concurrently.at_once``: a
thread and a ZODB connection each, the same snapshot, commits one after the other)
and asks that no commit raise ``ConflictError``: on a real instance the publisher
would have replayed the request whole (issue 22 measured 183 such replays in 90 s
of the load test, most of them on the catalog's title index).
"""

from AccessControl.SecurityManagement import getSecurityManager
from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import setSecurityManager
from BTrees.OOBTree import OOBTree
from ccas.vault import roles
from ccas.vault.account.sessions import open_session
from ccas.vault.certification import registry
from ccas.vault.history import api as history
from ccas.vault.services.ged_letters.ged_letters import GEDLettersPost
from ccas.vault.upgrades import v1009
from ccas.vault.upgrades.v1009_counter_morning import keyrings_for_accounts
from ccas.vault.upgrades.v1009_counter_morning import portlet_settings
from ccas.vault.upgrades.v1009_counter_morning import vault_texts_out_of_the_catalog
from concurrently import at_once
from concurrently import described
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from plone import api
from plone.keyring.interfaces import IKeyManager
from plone.portlets.interfaces import IPortletAssignmentMapping
from plone.portlets.interfaces import IPortletManager
from plone.portlets.settings import ASSIGNMENT_SETTINGS_KEY
from test_ged_letters import letter
from test_ged_letters import letters_of
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
from zope.annotation.interfaces import IAnnotations
from zope.component import getUtilitiesFor
from zope.component import getUtility
from zope.component import queryMultiAdapter
import json
import pytest
import transaction


PEOPLE = ("adupont", "bmartin", "cleroy", "dpetit")


@pytest.fixture
def vaults(functional_portal):
    make_agent("accueil")
    found = {}
    for number, login in enumerate(PEOPLE):
        vault = consent_as_owner(open_vault_as("accueil", login, last=f"Nom{number}"))
        found[login] = "/".join(vault.getPhysicalPath()[len(functional_portal.getPhysicalPath()) :])
    # A paper in each vault first, and three in another one: the catalog's entries of
    # this minute and the month's counters exist before the papers added at once, as on
    # a site in use.  (The first event of a month that creates a counter, e.g. the first
    # vault reaching k papers, still conflicts with another one creating it at once:
    # decision 0044, once per counter and month.)
    for login, path in found.items():
        deposit_as(login, functional_portal.unrestrictedTraverse(path)["partage"])
    other = consent_as_owner(open_vault_as("accueil", "zautre", last="Autre"))
    for _number in range(3):
        deposit_as("zautre", other["partage"])
    previous = getSecurityManager()
    log_in("zautre")(functional_portal)  # this month's login counters
    setSecurityManager(previous)
    transaction.commit()
    return found


def deposit_in(path, login):
    def step(site):
        deposit_as(login, site.unrestrictedTraverse(path)["partage"], title="Bulletin de salaire")

    return step


def test_papers_added_at_once_in_different_vaults_do_not_conflict(functional_portal, vaults):
    outcomes = at_once(
        functional_portal, *(deposit_in(path, login) for login, path in vaults.items())
    )
    assert outcomes == [None] * len(vaults), [described(outcome) for outcome in outcomes]
    for path in vaults.values():  # all of them stored
        assert len(functional_portal.unrestrictedTraverse(path)["partage"].objectIds()) >= 2


def test_papers_reach_no_text_index(functional_portal, vaults):
    catalog = api.portal.get_tool("portal_catalog")
    papers = catalog.unrestrictedSearchResults(portal_type="VaultDocument")
    assert len(papers) == len(vaults) + 3
    for name in ("Title", "SearchableText", "Description"):
        index = catalog._catalog.getIndex(name)
        for brain in papers:
            assert index.getEntryForObject(brain.getRID()) is None, name
    # nor the vaults, their spaces, mandates or share links: only the directory
    rids = {brain.getRID() for brain in catalog.unrestrictedSearchResults(path="/plone/coffres")}
    directory = catalog.unrestrictedSearchResults(portal_type="VaultDirectory")[0].getRID()
    for rid in rids - {directory}:
        assert catalog._catalog.getIndex("Title").getEntryForObject(rid) is None


def log_in(login):
    def step(site):
        user = site.acl_users.getUser(login)
        newSecurityManager(site.REQUEST, user.__of__(site.acl_users))
        site.REQUEST.form.update({"__ac_name": login, "__ac_password": PASSWORD})
        site.REQUEST["__ac_password"] = PASSWORD
        open_session(site.REQUEST)

    return step


def test_people_logging_in_at_once_do_not_conflict(functional_portal, vaults):
    outcomes = at_once(functional_portal, *(log_in(login) for login in PEOPLE))
    assert outcomes == [None] * len(PEOPLE), [described(outcome) for outcome in outcomes]
    for path in vaults.values():  # each login traced in the person's vault
        vault = functional_portal.unrestrictedTraverse(path)
        assert "login" in [entry.action for entry in history.entries(vault)]


def test_logging_in_writes_no_object_other_people_write(functional_portal, vaults):
    """Only the person's own objects and counters that merge (``Length``) are written:
    neither Plone's member properties (one tree of plain dicts for every account) nor
    the key manager's mapping of keyrings (made with the account, not at its first login)."""
    login = PEOPLE[0]
    manager = getUtility(IKeyManager)
    assert any(login in name for name in manager)  # made with the account
    transaction.commit()
    connection = functional_portal._p_jar
    log_in(login)(functional_portal)
    written = list(connection._registered_objects)
    properties = functional_portal.acl_users.mutable_properties._storage
    shared = {id(properties), id(manager), id(manager._SampleContainer__data)}
    kinds = {type(obj).__name__ for obj in written}
    assert not [obj for obj in written if id(obj) in shared], kinds
    assert not [name for name in kinds if "OOBucket" in name or name == "PersistentMapping"], kinds
    transaction.abort()
    # the session ticket was issued all the same
    assert "__ac" in functional_portal.REQUEST.response.cookies


@pytest.fixture
def ged_vaults(functional_portal, vaults):
    """Three more vaults taking the CCAS's letters (GED persons GED-1..3), each with a
    letter already, and the GED's account; committed."""
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    found = []
    for number in range(1, 4):
        vault = consent_as_owner(
            open_vault_as(
                "accueil",
                f"courrier{number}",
                last=f"Courrier{number}",
                ged_person_ids=[f"GED-{number}"],
                receive_ccas_letters=True,
            )
        )
        found.append(vault)
    with api.env.adopt_user(username="ged"):
        GEDLettersPost.receive_batch(
            [
                letter(f"FIRST-{number}", person={"ged_person_id": f"GED-{number}"})
                for number in (1, 2, 3)
            ],
            "ged",
        )
    transaction.commit()
    return found


def ged_batch(*numbers):
    def step(site):
        batch = [
            letter(
                f"LOT-{number}",
                person={"ged_person_id": f"GED-{1 + number % 3}"},
                data=pdf_bytes(f"Courrier {number}"),
            )
            for number in numbers
        ]
        with api.env.adopt_user(username="ged"):
            results = GEDLettersPost.receive_batch(batch, "ged")
        assert {result.status_code for result in results} <= {200, 201}

    return step


def test_a_ged_batch_and_uploads_in_other_vaults_at_once_do_not_conflict(
    functional_portal, vaults, ged_vaults
):
    """Decision 0053 (item 2 of issue 22): the GED's deliveries and people's papers share
    no object that cannot merge, whichever commits first; a batch sent again while
    people upload delivers nothing twice.  (The catalog's trees still split now and
    then: a split conflicts with an insert into the same bucket, rare on a site of
    real size, one bucket among many, and replayed by the publisher; the sizes here
    keep every tree away from a split, so that the test says the same every time.)"""
    people = [deposit_in(path, login) for login, path in vaults.items()]
    for steps in ((ged_batch(0, 1, 2), *people[:2]), (*people[2:], ged_batch(0, 1, 2))):
        outcomes = at_once(functional_portal, *steps)
        assert outcomes == [None] * len(steps), [described(outcome) for outcome in outcomes]
    delivered = sum(len(letters_of(vault)) for vault in ged_vaults)
    assert delivered == 3 + 3  # the first letters, then the batch's, once


def test_the_upgrade_removes_old_text_entries_and_makes_missing_keyrings(functional_portal, vaults):
    catalog = api.portal.get_tool("portal_catalog")
    vault = functional_portal.unrestrictedTraverse(vaults["adupont"])
    rid = catalog.getrid("/".join(vault.getPhysicalPath()))
    title = catalog._catalog.getIndex("Title")
    assert title.getEntryForObject(rid) is None  # the indexer gives no text now
    title.index.index_doc(rid, vault.getId())  # an entry as made before 1009
    assert title.getEntryForObject(rid) is not None
    manager = getUtility(IKeyManager)
    ring = next(name for name in manager if name.endswith("adupont"))
    del manager[ring]  # an account made before 1009
    assert vault_texts_out_of_the_catalog() == 1
    assert title.getEntryForObject(rid) is None
    assert keyrings_for_accounts() >= 1 and ring in manager  # (and the layer's test user)
    assert (vault_texts_out_of_the_catalog(), keyrings_for_accounts()) == (0, 0)  # idempotent
    assert vault_texts_out_of_the_catalog in v1009.MIGRATIONS
    assert keyrings_for_accounts in v1009.MIGRATIONS


def seal_of(digest, when, signature):
    payload = {"sha256": digest, "certified_at": when}
    return {"payload": json.dumps(payload), "signature": signature, "key_id": "k1"}


def test_two_seals_of_the_same_bytes_at_once_do_not_conflict(functional_portal, vaults):
    digest = "a" * 64
    registry.register(seal_of(digest, "2026-12-07T08:00:00+00:00", "first"))  # exists already
    steps = [
        lambda site, number=number: registry.register(
            seal_of(digest, f"2026-12-07T09:00:0{number}+00:00", f"sig{number}")
        )
        for number in range(3)
    ]
    outcomes = at_once(functional_portal, *steps)
    assert outcomes == [None] * 3, [described(outcome) for outcome in outcomes]
    assert [entry["signature"] for entry in registry.lookup(digest)] == [
        "first",
        "sig0",
        "sig1",
        "sig2",
    ]


def test_seals_kept_in_a_list_before_are_read_and_kept(functional_portal):
    digest = "b" * 64
    old = PersistentList([PersistentMapping(**seal_of(digest, "2026-01-01T00:00:00+00:00", "old"))])
    IAnnotations(functional_portal).setdefault(registry.KEY, OOBTree())[digest] = old
    assert [entry["signature"] for entry in registry.lookup(digest)] == ["old"]
    registry.register(seal_of(digest, "2026-12-07T09:00:00+00:00", "new"))
    assert [entry["signature"] for entry in registry.lookup(digest)] == ["old", "new"]


def test_the_agents_page_writes_no_portlet_of_the_site(functional_portal, vaults):
    """plone.portlets made each portlet's settings at its first rendering: on a new site
    every agent's first page wrote the site's navigation portlet (made at install now)."""
    active_mandate(
        functional_portal.unrestrictedTraverse(vaults["adupont"]),
        agents=("accueil",),
        scopes=("consult",),
    )
    transaction.commit()
    with api.env.adopt_user(username="accueil"):
        assert "<html" in functional_portal.restrictedTraverse("@@mes-accompagnements")()
    written = {type(obj).__name__ for obj in functional_portal._p_jar._registered_objects}
    transaction.abort()
    assert not [name for name in written if name == "Assignment"], written


def test_the_upgrade_makes_the_settings_of_the_sites_portlets(functional_portal):
    mapping_settings = []
    for _name, manager in getUtilitiesFor(IPortletManager, context=functional_portal):
        mapping = queryMultiAdapter((functional_portal, manager), IPortletAssignmentMapping)
        for assignment in mapping.values() if mapping is not None else ():
            annotations = IAnnotations(assignment)
            assert ASSIGNMENT_SETTINGS_KEY in annotations  # made at install
            mapping_settings.append(annotations)
    assert mapping_settings  # the site has portlets (the navigation)
    del mapping_settings[0][ASSIGNMENT_SETTINGS_KEY]  # a site installed before 1009
    assert portlet_settings() == 1 and portlet_settings() == 0
    assert portlet_settings in v1009.MIGRATIONS
