"""Finding the vault and the space an object belongs to."""

from Acquisition import aq_chain
from Acquisition import aq_inner
from ccas.vault.content.spaces import IVaultSpace
from ccas.vault.content.vault import IVault


def vault_of(obj):
    """The vault ``obj`` is in (or is), or ``None``."""
    for item in aq_chain(aq_inner(obj)):
        if IVault.providedBy(item):
            return item
    return None


def space_of(obj):
    """The private or shared space ``obj`` is in (or is), or ``None``."""
    for item in aq_chain(aq_inner(obj)):
        if IVaultSpace.providedBy(item):
            return item
    return None
