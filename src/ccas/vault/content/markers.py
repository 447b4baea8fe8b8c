"""Marker interfaces shared by the vault's content types."""

from zope.interface import Interface


class IVaultContent(Interface):
    """A vault, its spaces and folders, its papers, mandates and share links."""
