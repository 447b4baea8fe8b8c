"""Sign, revoke and withdraw from a mandate."""

from ccas.vault import permissions
from ccas.vault.api import mandates as mandate_api
from ccas.vault.api.errors import VaultError
from ccas.vault.lookup import vault_of
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import refused
from ccas.vault.services.base import scanned_form
from ccas.vault.services.base import text
from ccas.vault.services.base import VaultService
from ccas.vault.services.mandates.common import check_may_see
from ccas.vault.services.mandates.common import mandate_info


SIGN_METHODS = ("electronic", "paper")
SIGNERS = ("agent", "person")
BAD_METHOD = (
    "Choose electronic or paper.",
    "Choisissez electronic (en ligne) ou paper (formulaire papier).",
)
BAD_SIGNER = (
    "Choose agent or person.",
    "Choisissez agent (l'agent signe) ou person (la personne signe).",
)
BAD_SCOPES = (
    'A list of the scopes accepted, e.g. ["consult"].',
    'Une liste des actions acceptées, par exemple ["consult"].',
)
FORM_NOT_SCAN = (
    "The signed mandate form must be a PDF or a photo.",
    "Le formulaire de mandat signé doit être un PDF ou une photo.",
)


class MandateSign(VaultService):
    """``{"method": "electronic"}``: the person signs in their session;
    ``{}`` or ``{"as": "agent"}``: a named agent signs;
    ``{"method": "paper", "form": {...}}``: a named agent attaches the person's signed form.
    ``"scopes": [...]`` with the person's signature: the part of the scopes accepted
    (partial acceptance, decision 0045).
    """

    def reply(self):
        check_may_see(self.context)
        data = self.body()
        if not isinstance(data, dict):
            data = {}
        errors = {}
        method = text(data, "method", errors)
        signer = text(data, "as", errors)
        if method and method not in SIGN_METHODS:
            errors["method"] = BAD_METHOD
        if signer and signer not in SIGNERS:
            errors["as"] = BAD_SIGNER
        if signer == "agent" and method:
            errors["as"] = BAD_SIGNER
        scopes = data.get("scopes")
        if scopes is not None and (
            not isinstance(scopes, list) or not all(isinstance(x, str) for x in scopes)
        ):
            errors["scopes"] = BAD_SCOPES
        if errors:
            raise invalid_fields(errors)
        form = (
            scanned_form(data, FORM_NOT_SCAN, vault=vault_of(self.context))
            if method == "paper"
            else None
        )
        disable_csrf(self.request)
        try:
            if method or signer == "person":
                mandate_api.sign_as_person(
                    self.context, method=method or "electronic", form=form, scopes=scopes
                )
            else:
                mandate_api.sign_as_agent(self.context)
        except VaultError as error:
            raise refused(error) from error
        return mandate_info(self.context)


class MandateRevoke(VaultService):
    """The person ends the mandate, at any time."""

    required_permission = permissions.MANAGE_MANDATES

    def permission_context(self):
        return vault_of(self.context)

    def reply(self):
        disable_csrf(self.request)
        try:
            mandate_api.revoke(self.context)
        except VaultError as error:
            raise refused(error) from error
        return mandate_info(self.context)


class MandateWithdraw(VaultService):
    """A named agent takes themself out of the mandate."""

    def reply(self):
        check_may_see(self.context)
        disable_csrf(self.request)
        try:
            mandate_api.withdraw(self.context)
        except VaultError as error:
            raise refused(error) from error
        return mandate_info(self.context)
