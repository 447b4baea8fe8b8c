"""Site-wide settings of the vault, kept in the Plone registry (prefix ``ccas.vault``)."""

from ccas.vault import _
from plone import api
from zope import schema
from zope.interface import Interface


PREFIX = "ccas.vault.settings"


class IVaultSettings(Interface):
    """Settings a records manager may change."""

    max_upload_size_mb = schema.Int(
        title=_("Largest file that can be deposited (MB)"), default=20, min=1, max=200
    )
    closing_grace_days = schema.Int(
        title=_("Days between a closing request and the deletion of the vault"),
        default=7,
        min=0,
        max=365,
    )


def get_setting(name):
    """The value of one setting (its default when the record is missing)."""
    return api.portal.get_registry_record(f"{PREFIX}.{name}", default=IVaultSettings[name].default)
