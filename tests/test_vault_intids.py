"""The vault's content gets no intid, and adding it writes nothing of the intid utility
(decision 0053, "IntIds"; ``ccas.vault.content.intids``).

``IntIds.ids`` orders every object of the site by oid: each new object lands in the
tree's last bucket, and two additions at once anywhere on the site conflicted when it
split.  Nothing needs a vault content's intid, so none is given.
"""

from ccas.vault.content import intids as vault_intids
from ccas.vault.upgrades.v1009_counter_morning import vault_content_out_of_the_intids
from concurrently import at_once
from concurrently import described
from five.intid.keyreference import KeyReferenceToPersistent
from plone import api
from test_concurrent_writes import deposit_in
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from ZODB.serialize import ObjectWriter
from zope.component import getUtility
from zope.intid.interfaces import IIntIds
import pytest
import transaction


def tree_oids(tree):
    """The oids of a BTree and of all its inner nodes and buckets."""
    found = {tree._p_oid}
    state = tree.__getstate__()
    if not state or len(state) < 2:  # empty, or a single bucket inline
        return found
    data = state[0]
    for child in data[::2]:
        found.add(child._p_oid)
        if type(child).__name__.endswith("BTree"):
            found |= tree_oids(child)
    return found


def intid_oids():
    utility = getUtility(IIntIds)
    return {utility._p_oid} | tree_oids(utility.ids) | tree_oids(utility.refs)


@pytest.fixture
def written(monkeypatch):
    """The oids of the records the next commits write."""
    oids = []
    serialize = ObjectWriter.serialize

    def counting(self, obj):
        oids.append(obj._p_oid)
        return serialize(self, obj)

    monkeypatch.setattr(ObjectWriter, "serialize", counting)
    return oids


@pytest.fixture
def two_vaults(functional_portal):
    """Two vaults with a paper each, and three papers in a third one; committed."""
    make_agent("accueil")
    found = {}
    for number, login in enumerate(("adupont", "bmartin", "zautre")):
        vault = consent_as_owner(open_vault_as("accueil", login, last=f"Nom{number}"))
        for _number in range(1 + 2 * (login == "zautre")):
            deposit_as(login, vault["partage"])
        found[login] = "/".join(vault.getPhysicalPath()[2:])
    del found["zautre"]
    transaction.commit()
    return found


def has_intid(obj):
    key = KeyReferenceToPersistent(obj)
    return any(key in utility.ids for utility in [getUtility(IIntIds)])


def test_vault_content_gets_no_intid(functional_portal):
    make_agent("accueil")
    make_agent("travailleur")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["partage"])
    mandate = active_mandate(vault)
    transaction.commit()
    utility = getUtility(IIntIds)
    for obj in (vault, vault["prive"], vault["partage"], paper, mandate):
        assert utility.queryId(obj) is None, obj
        assert not has_intid(obj), obj
    # the directory keeps its own: a page of the site may link to it
    assert utility.queryId(functional_portal["coffres"]) is not None


def test_adding_papers_in_two_vaults_writes_nothing_of_the_intids(
    functional_portal, two_vaults, written
):
    nodes = intid_oids()
    outcomes = at_once(
        functional_portal, *(deposit_in(path, login) for login, path in two_vaults.items())
    )
    assert outcomes == [None, None], [described(outcome) for outcome in outcomes]
    assert written  # the papers were stored
    assert not nodes & set(written)
    assert nodes == intid_oids()  # no bucket split either


def test_intids_given_before_are_removed_by_the_upgrade_and_on_deletion(
    functional_portal, two_vaults
):
    utility = getUtility(IIntIds)
    vault = functional_portal.unrestrictedTraverse(two_vaults["adupont"])
    papers = [deposit_as("adupont", vault["partage"]) for _ in range(2)]
    transaction.commit()
    for obj in (vault, *papers):  # as five.intid registered them before 1009
        utility.register(KeyReferenceToPersistent(obj))
    assert all(has_intid(obj) for obj in (vault, *papers))
    count = len(utility)
    # a paper deleted before the upgrade ran takes its intid with it
    with api.env.adopt_user(username="adupont"):
        api.content.delete(obj=papers[0], check_linkintegrity=False)
    assert len(utility) == count - 1
    assert vault_content_out_of_the_intids() == 2
    assert not has_intid(vault) and not has_intid(papers[1])
    assert vault_content_out_of_the_intids() == 0  # idempotent
    assert utility.queryId(functional_portal["coffres"]) is not None
    # deleting content without an intid still works
    with api.env.adopt_user(username="adupont"):
        api.content.delete(obj=papers[1], check_linkintegrity=False)
    transaction.commit()
    assert papers[1].getId() not in vault["partage"]
    assert vault_intids.forget(vault) == 0
