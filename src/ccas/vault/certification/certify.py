"""Seal a paper: PAdES-sign it when it is a PDF, sign the seal, register it."""

from ccas.vault.certification import pades
from ccas.vault.certification import registry
from ccas.vault.certification.keys import seal_name
from ccas.vault.certification.seal import make_seal
from ccas.vault.certification.seal import now_iso
from ccas.vault.encryption.blobs import encrypted_file
from ccas.vault.organisations import get_organisation
from ccas.vault.organisations import organisation_of
from persistent.mapping import PersistentMapping
from plone import api
import hashlib
import json


PDF = "application/pdf"


def certifier_of(user):
    """``{"by", "by_fullname", "organisation"}`` of a certifying user."""
    organisation = organisation_of(user)
    return {
        "by": user.getId() or user.getUserName(),
        "by_fullname": user.getProperty("fullname", "") or "",
        "organisation": organisation.id if organisation else "",
    }


def organisation_title(organisation_id):
    if not organisation_id:
        return ""
    info = get_organisation(organisation_id)
    if info is not None:
        return info.title
    return "CCAS" if organisation_id == "ccas" else organisation_id


def _reason(certifier, title):
    who = certifier["by_fullname"] or certifier["by"]
    return f"Document certifié par {title or 'le CCAS'} ({who})"


def seal_document(document, certifier, requester=None):
    """Certify ``document`` for ``certifier``; return the new ``document.certification``.

    ``requester`` (four-eyes certification, :mod:`ccas.vault.certification.four_eyes`):
    ``{"requested_by", "requested_by_fullname", "requested_at"}`` of the agent who
    asked; the seal then names both agents (``by`` is the one who validated).

    A PDF is first signed (PAdES) and stored signed, so that what the person
    downloads is what verifies; ``document.sha256`` becomes the hash of the
    stored bytes and the seal keeps the hash of the bytes as deposited too.
    """
    file = document.file
    # GED letters delivered by REST: PAdES later, by the signing queue (decision 0014).
    queued = file.contentType == PDF and bool(certifier.get("queue_pades"))
    # Their bytes are neither signed nor changed now: the seal covers the hash taken of
    # exactly these bytes when they were inspected and stored, without reading them again.
    data = None if queued and document.sha256 else file.data
    deposited = document.sha256 or hashlib.sha256(data).hexdigest()
    title = organisation_title(certifier["organisation"])
    pdf_signed = False
    if file.contentType == PDF and not queued:
        try:
            data = pades.sign_pdf(data, reason=_reason(certifier, title), location=seal_name())
            pdf_signed = True
        except pades.PdfSigningFailed:
            pdf_signed = False
        if pdf_signed:
            document.file = encrypted_file(data, PDF, file.filename, container=document)
    stored = deposited if data is None else hashlib.sha256(data).hexdigest()
    document.sha256 = stored
    seal = make_seal(
        sha256=stored,
        deposited_sha256=deposited,
        document_type=document.document_type,
        by=certifier["by"],
        by_fullname=certifier["by_fullname"],
        organisation=certifier["organisation"],
        organisation_title=title,
        origin=document.origin or "",
        certified_at=now_iso(),
        **(requester or {}),
    )
    payload = json.loads(seal["payload"])
    document.certification = PersistentMapping(
        by=payload["by"],
        by_fullname=payload["by_fullname"],
        organisation=payload["organisation"],
        organisation_title=payload["organisation_title"],
        at=payload["certified_at"],
        sha256=stored,
        deposited_sha256=deposited,
        document_type=payload["document_type"],
        origin=payload["origin"],
        pdf_signed=pdf_signed,
        **seal,
    )
    if requester:
        document.certification.update(requester, validated_by=payload["by"])
    registry.register(seal)
    if queued:
        from ccas.vault.certification import signing_queue

        signing_queue.enqueue(document)
    return document.certification


def mark_superseded(document):
    """Keep the registry's ``superseded`` flag in step with a replaced paper."""
    return registry.set_superseded(document.certification, True, now_iso())


def is_certified(document):
    return bool(getattr(document, "certification", None))


def current_user_certifier():
    return certifier_of(api.user.get_current())
