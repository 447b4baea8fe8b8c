"""@mandates on a vault: list its mandates (GET), draft a new one (POST)."""

from AccessControl import Unauthorized
from ccas.vault import permissions
from ccas.vault.api import mandates as mandate_api
from ccas.vault.api.errors import VaultError
from ccas.vault.scopes import SCOPES
from ccas.vault.services.base import boolean
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import iso_date
from ccas.vault.services.base import refused
from ccas.vault.services.base import REQUIRED
from ccas.vault.services.base import text
from ccas.vault.services.base import VaultService
from ccas.vault.services.mandates.common import is_named
from ccas.vault.services.mandates.common import is_owner
from ccas.vault.services.mandates.common import mandate_info


NOT_A_LIST_OF_IDS = (
    "Give a list of user ids.",
    "Donnez une liste d'identifiants d'agents.",
)
NOT_A_LIST_OF_SCOPES = (
    "Give a list of scopes among: " + ", ".join(SCOPES) + ".",
    "Donnez une liste de choses permises parmi : " + ", ".join(SCOPES) + ".",
)


def _ids(data, name, errors, problem):
    value = data.get(name)
    if value is None or value == [] or value == "":
        errors[name] = REQUIRED
        return []
    if isinstance(value, str):  # a form post with a single value
        value = [value]
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        errors[name] = problem
        return []
    return [item.strip() for item in value]


class MandatesGet(VaultService):
    """The owner sees every mandate; a named agent only the mandates naming them."""

    def reply(self):
        everything = is_owner(self.context)
        found = mandate_api.mandates_of(self.context)
        if not everything:
            found = [mandate for mandate in found if is_named(mandate)]
            if not found:
                raise Unauthorized("Neither the person nor an agent named in a mandate")
        items = [mandate_info(mandate) for mandate in found]
        items.sort(key=lambda item: (item["start"] or "", item["id"]))
        return {
            "@id": f"{self.context.absolute_url()}/@mandates",
            "items": items,
            "items_total": len(items),
        }


class MandatesPost(VaultService):
    """The person drafts a mandate (and, with ``submit``, sends it for signature)."""

    required_permission = permissions.MANAGE_MANDATES

    def reply(self):
        data = self.body()
        if not isinstance(data, dict):
            raise invalid_fields({"agents": REQUIRED, "scopes": REQUIRED})
        errors = {}
        agents = _ids(data, "agents", errors, NOT_A_LIST_OF_IDS)
        scopes = _ids(data, "scopes", errors, NOT_A_LIST_OF_SCOPES)
        purpose = text(data, "purpose", errors)
        start = iso_date(data, "start", errors)
        end = iso_date(data, "end", errors)
        until_revoked = boolean(data, "until_revoked", errors)
        submit = boolean(data, "submit", errors)
        if errors:
            raise invalid_fields(errors)
        disable_csrf(self.request)
        try:
            mandate = mandate_api.create_mandate(
                self.context,
                agents=agents,
                scopes=scopes,
                purpose=purpose,
                start=start,
                end=end,
                until_revoked=until_revoked,
            )
            if submit:
                mandate_api.submit(mandate)
        except VaultError as error:
            raise refused(error) from error
        self.request.response.setStatus(201)
        self.request.response.setHeader("Location", mandate.absolute_url())
        return mandate_info(mandate)
