"""Catalog indexers that keep what people stored out of the site catalog.

Vaults and their contents are catalogued (Plone lists folders through the
catalog, and the catalog filters by permission), but under their opaque ids
only: whoever can browse the catalog in the ZMI learns neither names nor
paper titles.
"""

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
