"""GET / POST @share-links on a vault (the owner) or its shared space (sharers).

``POST @share-links`` creates a link and answers its URL (with the token) and
its access code once; ``POST @share-links/{id}/revoke`` stops it.
"""

from AccessControl import Unauthorized
from ccas.vault.api.errors import VaultError
from ccas.vault.lookup import vault_of
from ccas.vault.services.base import boolean
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import refused
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import REQUIRED
from ccas.vault.services.base import text
from ccas.vault.services.base import TraversingService
from ccas.vault.services.base import VaultService
from ccas.vault.sharing import links
from plone import api


NOT_UIDS = ("Give a list of paper UIDs.", "Donnez la liste des papiers (leurs UID).")
NOT_FOUND = ("No such link.", "Ce lien n'existe pas.")


def share_url(token):
    """What the recipient gets: the token in the fragment, which no server log sees."""
    return f"{api.portal.get().absolute_url()}/@@lien#{token}"


def documents_by_uid(vault, uids):
    """The papers of ``vault`` with these UIDs, in order (``VaultError`` for any other)."""
    catalog = api.portal.get_tool("portal_catalog")
    path = "/".join(vault.getPhysicalPath())
    found = []
    for uid in uids:
        brains = catalog.unrestrictedSearchResults(UID=uid, path=path, portal_type="VaultDocument")
        if not brains:
            raise VaultError(
                f"No paper {uid!r} in this vault",
                "Un des papiers choisis n'est pas dans ce coffre.",
                code="unknown_document",
            )
        found.append(brains[0]._unrestrictedGetObject())
    return found


def _uids(data, errors):
    value = data.get("documents", data.get("uids"))
    if isinstance(value, str):
        value = [value]
    if not value:
        errors["documents"] = REQUIRED
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["documents"] = NOT_UIDS
        return []
    return [item.strip() for item in value]


class ShareLinksGet(VaultService):
    """The links the current user may see, with their openings."""

    def reply(self):
        vault = vault_of(self.context)
        found = links.visible_links(vault)
        if found is None:
            raise Unauthorized("Only the owner or an agent with the share scope")
        items = [links.link_info(link) for link in found]
        items.sort(key=lambda item: item["created"] or "", reverse=True)
        return {
            "@id": f"{self.context.absolute_url()}/@share-links",
            "items": items,
            "items_total": len(items),
        }


class ShareLinksPost(TraversingService):
    """Create a link, or (``/{id}/revoke``) revoke one."""

    def reply(self):
        vault = vault_of(self.context)
        if self.params:
            return self.revoke(vault)
        data = self.body()
        if not isinstance(data, dict):
            raise invalid_fields({"documents": REQUIRED, "recipient": REQUIRED})
        errors = {}
        uids = _uids(data, errors)
        recipient = text(data, "recipient", errors, required=True)
        duration = text(data, "duration", errors, required=True)
        with_code = boolean(data, "with_code", errors)
        if errors:
            if links.visible_links(vault) is None:  # strangers learn nothing of the fields
                raise Unauthorized("Only the owner or an agent with the share scope")
            raise invalid_fields(errors)
        disable_csrf(self.request)
        try:
            documents = documents_by_uid(vault, uids)
            link, token, code = links.create_link(vault, documents, recipient, duration, with_code)
        except VaultError as error:
            if links.visible_links(vault) is None:
                raise Unauthorized("Only the owner or an agent with the share scope") from error
            raise refused(error) from error
        self.request.response.setStatus(201)
        self.request.response.setHeader("Location", link.absolute_url())
        return {**links.link_info(link), "url": share_url(token), "code": code}

    def revoke(self, vault):
        if links.visible_links(vault) is None:
            raise Unauthorized("Only the owner or an agent with the share scope")
        if len(self.params) != 2 or self.params[1] != "revoke":
            raise RequestError(404, "not_found", *NOT_FOUND)
        link = vault.get(self.params[0])
        if link is None or not links.IShareLink.providedBy(link) or not links.may_manage(link):
            raise RequestError(404, "not_found", *NOT_FOUND)
        disable_csrf(self.request)
        try:
            links.revoke(link)
        except VaultError as error:
            raise refused(error) from error
        return links.link_info(link)
