"""Depositing, replacing and certifying the papers of a vault."""

from Acquisition import aq_parent
from ccas.vault import permissions
from ccas.vault.api.errors import VaultError
from ccas.vault.certification.certify import mark_superseded
from ccas.vault.content.adding import add_to_structure
from ccas.vault.content.vault_document import ORIGINS
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.deposit.inspection import inspect_upload
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import validity_end
from ccas.vault.encryption.blobs import encrypted_file
from ccas.vault.history import api as history
from ccas.vault.ids import new_id
from ccas.vault.lookup import vault_of
from ccas.vault.security import as_system
from ccas.vault.security import check_permission
from ccas.vault.settings import get_setting
from DateTime import DateTime
from datetime import datetime
from datetime import UTC
from plone import api


class HealthConfirmationRequired(VaultError):
    code = "health_confirmation"

    def __init__(self, type_label):
        super().__init__(
            f"{type_label}: health documents need an explicit confirmation",
            "Attention : ce papier parle de votre santé. Le coffre-fort n'est pas fait pour "
            "garder des papiers de santé. Si vous voulez quand même le garder, confirmez.",
        )


def deposit(
    space,
    *,
    data,
    document_type,
    filename="",
    declared_type="",
    title=None,
    issued=None,
    valid_until=None,
    origin="upload",
    health_confirmed=False,
    on_behalf_of="",
    inspected=None,
):
    """Store a paper in ``space`` (a private or shared space) and return it.

    The file is inspected first (type by content, size limit, metadata
    stripped, hostile files refused): a refusal raises ``DepositRefused`` and
    stores nothing but a ``refused`` line in the vault's history.  Needs
    ``Deposit document`` on the space, which only the owner (and agents with
    the deposit scope, in the shared space) hold while the vault is open.
    """
    check_permission(permissions.DEPOSIT, space)
    vault = vault_of(space)
    user = api.user.get_current()
    info = get_document_type(document_type)
    if info is None or not info.enabled:
        raise VaultError(
            f"Unknown document type {document_type!r}",
            "Ce type de papier n'existe pas.",
            code="unknown_document_type",
        )
    if origin not in ORIGINS:
        raise VaultError(f"Unknown origin {origin!r}", "Origine inconnue.", code="unknown_origin")
    if info.health and not health_confirmed:
        raise HealthConfirmationRequired(info.label_en)
    if inspected is not None and inspected.data != data:
        inspected = None  # not the inspection of these bytes: inspect them
    try:
        # ``inspected``: what inspect_upload answered for exactly these bytes (the GED
        # letters are inspected when parsed), so that they are not inspected twice.
        inspected = inspected or inspect_upload(
            data,
            filename=filename,
            declared_type=declared_type,
            max_size=get_setting("max_upload_size_mb") * 1024 * 1024,
        )
    except DepositRefused as refusal:
        history.record(
            vault,
            "refused",
            actor=user,
            details={"operation": "deposit", "code": refusal.code, "filename": filename[:200]},
            on_behalf_of=on_behalf_of,
        )
        raise
    if valid_until is None:
        valid_until = validity_end(document_type, issued)
    with as_system():
        document = add_to_structure(
            space,
            "VaultDocument",
            new_id(space, "d", 6),
            title=title or info.label_fr,
            document_type=document_type,
            issued=issued,
            valid_until=valid_until,
            origin=origin,
        )
        document.file = encrypted_file(
            inspected.data, inspected.content_type, inspected.filename, container=space
        )
        document.sha256 = inspected.sha256
        document.deposited_by = user.getId()
        document.deposited_at = datetime.now(UTC).isoformat()
        document.health_confirmed = bool(info.health)
        # Set now, so that nothing (e.g. the @workflow endpoint) sets it later.
        document.setEffectiveDate(DateTime())
        document.manage_delLocalRoles(list(document.users_with_local_role("Owner")))
        document.reindexObject()
    history.record(
        vault,
        "deposit",
        actor=user,
        target=document,
        details={"sha256": inspected.sha256, "space": space.getId(), "origin": origin},
        on_behalf_of=on_behalf_of,
    )
    if certifies_on_deposit(user, space, vault):
        certify(document)
    return document


def certifies_on_deposit(user, space, vault):
    """True when ``user`` deposits as a certifier: an agent of an organisation that
    may certify, holding ``VaultCertifier`` on the shared space (never the owner)."""
    from Acquisition import aq_chain
    from ccas.vault import roles
    from ccas.vault.content.spaces import ISharedSpace
    from ccas.vault.organisations import organisation_of

    if user is None or not any(ISharedSpace.providedBy(obj) for obj in aq_chain(space)):
        return False
    local = user.getRolesInContext(space)
    if roles.VAULT_OWNER in local or roles.VAULT_CERTIFIER not in local:
        return False
    organisation = organisation_of(user)
    return organisation is not None and organisation.may_certify


def replace(document, *, data, filename="", declared_type="", issued=None, valid_until=None):
    """Deposit a newer version of ``document``; the old one becomes *superseded*.

    Certified papers cannot be modified, only replaced this way; both versions
    stay, linked by ``replaces`` / ``replaced_by``.
    """
    space = aq_parent(document)
    check_permission(permissions.DEPOSIT, space)
    if api.content.get_state(document) == "superseded":
        raise VaultError(
            "This paper was already replaced",
            "Ce papier a déjà été remplacé par une version plus récente.",
            code="already_superseded",
        )
    if document.certification:
        # Rule 7: a certified paper is replaced only by someone who may certify.
        check_permission(permissions.CERTIFY, space)
    newer = deposit(
        space,
        data=data,
        filename=filename,
        declared_type=declared_type,
        document_type=document.document_type,
        title=document.title,
        issued=issued,
        valid_until=valid_until,
        origin=document.origin,
        health_confirmed=True,
    )
    with as_system():
        newer.replaces = document.UID()
        document.replaced_by = newer.UID()
        api.content.transition(obj=document, transition="supersede")
        mark_superseded(document)
    history.record(
        vault_of(document), "replace", target=document, details={"replaced_by": newer.UID()}
    )
    from ccas.vault.sharing.links import stop_links_that_may_not_serve

    stop_links_that_may_not_serve(vault_of(document))  # links to the old version stop (0037)
    return newer


def certify(document):
    """Certify ``document`` (agents of a certifying organisation, in the shared space).

    The workflow's ``certify`` transition does it; the certification record
    is written by :func:`ccas.vault.subscribers.record_certification`, so the
    ``@workflow`` REST endpoint and this function behave the same.
    """
    check_permission(permissions.CERTIFY, document)
    from ccas.vault.certification import four_eyes

    if four_eyes.is_active():
        # Four-eyes policy: ask (deposited) or validate (pending_certification).
        return four_eyes.certify_step(document)
    api.content.transition(obj=document, transition="certify")
    return document.certification


#: Who the seal names for letters delivered by the CCAS GED.
GED_CERTIFIER = {"by": "ged", "by_fullname": "GED du CCAS", "organisation": "ccas"}


def certify_ged_letter(document, queue_pades=False, history_actor=None):
    """Certify a letter the CCAS GED delivered: the seal names the CCAS GED, not a person.

    ``queue_pades``: seal now, PAdES-sign later (the signing queue, decision 0014).
    ``history_actor``: the user object of ``GED_CERTIFIER["by"]`` when the caller has it.

    The GED connector holds no ``Certify document`` permission: the transition
    runs as the system and :func:`ccas.vault.subscribers.record_certification`
    takes the certifier from ``_v_certifier``.
    """
    with as_system():
        document._v_certifier = dict(
            GED_CERTIFIER, queue_pades=queue_pades, history_actor=history_actor
        )
        try:
            api.content.transition(obj=document, transition="certify")
        finally:
            del document._v_certifier
    return document.certification
