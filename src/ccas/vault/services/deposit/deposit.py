"""Deposit a paper into a space; a refused file leaves only its ``refused`` history line."""

from ccas.vault import permissions
from ccas.vault.api import documents
from ccas.vault.api.errors import VaultError
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.services.base import boolean
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import document_info
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import iso_date
from ccas.vault.services.base import refused
from ccas.vault.services.base import text
from ccas.vault.services.base import uploaded_file
from ccas.vault.services.base import VaultService


class DepositPost(VaultService):
    """Store an inspected file as a new paper of the space; 201 with its description.

    The API writes a ``refused`` history line before raising ``DepositRefused``:
    the refusal is answered (400), not raised, so that line is committed.
    """

    required_permission = permissions.DEPOSIT

    def reply(self):
        data = self.body()
        errors = {}
        values = {
            "document_type": text(data, "document_type", errors, required=True),
            "title": text(data, "title", errors),
            "issued": iso_date(data, "issued", errors),
            "valid_until": iso_date(data, "valid_until", errors),
            "origin": text(data, "origin", errors) or "upload",
            "health_confirmed": boolean(data, "health_confirmed", errors),
        }
        if errors:
            raise invalid_fields(errors)
        content, filename, declared = uploaded_file(data, "file")
        disable_csrf(self.request)
        try:
            document = documents.deposit(
                self.context, data=content, filename=filename, declared_type=declared, **values
            )
        except (DepositRefused, VaultError) as error:
            raise refused(error) from error
        self.request.response.setStatus(201)
        self.request.response.setHeader("Location", document.absolute_url())
        return document_info(document)
