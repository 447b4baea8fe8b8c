"""VaultDirectory: the one container of every vault (``/coffres``)."""

from plone.dexterity.content import Container
from plone.supermodel import model
from zope.interface import implementer


class IVaultDirectory(model.Schema):
    """The container of all vaults. Agents never list it; they search it."""


@implementer(IVaultDirectory)
class VaultDirectory(Container):
    """Container of all vaults."""
