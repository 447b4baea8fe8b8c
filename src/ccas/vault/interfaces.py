"""Marker interfaces of ccas.vault."""

from zope.publisher.interfaces.browser import IDefaultBrowserLayer


class ICcasVaultLayer(IDefaultBrowserLayer):
    """Browser layer of the staff intranet, installed by the default profile."""
