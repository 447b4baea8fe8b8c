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
    key_directory = schema.TextLine(
        title=_("Folder of the CCAS seal keys"),
        description=_(
            "Folder, outside the database, holding the keys that sign certified papers. "
            "Empty: next to the instance's var folder. The CCAS_VAULT_KEY_DIR environment "
            "variable overrides it."
        ),
        required=False,
        default="",
    )
    seal_name = schema.TextLine(
        title=_("Name on the CCAS seal"),
        description=_('For example "CCAS de Lyon". Empty: the site title.'),
        required=False,
        default="",
    )
    city_name = schema.TextLine(
        title=_("Name of the town in the watermark of shared copies"),
        description=_("Empty: the title of the site."),
        required=False,
        default="",
    )


def get_setting(name):
    """The value of one setting (its default when the record is missing)."""
    return api.portal.get_registry_record(f"{PREFIX}.{name}", default=IVaultSettings[name].default)
