"""Certify a paper: who, which organisation, when, which bytes."""

from ccas.vault import permissions
from ccas.vault.api import documents
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import VaultService
from plone import api
from plone.api.exc import InvalidParameterError


NOT_CERTIFIABLE = (
    "This paper cannot be certified in its current state.",
    "Ce papier ne peut pas être certifié : il est déjà certifié, remplacé ou périmé.",
)


class CertifyPost(VaultService):
    """200 with the certification record."""

    required_permission = permissions.CERTIFY

    def reply(self):
        disable_csrf(self.request)
        try:
            certification = documents.certify(self.context)
        except InvalidParameterError as error:
            raise RequestError(400, "not_certifiable", *NOT_CERTIFIABLE) from error
        return {
            "@id": self.context.absolute_url(),
            "UID": self.context.UID(),
            "review_state": api.content.get_state(self.context),
            "certification": dict(certification or {}),
        }
