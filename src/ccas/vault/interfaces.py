"""Marker interfaces of ccas.vault."""

from zope.publisher.interfaces.browser import IDefaultBrowserLayer


class ICcasVaultLayer(IDefaultBrowserLayer):
    """Browser layer of the staff intranet, installed by the default profile."""


class IPublicSkinLayer(IDefaultBrowserLayer):
    """Layer of the beneficiary's light skin: set on the request by ``/mon-coffre``
    (``browser/public/router.py``), never installed site-wide."""
