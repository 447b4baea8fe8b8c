"""Certify a paper: who, which organisation, when, which bytes.

While the four-eyes policy is on (``ccas.vault.policies.four_eyes``), the same
``POST @certify`` asks for the certification of a *deposited* paper and
validates it on a paper *pending certification* (a second agent of the same
organisation); ``{"decision": "reject", "reason": "..."}`` refuses it.
"""

from ccas.vault import permissions
from ccas.vault.api import documents
from ccas.vault.api.errors import VaultError
from ccas.vault.certification import four_eyes
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import refused
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import text
from ccas.vault.services.base import VaultService
from plone import api
from plone.api.exc import InvalidParameterError


NOT_CERTIFIABLE = (
    "This paper cannot be certified in its current state.",
    "Ce papier ne peut pas être certifié : il est déjà certifié, remplacé ou périmé.",
)
BAD_DECISION = (
    "Use 'reject' (or nothing, to certify).",
    "Écrivez « reject » pour refuser (ou rien, pour certifier).",
)
#: Four-eyes refusals answered 403 (the rule forbids this agent); the others are 400.
FORBIDDEN_CODES = ("same_agent", "other_organisation", "not_certifying_organisation")


class CertifyPost(VaultService):
    """200 with the certification record (and the pending request, if any)."""

    required_permission = permissions.CERTIFY

    def reply(self):
        disable_csrf(self.request)
        data = self.body() if self.request.get("BODY") or self.is_form_post() else {}
        if not isinstance(data, dict):
            data = {}
        decision = data.get("decision") or "certify"
        try:
            if decision == "reject":
                errors = {}
                reason = text(data, "reason", errors, required=True)
                if errors:
                    raise invalid_fields(errors)
                four_eyes.reject_certification(self.context, reason)
            elif decision == "certify":
                documents.certify(self.context)
            else:
                raise invalid_fields({"decision": BAD_DECISION})
        except InvalidParameterError as error:
            raise RequestError(400, "not_certifiable", *NOT_CERTIFIABLE) from error
        except VaultError as error:
            status = 403 if error.code in FORBIDDEN_CODES else 400
            raise refused(error, status=status) from error
        request = four_eyes.pending_request(self.context)
        answer = {
            "@id": self.context.absolute_url(),
            "UID": self.context.UID(),
            "review_state": api.content.get_state(self.context),
            "certification": dict(self.context.certification or {}),
        }
        if request is not None:
            answer["certification_request"] = dict(request)
        return answer


class CertificationRequestsGet(VaultService):
    """``{"items": [...], "items_total": n}``: the papers awaiting the current agent's validation.

    401 anonymous, 403 for people who are not agents; empty while the
    four-eyes policy is off.
    """

    required_permission = permissions.FIND_VAULT

    def reply(self):
        items = four_eyes.requests_to_validate()
        return {"items": items, "items_total": len(items)}
