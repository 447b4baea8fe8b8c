"""Record the person's consent: electronic (the person, logged in) or paper (scanned form)."""

from ccas.vault import permissions
from ccas.vault.api import vaults as vault_api
from ccas.vault.api.errors import VaultError
from ccas.vault.content.vault import CONSENT_METHODS
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.deposit.inspection import inspect_upload
from ccas.vault.services.base import boolean
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import refused
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import text
from ccas.vault.services.base import uploaded_file
from ccas.vault.services.base import VaultService
from ccas.vault.settings import get_setting
from plone import api
from plone.namedfile.file import NamedBlobFile


FORM_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/webp")
BAD_METHOD = (
    "Choose electronic or paper.",
    "Choisissez electronic (en ligne) ou paper (formulaire papier).",
)
FORM_NOT_SCAN = (
    "The consent form must be a PDF or a photo.",
    "Le formulaire d'accord doit être un PDF ou une photo.",
)


def _scanned_form(data):
    """The inspected scan as a ``NamedBlobFile``, ``None`` when absent."""
    if data.get("form") in (None, ""):
        return None
    content, filename, declared = uploaded_file(data, "form")
    try:
        inspected = inspect_upload(
            content,
            filename=filename,
            declared_type=declared,
            max_size=get_setting("max_upload_size_mb") * 1024 * 1024,
        )
    except DepositRefused as error:
        raise refused(error) from error
    if inspected.content_type not in FORM_TYPES:
        raise RequestError(400, "form_not_a_scan", *FORM_NOT_SCAN, fields={"form": FORM_NOT_SCAN})
    return NamedBlobFile(
        inspected.data, contentType=inspected.content_type, filename=inspected.filename
    )


def consent_info(record):
    form = record.get("form")
    return {
        "when": record["when"],
        "method": record["method"],
        "recorded_by": record["recorded_by"],
        "notice_version": record["notice_version"],
        "receive_ccas_letters": record["receive_ccas_letters"],
        "form": {
            "filename": form.filename,
            "content_type": form.contentType,
            "size": form.getSize(),
        }
        if form is not None
        else None,
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
        form = _scanned_form(data) if method == "paper" else None
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
