"""Catalog indexers that keep what people stored out of the site catalog.

Vaults and their contents are catalogued (Plone lists folders through the
catalog, and the catalog filters by permission), but under their opaque ids
only: whoever can browse the catalog in the ZMI learns neither names nor
paper titles.

Their text reaches no text index at all (``Title``, ``Description``,
``SearchableText``: ``no_text``), not even the opaque id (decision 0053).  Each
opaque id was a new word of Plone's shared lexicon, kept in the text index's
word map (``OkapiIndex._wordinfo``, an ``IOBTree``) as a small ``dict``; a bucket
holding such a ``dict`` cannot be merged by ZODB's conflict resolution (two
``dict`` values cannot be ordered), and every paper, share link or mandate
rewrote the bucket of the words all of them share (``d``, ``c``, ``partage``,
``lien``...).  So any two papers added at once anywhere on the site conflicted,
and the publisher replayed one of the requests whole.  Nobody searches these
texts: the product's searches go by UID, path, type and state.

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


def _no_text(obj):
    """``None``: the text index skips the object (it indexes strings only) and the column
    holds ``None``, which JSON can say (``Missing.Value`` made plone.restapi's
    ``@contextnavigation`` answer 500: it serialises the columns as they are)."""
    return None


title_document = indexer(IVaultDocument)(_opaque_id)
title_vault = indexer(IVault)(_opaque_id)
title_space = indexer(IVaultSpace)(_opaque_id)
#: ``Title``, ``Description`` and ``SearchableText`` of everything inside the directory
#: (registered in ``indexers.zcml`` for each type but the directory itself, whose title
#: "Coffres-forts numériques" Plone's navigation shows)
no_text = indexer(IVaultContent)(_no_text)


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
