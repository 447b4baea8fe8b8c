"""Base classes of the vault's content types.

Dexterity answers a missing attribute by looking for a default in the
type's schema and in every behavior's schema.  Plone and its add-ons ask
content for many private names it does not have (``_subobject_permissions``
forty times per workflow state change, collective.workspace's ``_team``,
``_getProductRegistryData``...), and Acquisition never acquires them.  No
schema field and no content id starts with "_" (Zope refuses such ids), so
these classes answer those names at once (decision 0028).  The catalog
queue asks every object it indexes whether it ``isTemporary`` (a
``portal_factory`` object): the answer is here rather than searched for up
to the site.

An item has no sub-objects: when its security changes (a workflow state
change), the only catalog entry to update is its own, without first
searching the catalog for entries under its path as CMF does for folders.
"""

from plone.dexterity.content import Container
from plone.dexterity.content import Item


class _MissesAnsweredAtOnce:
    """A private name missing is missing: no schema look-up, no temporary object."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return super().__getattr__(name)

    def isTemporary(self):
        return False


class VaultItem(_MissesAnsweredAtOnce, Item):
    """An item of a vault (paper, mandate, share link)."""

    def reindexObjectSecurity(self, skip_self=False):
        """Reindex this item's security (an item has nothing under it)."""
        if not skip_self:
            self.reindexObject(idxs=self._cmf_security_indexes, update_metadata=0)


class VaultContainer(_MissesAnsweredAtOnce, Container):
    """A folder of a vault (directory, vault, space, "Courrier du CCAS")."""
