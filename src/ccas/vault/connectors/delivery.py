"""Storing what a connector brings: one paper in the person's shared space, all or nothing.

:func:`deliver` is the one way in, for pull connectors (through :mod:`.run`) and push
connectors (their own code).  The paper is deposited through the deposit API (inspection,
encryption, history), typed with the delivery's document type, of origin ``partner``, named
after its source; the attachments (the raw answer) are kept encrypted beside it
(``document.connector_files``); it is certified with the CCAS seal naming the source and the
date when asked; a refresh (``delivery.replaces_older``) replaces (*supersedes*) the older
paper of the same connector and type.
The same ``reference`` again stores nothing and returns the paper delivered before.

Any error propagates: the caller's transaction is aborted by the publisher, or by
:func:`ccas.vault.connectors.run.run_connector`, which stores nothing half-way
(a savepoint is rolled back).
"""

from AccessControl.SecurityManagement import getSecurityManager
from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import setSecurityManager
from AccessControl.users import UnrestrictedUser
from BTrees.OOBTree import OOBTree
from ccas.vault.api import documents
from ccas.vault.certification.certify import mark_superseded
from ccas.vault.connectors.interfaces import ConnectorError
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.encryption.blobs import encrypted_file
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from contextlib import contextmanager
from datetime import datetime
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from plone import api
from zope.annotation.interfaces import IAnnotations


ORIGIN = "partner"
INDEX = "ccas.vault.connectors.deliveries"  # "<connector>|<reference>" -> document UID
ACTOR_PREFIX = "connecteur:"


class ConnectorUser(UnrestrictedUser):
    """Passes every check (like the system) but carries the connector's id."""

    def getId(self):
        return self.name


@contextmanager
def as_connector(name):
    previous = getSecurityManager()
    newSecurityManager(None, ConnectorUser(ACTOR_PREFIX + name, "", (), []))
    try:
        yield
    finally:
        setSecurityManager(previous)


def _index(vault):
    annotations = IAnnotations(vault)
    index = annotations.get(INDEX)
    if index is None:
        index = annotations[INDEX] = OOBTree()
    return index


def delivered(vault, connector_name, reference):
    """The paper already delivered for this reference, or ``None``."""
    index = IAnnotations(vault).get(INDEX)
    uid = index.get(f"{connector_name}|{reference}") if index is not None else None
    return api.content.get(UID=uid) if uid else None


def format_day(iso):
    """``dd/mm/yyyy`` of an ISO moment, in its own offset (the product's clock: Paris)."""
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y")


def certifier(connector, delivery):
    """Who the seal names: the CCAS, for the source, on the date of the fetch."""
    return {
        "by": ACTOR_PREFIX + connector.name,
        "by_fullname": f"{delivery.source}, via {connector.title_fr}, "
        f"le {format_day(delivery.fetched_at)}",
        "organisation": "ccas",
    }


def papers_of(space):
    """The papers directly in ``space`` (a Dexterity container: no meta_type filter)."""
    return [obj for obj in space.objectValues() if obj.portal_type == "VaultDocument"]


def _previous(space, connector_name, delivery, keep):
    """The papers ``keep`` (a refresh) supersedes: same connector and type, whatever the
    source (a family quotient from the MSA replaces the CAF's)."""
    if not delivery.replaces_older:
        return
    for document in papers_of(space):
        info = getattr(document, "connector_info", None)
        if (
            document.UID() != keep.UID()
            and info
            and info.get("connector") == connector_name
            and document.document_type == delivery.document_type
            and api.content.get_state(document) != "superseded"
        ):
            yield document


def deliver(vault, connector, delivery, on_behalf_of="", actor=None):
    """Store ``delivery`` (a :class:`Delivery`) in ``vault``; return ``(document, created)``.

    No permission check here: the caller decided (the run checks the deposit permission,
    a push connector's script runs as the system).  ``actor``: who asked (a user id), for
    the history; the paper's depositor is the connector.
    """
    if not delivery.fetched_at:
        raise ConnectorError(
            "delivery without fetched_at", "Réponse incomplète du connecteur.", code="incomplete"
        )
    existing = delivered(vault, connector.name, delivery.reference)
    if existing is not None:
        return existing, False
    space = vault[SHARED_SPACE_ID]
    with as_connector(connector.name):
        document = documents.deposit(
            space,
            data=delivery.data,
            filename=delivery.filename,
            declared_type=delivery.content_type,
            document_type=delivery.document_type,
            title=delivery.title,
            issued=delivery.issued,
            valid_until=delivery.valid_until,
            origin=ORIGIN,
            health_confirmed=True,
            on_behalf_of=on_behalf_of,
        )
    with as_system():
        document.connector_info = PersistentMapping(
            connector=connector.name,
            source=delivery.source,
            fetched_at=delivery.fetched_at,
            reference=delivery.reference,
            asked_by=actor or "",
        )
        document.connector_files = PersistentList(
            encrypted_file(item.data, item.content_type, item.filename, container=space)
            for item in delivery.attachments
        )
        if delivery.certify:
            document._v_certifier = dict(certifier(connector, delivery))
            try:
                api.content.transition(obj=document, transition="certify")
            finally:
                del document._v_certifier
        for older in list(_previous(space, connector.name, delivery, document)):
            older.replaced_by = document.UID()
            document.replaces = older.UID()
            api.content.transition(obj=older, transition="supersede")
            mark_superseded(older)
            history.record(
                vault,
                "replace",
                actor=ACTOR_PREFIX + connector.name,
                target=older,
                details={"replaced_by": document.UID()},
            )
        document.reindexObject()
    _index(vault)[f"{connector.name}|{delivery.reference}"] = document.UID()
    history.record(
        vault,
        "connector_delivery",
        actor=actor or ACTOR_PREFIX + connector.name,
        target=document,
        details={
            "connector": connector.name,
            "source": delivery.source,
            "reference": delivery.reference[:200],
            **{str(k): str(v)[:200] for k, v in (delivery.details or {}).items()},
        },
        on_behalf_of=on_behalf_of,
    )
    return document, True
