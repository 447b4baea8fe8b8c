"""Replace a paper by a newer version (JSON with base64, or multipart)."""

from Acquisition import aq_inner
from Acquisition import aq_parent
from ccas.vault import permissions
from ccas.vault.api import documents
from ccas.vault.api.errors import VaultError
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import document_info
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import iso_date
from ccas.vault.services.base import refused
from ccas.vault.services.base import uploaded_file
from ccas.vault.services.base import VaultService


class ReplacePost(VaultService):
    """201 with the new version; a refused file is answered 400 and its trace kept."""

    required_permission = permissions.DEPOSIT

    def permission_context(self):
        return aq_parent(aq_inner(self.context))

    def reply(self):
        data = self.body()
        errors = {}
        issued = iso_date(data, "issued", errors)
        valid_until = iso_date(data, "valid_until", errors)
        if errors:
            raise invalid_fields(errors)
        content, filename, declared = uploaded_file(data, "file")
        disable_csrf(self.request)
        try:
            newer = documents.replace(
                self.context,
                data=content,
                filename=filename,
                declared_type=declared,
                issued=issued,
                valid_until=valid_until,
            )
        except (DepositRefused, VaultError) as error:
            raise refused(error) from error
        self.request.response.setStatus(201)
        self.request.response.setHeader("Location", newer.absolute_url())
        return document_info(newer)
