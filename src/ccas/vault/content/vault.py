"""Vault: one per beneficiary, holding a private and a shared space."""

from ccas.vault import _
from ccas.vault.content.base import VaultContainer
from ccas.vault.content.markers import IVaultContent
from persistent.list import PersistentList
from plone.supermodel import model
from zope import schema
from zope.interface import implementer


CONTACT_CHANNELS = ("email", "sms", "none")
CONSENT_METHODS = ("paper", "electronic")


class IVault(model.Schema):
    """A person's vault. The person holds the local role ``VaultOwner`` on it."""

    first_name = schema.TextLine(title=_("First name"))
    last_name = schema.TextLine(title=_("Last name"))
    birth_date = schema.Date(title=_("Date of birth"))
    owner_login = schema.ASCIILine(title=_("Login of the person"), readonly=True)
    ged_person_ids = schema.List(
        title=_("Person identifiers in the CCAS GED"),
        value_type=schema.TextLine(),
        required=False,
        default=[],
    )
    preferred_language = schema.Choice(
        title=_("Preferred language"), values=("fr", "en"), default="fr"
    )
    contact_channel = schema.Choice(
        title=_("How the person wants to be told"), values=CONTACT_CHANNELS, default="none"
    )
    email = schema.TextLine(title=_("E-mail address"), required=False)
    phone = schema.TextLine(title=_("Mobile phone number"), required=False)
    receive_ccas_letters = schema.Bool(
        title=_("Receive the CCAS's letters in the vault"), required=False, default=False
    )


@implementer(IVault, IVaultContent)
class Vault(VaultContainer):
    """A person's vault.

    ``consents`` keeps every consent record (dicts: when, method, recorded_by,
    notice_version, receive_ccas_letters, form_uid); consent is given once and
    can be completed, never edited.
    """

    __ac_local_roles_block__ = True  # no local role is acquired from above
    information_notice = None  # version, when and by whom it was handed over

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consents = PersistentList()

    @property
    def display_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def Title(self):
        return self.display_name
