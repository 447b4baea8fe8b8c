"""Catalog indexers that keep what people stored out of the site catalog.

Vaults and their contents are catalogued (Plone lists folders through the
catalog, and the catalog filters by permission), but under their opaque ids
only: whoever can browse the catalog in the ZMI learns neither names nor
paper titles.

Plone's catalog also asks every object for attributes that only its own
types carry (event dates, links, navigation flags, CMFUid ids).  A vault's
content has none of them, and an attribute missing on a paper is looked for
up the whole acquisition chain (folder, space, vault, directory, site), each
level asking its schemas for a default: ``not_applicable`` answers "no value"
at once for those names (decision 0028).
"""

from ccas.vault.content.markers import IVaultContent
from ccas.vault.content.spaces import IVaultSpace
from ccas.vault.content.vault import IVault
from ccas.vault.content.vault_document import IVaultDocument
from plone.indexer import indexer


def _opaque_id(obj):
    return obj.getId()


def _nothing(obj):
    return ""


title_document = indexer(IVaultDocument)(_opaque_id)
title_vault = indexer(IVault)(_opaque_id)
title_space = indexer(IVaultSpace)(_opaque_id)
empty_document = indexer(IVaultDocument)(_nothing)
empty_vault = indexer(IVault)(_nothing)
empty_space = indexer(IVaultSpace)(_nothing)


#: Catalog indexes and columns that no vault content type carries.
NOT_APPLICABLE = (
    "cmf_uid",
    "end",
    "exclude_from_nav",
    "getRawRelatedItems",
    "getRemoteUrl",
    "in_reply_to",
    "location",
    "start",
    "sync_uid",
)


@indexer(IVaultContent)
def not_applicable(obj):
    """No value: the index skips the object and the column holds ``Missing.Value``."""
    raise AttributeError
