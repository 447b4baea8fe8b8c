"""@ged-letters: the CCAS GED delivers letters (one, or a batch) and asks for their status.

Only ``Deliver GED letters`` holders (the ``GEDConnector`` accounts, and a
Manager acting as one) may call these services; they deposit, and read
nothing but their own receipts.  See docs/api.md, "GED letters".
"""

from ccas.vault import permissions
from ccas.vault.letters import BATCH_LIMIT
from ccas.vault.letters import receipts
from ccas.vault.letters import turns
from ccas.vault.letters.delivery import error_body
from ccas.vault.letters.delivery import receive_letter
from ccas.vault.letters.delivery import Result
from ccas.vault.letters.validation import reference_of
from ccas.vault.security import current_user_id
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import TraversingService
from ccas.vault.services.disk_full import is_disk_full
from transaction.interfaces import TransientError
from ZEO.Exceptions import ClientStorageError
from ZODB.POSException import POSError
import json
import logging
import transaction


logger = logging.getLogger("ccas.vault.letters")

#: Errors of the database itself: never a letter's fault, never answered per letter.
DATABASE_ERRORS = (TransientError, POSError, ClientStorageError)

TOO_MANY = (
    f"A batch carries at most {BATCH_LIMIT} letters.",
    f"Un lot contient au plus {BATCH_LIMIT} courriers.",
)
NOT_A_LIST = (
    'Send the letters as a JSON list, or as {"letters": [...]}.',
    'Envoyez les courriers sous la forme d\'une liste JSON, ou {"letters": [...]}.',
)
UNKNOWN_LETTER = (
    "No letter with this reference was delivered by your account.",
    "Aucun courrier portant cette référence n'a été déposé par votre compte.",
)
BUSY = (
    "This server is receiving other letters; send these again in a moment.",
    "Ce serveur reçoit déjà d'autres courriers ; renvoyez ceux-ci dans un moment.",
)
INTERNAL = (
    "This letter could not be received because of an internal error; send it again later.",
    "Ce courrier n'a pas pu être reçu à cause d'une erreur interne ; renvoyez-le plus tard.",
)


class _GEDService(TraversingService):
    required_permission = permissions.DELIVER_GED_LETTERS


def take_turn(response):
    """Wait for this process's turn to deliver (:mod:`ccas.vault.letters.turns`), else 503."""
    try:
        turns.take_turn()
    except turns.Busy:
        response.setHeader("Retry-After", str(turns.RETRY_AFTER_SECONDS))
        raise RequestError(503, "busy", *BUSY) from None


class _LetterFailed(Exception):
    """A letter of a batch failed unexpectedly (not a refusal)."""


class GEDLettersPost(_GEDService):
    """``POST @ged-letters`` (one letter) and ``POST @ged-letters/batch``."""

    def reply(self):
        disable_csrf(self.request)
        if self.params == ["batch"]:
            return self.batch()
        if self.params:
            raise RequestError(404, "not_found", "Unknown address.", "Adresse inconnue.")
        data = self.body()
        take_turn(self.request.response)
        result = receive_letter(data, current_user_id())
        self.request.response.setStatus(result.status_code)
        if result.status_code == 201:
            self.request.response.setHeader("Location", result.body["@id"])
        return result.body

    def batch(self):
        try:  # plone.restapi's json_body takes objects only; a batch may be a plain list
            data = json.loads(self.request.get("BODY") or b"null")
        except ValueError as error:
            raise RequestError(
                400, "invalid_json", str(error), "La demande n'est pas du JSON valide."
            ) from error
        letters = data.get("letters") if isinstance(data, dict) else data
        if not isinstance(letters, list):
            raise RequestError(400, "invalid_batch", *NOT_A_LIST, fields={"letters": NOT_A_LIST})
        if len(letters) > BATCH_LIMIT:
            raise RequestError(400, "batch_too_large", *TOO_MANY, fields={"letters": TOO_MANY})
        connector = current_user_id()
        take_turn(self.request.response)
        results = [
            {
                "index": index,
                "ged_reference": reference_of(letter),
                "status": result.status_code,
                "body": result.body,
            }
            for index, (letter, result) in enumerate(
                zip(letters, self.receive_batch(letters, connector), strict=True)
            )
        ]
        counts = {}
        for item in results:
            counts[str(item["status"])] = counts.get(str(item["status"]), 0) + 1
        return {"results": results, "items_total": len(results), "statuses": counts}

    @classmethod
    def receive_batch(cls, letters, connector):
        """The result of every letter of a batch, in order.

        The batch runs under one savepoint: a refused letter (4xx) writes nothing,
        so letters need no savepoint of their own while none fails.  A letter
        failing unexpectedly rolls the batch back to its start, and the batch is
        received again with one savepoint per letter (:meth:`one`): the failing
        letter leaves nothing behind and the others are delivered.
        """
        savepoint = transaction.savepoint()
        try:
            return [cls.unguarded(letter, connector) for letter in letters]
        except _LetterFailed:
            savepoint.rollback()
        return [cls.one(letter, connector) for letter in letters]

    @staticmethod
    def unguarded(letter, connector):
        """One letter without a savepoint; an unexpected failure raises ``_LetterFailed``."""
        try:
            return receive_letter(letter, connector)
        except DATABASE_ERRORS:
            raise
        except Exception as error:
            if is_disk_full(error):  # the server's fault: the whole batch answers 507
                raise
            raise _LetterFailed from error

    @staticmethod
    def one(letter, connector):
        """One letter of a batch, in a savepoint: a failing letter leaves nothing behind."""
        savepoint = transaction.savepoint()
        try:
            result = receive_letter(letter, connector)
        except DATABASE_ERRORS:
            # Conflicts are retried by the publisher; a lost ZEO server or another
            # database fault fails the whole batch, which the GED sends again.
            raise
        except Exception as error:
            if is_disk_full(error):  # nor is a full disk (507, disk_full.py): nothing stored
                raise
            savepoint.rollback()
            logger.exception("GED letter %r not received", reference_of(letter))
            return Result(500, error_body("internal_error", *INTERNAL))
        if result.status_code >= 400:
            savepoint.rollback()
        return result


class GEDLetterStatus(_GEDService):
    """``GET @ged-letters/{ged_reference}``: the delivery status, never the content."""

    def reply(self):
        if len(self.params) != 1:
            raise RequestError(404, "not_found", "Unknown address.", "Adresse inconnue.")
        receipt = receipts.get_receipt(self.params[0])
        # Another connector's letter is answered like an unknown one (no enumeration).
        if receipt is None or receipt.connector != current_user_id():
            raise RequestError(404, "unknown_letter", *UNKNOWN_LETTER)
        return receipt.status_info()
