"""``GET @checklists`` and ``GET @checklists/{id}`` on a vault or a space.

Runs as the caller: the owner sees the papers of the whole vault (or of the
space asked for), a mandated agent with a consult-like role those of the shared
space only; anybody else gets a 401/403 (see :func:`ccas.vault.checklists.visible_spaces`).
"""

from ccas.vault.checklists import bundle_urls
from ccas.vault.checklists import checklist_status
from ccas.vault.checklists import get_checklist
from ccas.vault.checklists import item_text
from ccas.vault.checklists import list_checklists
from ccas.vault.checklists import option_label
from ccas.vault.checklists import STATES
from ccas.vault.checklists import visible_spaces
from ccas.vault.document_types import current_language
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import TraversingService
from plone import api


UNKNOWN = (
    "There is no such checklist.",
    "Cette liste de papiers n'existe pas.",
)


def _iso(value):
    return value.isoformat() if value else None


def document_summary(document):
    if document is None:
        return None
    return {
        "@id": document.absolute_url(),
        "UID": document.UID(),
        "title": document.title or "",
        "document_type": document.document_type,
        "issued": _iso(document.issued),
        "valid_until": _iso(document.valid_until),
        "review_state": api.content.get_state(document),
    }


def counts(status):
    return {**status.counts, "total": len(status.items)}


def status_as_dict(context, status, request):
    lang = current_language(request)
    share_url, print_url = bundle_urls(context, status)
    return {
        "@id": f"{context.absolute_url()}/@checklists/{status.checklist.id}",
        "id": status.checklist.id,
        "title": status.checklist.title(lang),
        "today": status.today.isoformat(),
        "complete": status.complete,
        "counts": counts(status),
        "items": [
            {
                "label": item_text(s.item, request),
                "types": [
                    {
                        "id": option.type_id,
                        "label": option_label(option, lang),
                        "max_age_months": option.max_age_months,
                        "max_age_days": option.max_age_days,
                    }
                    for option in s.item.options
                ],
                "state": s.state,
                "document": document_summary(s.document),
            }
            for s in status.items
        ],
        "valid_uids": [d.UID() for d in status.valid_documents],
        "share_url": share_url,
        "print_url": print_url,
    }


class ChecklistsGet(TraversingService):
    """The list of enabled checklists with counts, or one checklist item by item."""

    def reply(self):
        visible_spaces(self.context)  # Unauthorized first: no checklist ids for strangers
        if self.params:
            return self.one(self.params[0])
        lang = current_language(self.request)
        items = []
        for checklist in list_checklists(lang=lang):
            status = checklist_status(self.context, checklist.id)
            items.append(
                {
                    "@id": f"{self.context.absolute_url()}/@checklists/{checklist.id}",
                    "id": checklist.id,
                    "title": checklist.title(lang),
                    "complete": status.complete,
                    "counts": counts(status),
                }
            )
        return {
            "@id": f"{self.context.absolute_url()}/@checklists",
            "items": items,
            "items_total": len(items),
            "states": list(STATES),
        }

    def one(self, checklist_id):
        checklist = get_checklist(checklist_id)
        if len(self.params) > 1 or checklist is None or not checklist.enabled:
            raise RequestError(404, "unknown_checklist", *UNKNOWN)
        return status_as_dict(
            self.context, checklist_status(self.context, checklist_id), self.request
        )
