"""Record the person's consent: electronic (the person, logged in) or paper (scanned form)."""

from ccas.vault import permissions
from ccas.vault.api import vaults as vault_api
from ccas.vault.api.errors import VaultError
from ccas.vault.content.vault import CONSENT_METHODS
from ccas.vault.services.base import boolean
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import file_info
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import refused
from ccas.vault.services.base import scanned_form
from ccas.vault.services.base import text
from ccas.vault.services.base import VaultService
from plone import api


BAD_METHOD = (
    "Choose electronic or paper.",
    "Choisissez electronic (en ligne) ou paper (formulaire papier).",
)
FORM_NOT_SCAN = (
    "The consent form must be a PDF or a photo.",
    "Le formulaire d'accord doit être un PDF ou une photo.",
)


def _scanned_form(data, vault):
    """The inspected scan as a ``NamedBlobFile``, ``None`` when absent."""
    if data.get("form") in (None, ""):
        return None
    return scanned_form(data, FORM_NOT_SCAN, vault=vault)


def consent_info(record):
    form = record.get("form")
    return {
        "when": record["when"],
        "method": record["method"],
        "recorded_by": record["recorded_by"],
        "notice_version": record["notice_version"],
        "receive_ccas_letters": record["receive_ccas_letters"],
        "form": file_info(form),
    }


class ConsentPost(VaultService):
    """Record a consent; the vault leaves *awaiting consent* and opens."""

    required_permission = permissions.RECORD_CONSENT

    def reply(self):
        data = self.body()
        errors = {}
        method = text(data, "method", errors, required=True)
        if method and method not in CONSENT_METHODS:
            errors["method"] = BAD_METHOD
        letters = boolean(data, "receive_ccas_letters", errors, default=None)
        if errors:
            raise invalid_fields(errors)
        form = _scanned_form(data, self.context) if method == "paper" else None
        disable_csrf(self.request)
        try:
            record = vault_api.record_consent(
                self.context, method=method, receive_ccas_letters=letters, form=form
            )
        except VaultError as error:
            raise refused(error) from error
        return {
            "@id": self.context.absolute_url(),
            "id": self.context.getId(),
            "review_state": api.content.get_state(self.context),
            "receive_ccas_letters": self.context.receive_ccas_letters,
            "consent": consent_info(record),
        }
