"""Adding a paper: what the paper gets, what its folder is spared (decision 0028).

The paper is created, workflowed, given a UID (no intid: decision 0053) and catalogued;
its folder (a fixed part of the vault) is neither modified nor reindexed.
The catalog answers "no value" at once for Plone's indexes that no vault
content carries, and the content classes answer private names without a
schema look-up, without changing any value a field has.
"""

from ccas.vault.content.adding import add_to_structure
from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.indexers import NOT_APPLICABLE
from datetime import date
from plone import api
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from zope.component import getUtility
from zope.intid.interfaces import IIntIds
from zope.lifecycleevent.interfaces import IObjectAddedEvent
from zope.lifecycleevent.interfaces import IObjectModifiedEvent
import Missing
import pytest
import zope.component


@pytest.fixture
def vault(portal):
    make_agent("accueil")
    return consent_as_owner(open_vault_as("accueil", "jdupont", receive_ccas_letters=True))


def catalog_record(obj):
    catalog = api.portal.get_tool("portal_catalog")
    (brain,) = catalog.unrestrictedSearchResults(UID=obj.UID())
    return brain


@pytest.fixture
def events():
    seen = []

    def record(obj, event):
        seen.append((obj, event))

    zope.component.provideHandler(record, (None, IObjectAddedEvent))
    zope.component.provideHandler(record, (None, IObjectModifiedEvent))
    yield seen
    zope.component.getGlobalSiteManager().unregisterHandler(record, (None, IObjectAddedEvent))
    zope.component.getGlobalSiteManager().unregisterHandler(record, (None, IObjectModifiedEvent))


def test_a_new_paper_is_added_workflowed_and_catalogued(vault, events):
    paper = deposit_as("jdupont", vault["prive"], issued=date(2026, 1, 31))
    added = [obj for obj, event in events if IObjectAddedEvent.providedBy(event)]
    assert [obj.getId() for obj in added] == [paper.getId()]
    assert api.content.get_state(paper) == "deposited"
    assert getUtility(IIntIds).queryId(paper) is None  # nothing needs it (decision 0053)
    brain = catalog_record(paper)
    assert brain.review_state == "deposited"
    assert brain.portal_type == "VaultDocument"
    assert brain.getPath() == "/".join(paper.getPhysicalPath())


def test_the_folder_of_a_new_paper_is_not_modified_nor_reindexed(vault, events):
    space = vault["prive"]
    modified_before = space.modified()
    record_before = catalog_record(space).modified
    paper = deposit_as("jdupont", space)
    assert paper.getId() in space.objectIds()
    assert not [obj for obj, event in events if obj is space or obj == space]
    assert space.modified() == modified_before
    assert catalog_record(space).modified == record_before


def test_a_paper_in_the_ccas_mail_folder_leaves_the_folder_untouched(vault, events):
    folder = vault["partage"][CCAS_MAIL_FOLDER_ID]
    before = folder.modified()
    setRoles(api.portal.get(), TEST_USER_ID, ["Manager"])
    paper = add_to_structure(folder, "VaultDocument", "d-000000000001", title="Lettre")
    assert folder["d-000000000001"] is not None
    assert paper.aq_parent.getId() == CCAS_MAIL_FOLDER_ID
    assert folder.modified() == before
    assert [type(event).__name__ for obj, event in events] == ["ObjectAddedEvent"]


def test_plone_indexes_no_vault_content_carries_hold_no_value(vault):
    paper = deposit_as("jdupont", vault["prive"])
    catalog = api.portal.get_tool("portal_catalog")
    for obj in (paper, vault["prive"], vault):
        brain = catalog_record(obj)
        for name in NOT_APPLICABLE:
            if name in catalog.schema():
                assert getattr(brain, name) is Missing.Value, (obj.portal_type, name)
    # ... and the indexes among them do not hold the paper at all
    rid = catalog_record(paper).getRID()
    indexed = [name for name in NOT_APPLICABLE if name in catalog.indexes()]
    assert {"cmf_uid", "start", "end", "sync_uid"} <= set(indexed)
    for name in indexed:
        assert catalog._catalog.getIndex(name).getEntryForObject(rid) is None, name


def test_the_title_reaches_no_text_index_and_sorts_by_the_opaque_id(vault):
    """Decision 0053: not even the opaque id reaches the text indexes (each id was a new
    word of the shared lexicon, and those words made concurrent papers conflict)."""
    paper = deposit_as("jdupont", vault["prive"])
    brain = catalog_record(paper)
    assert brain.Title is None and brain.Description is None  # JSON-safe columns
    catalog = api.portal.get_tool("portal_catalog")
    sortable = catalog._catalog.getIndex("sortable_title").getEntryForObject(brain.getRID())
    assert sortable and sortable.startswith("d-") and paper.title.lower() not in sortable
    for name in ("Title", "Description", "SearchableText"):
        assert catalog._catalog.getIndex(name).getEntryForObject(brain.getRID()) is None, name


def test_private_names_are_missing_at_once_and_fields_keep_their_defaults(vault):
    paper = deposit_as("jdupont", vault["prive"])
    for obj in (paper, vault["partage"], vault):
        with pytest.raises(AttributeError):
            _ = obj._no_such_private_name
        assert obj.isTemporary() is False
    # A field missing from the object still falls back to its schema default.
    del paper.__dict__["origin"]
    assert paper.origin == "upload"
    # Children are still found by id on the folders.
    assert vault["prive"].__getattr__(paper.getId()).getId() == paper.getId()
