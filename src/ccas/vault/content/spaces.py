"""The two spaces of a vault: private (owner only) and shared (mandated agents)."""

from ccas.vault.content.base import VaultContainer
from ccas.vault.content.markers import IVaultContent
from collective.workspace.interfaces import IHasWorkspace
from plone.supermodel import model
from zope.interface import implementer


PRIVATE_SPACE_ID = "prive"
SHARED_SPACE_ID = "partage"
CCAS_MAIL_FOLDER_ID = "courrier-du-ccas"


class IVaultSpace(model.Schema):
    """A space of a vault."""


class IPrivateSpace(IVaultSpace):
    """The strictly private space: no mandate ever reaches it."""


class ISharedSpace(IVaultSpace, IHasWorkspace):
    """The space mandated agents work in, within their mandate's scopes.

    A collective.workspace team (its roster is the active mandates: see
    ``ccas.vault.workspace``); extending ``IHasWorkspace`` makes the vault's
    own workspace adapters more specific than collective.workspace's.
    """


@implementer(IPrivateSpace, IVaultContent)
class PrivateSpace(VaultContainer):
    """Strictly private space of a vault."""


@implementer(ISharedSpace, IVaultContent)
class SharedSpace(VaultContainer):
    """Shared space of a vault."""
