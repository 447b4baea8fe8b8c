"""VaultDirectory: the one container of every vault (``/coffres``)."""

from ccas.vault.content.base import VaultContainer
from ccas.vault.content.markers import IVaultContent
from plone.supermodel import model
from zope.interface import implementer


class IVaultDirectory(model.Schema):
    """The container of all vaults. Agents never list it; they search it."""


@implementer(IVaultDirectory, IVaultContent)
class VaultDirectory(VaultContainer):
    """Container of all vaults."""
