"""Event subscribers: certification records and traces that every route must leave."""

from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from datetime import datetime
from datetime import UTC
from persistent.mapping import PersistentMapping
from plone import api


def record_certification(document, event):
    """After the ``certify`` transition: who, when, which bytes, and a trace."""
    if event.transition is None or event.transition.getId() != "certify":
        return
    user = api.user.get_current()
    document.certification = PersistentMapping(
        by=user.getId(),
        by_fullname=user.getProperty("fullname", "") or "",
        organisation="",
        at=datetime.now(UTC).isoformat(),
        sha256=document.sha256 or "",
        document_type=document.document_type or "",
    )
    history.record(vault_of(document), "certify", actor=user, target=document)


def record_deletion(document, event):
    """A paper deleted on its own (not with its whole vault) leaves a trace."""
    if event.object is not document:
        return
    vault = vault_of(event.oldParent)
    if vault is not None:
        history.record(
            vault,
            "delete",
            target=None,
            details={"document": document.getId(), "title": document.title or ""},
        )
