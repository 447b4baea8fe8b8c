"""Receiving a GED letter: validate, make it idempotent, deliver or park it.

``receive_letter`` answers like the REST service: 201 delivered, 200 the same
letter again, 409 the same reference with other bytes, 202 parked, 400
malformed.  Delivery runs with the rights of the system but under the GED
connector's id, so that the paper's depositor and the history name the GED.
"""

from AccessControl.SecurityManagement import getSecurityManager
from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import setSecurityManager
from AccessControl.users import UnrestrictedUser
from ccas.vault import roles
from ccas.vault.api import documents
from ccas.vault.content.mail_folder import ensure_mail_folder
from ccas.vault.letters import parking
from ccas.vault.letters import persons
from ccas.vault.letters import receipts
from ccas.vault.letters import sources
from ccas.vault.letters.validation import LetterInvalid
from ccas.vault.letters.validation import parse_letter
from ccas.vault.letters.validation import reference_of
from ccas.vault.notifications import notify_person
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import replace
from plone import api
from zope.interface import implementer


PARK_REASONS_FR = {
    persons.UNKNOWN_PERSON: "Aucun coffre-fort ne correspond à cette personne.",
    persons.AMBIGUOUS_PERSON: "Plusieurs coffres-forts correspondent à cet identifiant GED.",
    persons.VAULT_NOT_OPEN: "Le coffre-fort n'est pas ouvert.",
    persons.NO_LETTER_CONSENT: "La personne n'a pas accepté de recevoir les courriers du CCAS.",
    persons.NO_CONNECTOR_CONSENT: (
        "La personne n'a pas accepté de recevoir les papiers de ce partenaire."
    ),
}


@dataclass(frozen=True)
class Result:
    status_code: int
    body: dict


class _Depositor(UnrestrictedUser):
    """Passes every check (like the system) but carries the GED connector's id."""

    def getId(self):
        return self.name


@contextmanager
def as_depositor(connector):
    previous = getSecurityManager()
    newSecurityManager(None, _Depositor(connector or "ged", "", (roles.GED_CONNECTOR,), []))
    try:
        yield
    finally:
        setSecurityManager(previous)


def mail_folder(vault):
    """The shared space's "Courrier du CCAS" folder (see ``content.mail_folder``)."""
    return ensure_mail_folder(vault)


def _portal_path():
    return "/".join(api.portal.get().getPhysicalPath())


def document_url(receipt):
    return api.portal.get().absolute_url() + receipt.document_path


@implementer(sources.ILetterSource)
class GEDSource:
    """The CCAS GED (decision 0010): letters to the "Courrier du CCAS" folder, sealed."""

    origin = "ged"

    def key(self, sender, reference):
        return reference

    def missing_consent(self, vault, sender):
        return None if vault.receive_ccas_letters else persons.NO_LETTER_CONSENT

    def store(self, vault, letter, receipt, data):
        folder = mail_folder(vault)
        with as_depositor(receipt.connector):
            document = documents.deposit(
                folder, origin=self.origin, **deposit_arguments(letter, data)
            )
        # Sealed now; the PAdES signature of a PDF is made by the signing queue (decision 0014).
        documents.certify_ged_letter(
            document,
            queue_pades=True,
            history_actor=parking.user_of(documents.GED_CERTIFIER["by"]),
        )
        return document, notify_person(vault, "new_ccas_letter")


def deposit_arguments(letter, data=None):
    """The arguments of ``documents.deposit`` for ``letter`` (a Letter, or a ParkedLetter
    whose file's bytes are ``data``)."""
    return {
        "data": letter.data if data is None else data,
        "filename": letter.file.filename if data is not None else letter.filename,
        "document_type": letter.document_type,
        "title": letter.title,
        "issued": letter.issued,
        "valid_until": letter.valid_until,
        "inspected": getattr(letter, "inspected", None) if data is None else None,
    }


def deliver(vault, letter, receipt, data=None):
    """Deposit ``letter`` (a Letter or a ParkedLetter) in ``vault`` as its source stores it
    (the GED: the mail folder, certified); the receipt says *delivered*."""
    document, channel = sources.source_of(receipt.source).store(vault, letter, receipt, data)
    receipt.status = receipts.DELIVERED
    receipt.delivered_at = receipts.now_iso()
    receipt.vault_id = vault.getId()
    receipt.document_path = "/".join(document.getPhysicalPath())[len(_portal_path()) :]
    receipt.document_uid = document.UID()
    receipt.sha256 = document.sha256
    if data is not None:
        # A parked letter leaves the site-level trace it entered.  A letter delivered
        # at once is traced in its vault's history and its receipt only: one shared
        # trace written by every delivery would make concurrent batches conflict.
        details = {
            "ged_reference": receipt.reference,
            "vault": vault.getId(),
            "notified_by": channel or "none",
        }
        if receipt.source != sources.GED:
            details["source"] = receipt.source
        parking.trace("letter_delivered", details, actor=receipt.connector)
    return document


def answer(receipt):
    """The answer for a letter already received (the same reference and bytes)."""
    if receipt.status == receipts.DELIVERED:
        return Result(200, delivered_body(receipt))
    if receipt.status == receipts.PARKED:
        return Result(202, parked_body(receipt))
    return Result(200, receipt.status_info())


def delivered_body(receipt):
    return {
        "ged_reference": receipt.reference,
        "status": receipts.DELIVERED,
        "@id": document_url(receipt),
        "UID": receipt.document_uid,
        "sha256": receipt.sha256,
        "delivered_at": receipt.delivered_at,
    }


def parked_body(receipt):
    return {
        "ged_reference": receipt.reference,
        "status": receipts.PARKED,
        "reason": receipt.parked_reason,
        "reason_fr": PARK_REASONS_FR.get(receipt.parked_reason, ""),
        "sha256": receipt.sha256,
        "parked_at": receipt.parked_at,
    }


def error_body(code, message, message_fr, fields=None, reference=None):
    error = {"type": code, "message": message, "message_fr": message_fr}
    if fields:
        error["fields"] = {name: {"en": en, "fr": fr} for name, (en, fr) in sorted(fields.items())}
    body = {"error": error}
    if reference:
        body["ged_reference"] = reference
    return body


def invalid(error, data):
    return Result(
        400,
        error_body(
            error.code,
            str(error),
            "Ce courrier est incomplet ou mal formé. Corrigez les informations indiquées.",
            error.fields,
            reference_of(data),
        ),
    )


def conflict(reference):
    return Result(
        409,
        error_body(
            "reference_conflict",
            "This GED reference was already received with another file.",
            "Cette référence GED a déjà été reçue avec un autre fichier.",
            reference=reference,
        ),
    )


def receive_letter(data, connector, source=sources.GED):
    """Receive one letter (a dict of fields) from ``connector`` (a user id); a :class:`Result`.

    ``source``: who sends it (:mod:`.sources`): the GED, or ``partner:<organisation id>``
    for a partner's drop folder, whose reference is then keyed per partner.
    """
    try:
        letter = parse_letter(data)
    except LetterInvalid as error:
        return invalid(error, data)
    if source != sources.GED:
        letter = replace(letter, ged_reference=sources.key_of(source, letter.ged_reference))
    receipt = receipts.get_receipt(letter.ged_reference)
    if receipt is not None:
        if receipt.received_sha256 != letter.received_sha256:
            return conflict(letter.ged_reference)
        return answer(receipt)
    receipt = receipts.Receipt(
        letter.ged_reference, connector, letter.received_sha256, letter.sha256, source
    )
    receipts.add_receipt(receipt)
    vault, reason = persons.resolve(letter.person_kind, letter.person_id, source)
    if reason is None:
        deliver(vault, letter, receipt)
        return Result(201, delivered_body(receipt))
    parking.park(letter, reason, receipt)
    return Result(202, parked_body(receipt))
