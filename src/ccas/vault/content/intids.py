"""The vault's content gets no intid (decision 0053, "IntIds").

five.intid gives every persistent object added to the site an integer id: a key in
``IntIds.ids``, an ``OIBTree`` ordered by the objects' oids, so every new object of the
site lands in its last bucket and two additions at once (two papers in two vaults, a
GED batch and an upload) conflict when that bucket splits.  Nothing uses the intid of a
vault, a space, a paper, a share link, a mandate or a letter folder: they carry no
relation field and no behavior that links (``plone.basic`` and the shared space's
workspace only), link integrity only follows ``IDexterityHasRelations`` content, and the
product finds its content by UID and path.

So ``intids.zcml`` adapts these types to five.intid's ``KeyReferenceNever`` (what
five.intid itself does for CMF's filesystem objects): the adaptation to
``IKeyReference`` raises ``NotYet``, which five.intid's add, move and remove subscribers
and ``IntIds.getId``/``queryId`` treat as "no intid".  The vault directory keeps its
intid: a page of the site may link to it.

Plone's link-integrity check before a deletion (``@@delete_confirmation_info``, and
``plone.api.content.delete`` unless ``check_linkintegrity=False``) asks the intid of each
object deleted and fails without one: the product deletes vault content with the check
off (nothing links to it) or through ``DELETE`` of plone.restapi, which does not check.

Content registered before keeps no intid either: upgrade 1009 removes it
(:func:`forget_all`), and :func:`forget_on_removal` removes what is left of an object
deleted before the upgrade ran, so that the utility does not keep a deleted paper
reachable in the database.
"""

from ccas.vault.content.mail_folder import IMailFolder
from ccas.vault.content.mandate import IMandate
from ccas.vault.content.share_link import IShareLink
from ccas.vault.content.spaces import IVaultSpace
from ccas.vault.content.vault import IVault
from ccas.vault.content.vault_document import IVaultDocument
from five.intid.keyreference import KeyReferenceToPersistent
from plone import api
from zope.component import getAllUtilitiesRegisteredFor
from zope.intid.interfaces import IIntIds
from zope.keyreference.interfaces import NotYet
import logging


logger = logging.getLogger("ccas.vault.intids")

#: the content that gets no intid (``intids.zcml``)
WITHOUT_INTID = (IVault, IVaultSpace, IMailFolder, IVaultDocument, IShareLink, IMandate)


def without_intid(obj):
    """Whether ``obj`` is vault content that gets no intid."""
    return any(interface.providedBy(obj) for interface in WITHOUT_INTID)


def forget(obj):
    """Remove ``obj``'s intid from every intid utility, if it has one; return how many.

    The key is built directly (the adaptation to ``IKeyReference`` refuses this content);
    looking it up writes nothing when there is none."""
    try:
        key = KeyReferenceToPersistent(obj)
    except NotYet:
        return 0
    removed = 0
    for utility in getAllUtilitiesRegisteredFor(IIntIds):
        uid = utility.ids.get(key)
        if uid is None:
            continue
        del utility.ids[key]
        if uid in utility.refs:
            del utility.refs[uid]
        removed += 1
    return removed


def forget_on_removal(obj, event):
    """``IObjectRemovedEvent`` of vault content: drop an intid given before 1009."""
    if without_intid(obj):
        forget(obj)


def forget_all():
    """Drop the intids of all vault content (upgrade 1009); return how many went."""
    catalog = api.portal.get_tool("portal_catalog")
    removed = 0
    for brain in catalog.unrestrictedSearchResults(
        object_provides=[interface.__identifier__ for interface in WITHOUT_INTID]
    ):
        obj = brain._unrestrictedGetObject()
        if without_intid(obj):
            removed += forget(obj)
    logger.info("Vault content out of the intids: %d entries removed", removed)
    return removed
