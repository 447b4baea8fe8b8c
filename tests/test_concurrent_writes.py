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
from ccas.vault.account.sessions import open_session
from ccas.vault.history import api as history
from concurrently import at_once
from concurrently import described
from plone import api
from plone.keyring.interfaces import IKeyManager
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from zope.component import getUtility
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
