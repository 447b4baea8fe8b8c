"""1009, the counter's morning (issue 22, decision 0053): what existing sites hold.

- The vault's content leaves the catalog's text indexes (``Title``, ``Description``,
  ``SearchableText``): new content never reaches them any more; what was indexed
  before stays until removed here (the columns are left as they are: nothing reads
  them).
- Every account gets its session keyring now, as new accounts get it at their
  creation, so that no first login writes the key manager's shared mapping.
- The site's portlets get their settings now (``site_portlets``), as at a new
  site's install, so that no first rendering writes them.
- The vault's content gives up its intids (``content/intids.py``): new content gets
  none, what was registered before is removed from the intid utility.

All are idempotent.
"""

from ccas.vault.account.sessions import prepare_keyring
from ccas.vault.content import intids
from ccas.vault.site_portlets import settle_portlet_settings
from plone import api
from plone.keyring.interfaces import IKeyManager
from zope.component import queryUtility
import logging


logger = logging.getLogger("ccas.vault.upgrades")

#: the types inside the vault directory (``indexers.zcml``: no text of theirs is indexed)
VAULT_TYPES = (
    "Vault",
    "PrivateSpace",
    "SharedSpace",
    "MailFolder",
    "VaultDocument",
    "ShareLink",
    "Mandate",
)
TEXT_INDEXES = ("Title", "Description", "SearchableText")


def vault_texts_out_of_the_catalog():
    """Remove the vault's content from the text indexes; return how many entries went."""
    catalog = api.portal.get_tool("portal_catalog")
    indexes = [
        catalog._catalog.getIndex(name) for name in TEXT_INDEXES if name in catalog.indexes()
    ]
    removed = 0
    for brain in catalog.unrestrictedSearchResults(portal_type=list(VAULT_TYPES)):
        rid = brain.getRID()
        for index in indexes:
            if index.getEntryForObject(rid) is not None:
                index.unindex_object(rid)
                removed += 1
    logger.info("Vault content out of the text indexes: %d entries removed", removed)
    return removed


def keyrings_for_accounts():
    """Make the session keyring of every account that has none yet; return how many."""
    manager_before = _keyring_names()
    for user_id in api.portal.get_tool("acl_users").source_users.getUserIds():
        prepare_keyring(user_id)
    made = len(_keyring_names() - manager_before)
    logger.info("Session keyrings made for %d accounts", made)
    return made


def _keyring_names():
    manager = queryUtility(IKeyManager)
    return set(manager) if manager is not None else set()


def portlet_settings():
    """The settings of the site's portlets; return how many were made."""
    made = settle_portlet_settings(api.portal.get())
    logger.info("Settings made for %d portlets of the site", made)
    return made


def vault_content_out_of_the_intids():
    """The vault's content gives up the intids given before (``content/intids.py``)."""
    return intids.forget_all()


MIGRATIONS = (
    vault_texts_out_of_the_catalog,
    keyrings_for_accounts,
    portlet_settings,
    vault_content_out_of_the_intids,
)
