"""Parse a GED letter (a JSON dict or the fields of a multipart form) into clean values.

Every problem is reported field by field, in English and French, as
``LetterInvalid``; a file the deposit inspection refuses is reported on the
``file`` field with the inspection's own code and messages.
"""

from ccas.vault import input_limits
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.deposit.inspection import inspect_upload
from ccas.vault.deposit.inspection import InspectedFile
from ccas.vault.document_types import get_document_type
from ccas.vault.settings import get_setting
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from ZPublisher.HTTPRequest import FileUpload
import base64
import binascii
import hashlib
import re


REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TITLE = 300

REQUIRED = ("This field is required.", "Cette information est obligatoire.")
NOT_TEXT = ("This field must be text.", "Cette information doit être du texte.")
BAD_REFERENCE = (
    "Use 1 to 200 letters, digits, '.', '_', ':' or '-', starting with a letter or a digit.",
    "Utilisez de 1 à 200 lettres, chiffres, « . », « _ », « : » ou « - », "
    "en commençant par une lettre ou un chiffre.",
)
BAD_PERSON = (
    'Give the person as {"vault": "<vault id>"} or {"ged_person_id": "<id>"}, not both.',
    'Indiquez la personne sous la forme {"vault": "<identifiant du coffre>"} ou '
    '{"ged_person_id": "<identifiant>"}, pas les deux.',
)
UNKNOWN_TYPE = ("Unknown document type.", "Ce type de papier n'existe pas.")
HEALTH_TYPE = (
    "The CCAS does not send health documents into vaults.",
    "Le CCAS n'envoie pas de papiers de santé dans les coffres-forts.",
)
TOO_LONG = ("This text is too long.", "Ce texte est trop long.")
BAD_DATE = (
    "Use the format YYYY-MM-DD.",
    "Écrivez la date sous la forme AAAA-MM-JJ, par exemple 2026-11-23.",
)
BEFORE_ISSUE = (
    "The end of validity cannot come before the issue date.",
    "La fin de validité ne peut pas être avant la date du courrier.",
)
BAD_FILE = (
    'Send the file as {"filename", "content_type", "data"} with data in base64.',
    'Envoyez le fichier sous la forme {"filename", "content_type", "data"}, les données en base64.',
)
BAD_BASE64 = (
    "The file data is not valid base64.",
    "Les données du fichier ne sont pas en base64 valide.",
)
NOT_AN_OBJECT = ("A letter must be a JSON object.", "Un courrier doit être un objet JSON.")


class LetterInvalid(ValueError):
    """A malformed letter: ``fields`` maps a field name to (English, French)."""

    def __init__(self, fields, code="invalid_fields"):
        super().__init__("Some fields are missing or malformed: " + ", ".join(sorted(fields)))
        self.fields = dict(fields)
        self.code = code


@dataclass(frozen=True)
class Letter:
    """A valid letter, its file inspected and ready to be stored."""

    ged_reference: str
    person_kind: str  # "vault" or "ged"
    person_id: str
    document_type: str
    title: str
    issued: date
    valid_until: date | None
    data: bytes  # the inspected (stored) bytes
    content_type: str
    filename: str
    sha256: str  # of ``data``
    received_sha256: str  # of the bytes the GED sent: the idempotency check
    #: the inspection's answer for ``data`` (the deposit then does not inspect it again)
    inspected: InspectedFile | None = field(default=None, compare=False, repr=False)

    @property
    def person_key(self):
        return f"{self.person_kind}:{self.person_id}"


def _text(data, name, errors, required=True, limit=MAX_TITLE):
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = REQUIRED
        return None
    if not isinstance(value, str):
        errors[name] = NOT_TEXT
        return None
    value = value.strip()
    if not value:
        if required:
            errors[name] = REQUIRED
        return None
    if len(value) > limit:
        errors[name] = TOO_LONG
        return None
    if input_limits.has_bad_characters(value):  # lone surrogates, NUL (decision 0038)
        errors[name] = input_limits.BAD_CHARACTERS
        return None
    return value


def _date(data, name, errors, required=True):
    value = _text(data, name, errors, required=required)
    if value is None:
        return None
    if not ISO_DATE.match(value):
        errors[name] = BAD_DATE
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = BAD_DATE
        return None


def reference_of(data):
    """The letter's ``ged_reference`` if it is well formed, else ``None``."""
    if not isinstance(data, dict):
        return None
    value = data.get("ged_reference")
    if isinstance(value, str) and REFERENCE.match(value.strip()):
        return value.strip()
    return None


def _person(data, errors):
    value = data.get("person")
    if value is None and ("person_vault" in data or "person_ged_id" in data):
        value = {}
        if data.get("person_vault"):
            value["vault"] = data["person_vault"]
        if data.get("person_ged_id"):
            value["ged_person_id"] = data["person_ged_id"]
    if isinstance(value, str):  # a JSON field of a multipart form
        try:
            value = input_limits.loads(value)  # not nested too deep (decision 0038)
        except ValueError:
            value = None
    if value is None or value == {}:
        errors["person"] = REQUIRED
        return None, None
    if not isinstance(value, dict):
        errors["person"] = BAD_PERSON
        return None, None
    given = {key: value.get(key) for key in ("vault", "ged_person_id") if value.get(key)}
    if len(given) != 1 or set(value) - {"vault", "ged_person_id"}:
        errors["person"] = BAD_PERSON
        return None, None
    ((key, person_id),) = given.items()
    if not isinstance(person_id, str) or not person_id.strip() or len(person_id) > 100:
        errors["person"] = BAD_PERSON
        return None, None
    return ("vault" if key == "vault" else "ged"), person_id.strip()


def _document_type(data, errors):
    type_id = _text(data, "document_type", errors, limit=100)
    if type_id is None:
        return None
    info = get_document_type(type_id)
    if info is None or not info.enabled:
        errors["document_type"] = UNKNOWN_TYPE
        return None
    if info.health:
        errors["document_type"] = HEALTH_TYPE
        return None
    return type_id


def max_size():
    return get_setting("max_upload_size_mb") * 1024 * 1024


def raw_file(data, errors):
    """``(bytes, filename)`` of the letter's file (base64 JSON or multipart), or ``None``."""
    value = data.get("file")
    if isinstance(value, FileUpload):
        value.seek(0, 2)  # refuse a huge upload before reading it into memory
        too_large = value.tell() > max_size()
        value.seek(0)
        if too_large:
            errors["file"] = _too_large()
            return None
        content = value.read()
        if content or value.filename:
            return content, value.filename or ""
        value = None
    if isinstance(value, bytes):  # the drop-folder importer
        return value, data.get("filename") or ""
    if value is None or value == "":
        errors["file"] = REQUIRED
        return None
    if not isinstance(value, dict) or not isinstance(value.get("data"), str):
        errors["file"] = BAD_FILE
        return None
    filename = value.get("filename") or ""
    if not isinstance(filename, str) or not isinstance(value.get("content_type") or "", str):
        errors["file"] = BAD_FILE
        return None
    encoded = "".join(value["data"].split())
    if len(encoded) > (max_size() // 3 + 1) * 4 + 4:  # refuse before decoding
        errors["file"] = _too_large()
        return None
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        errors["file"] = BAD_BASE64
        return None
    return content, filename


def _too_large():
    refusal = DepositRefused(
        "too_large",
        {"limit": f"{get_setting('max_upload_size_mb')} MB"},
        {"limit": f"{get_setting('max_upload_size_mb')} Mo"},
    )
    return str(refusal), refusal.message_fr


def parse_letter(data, inspect=True):
    """A :class:`Letter` from a letter dict; raises :class:`LetterInvalid`.

    The file is inspected like any deposit (type by content, size limit,
    hostile files refused); ``inspect=False`` is for callers that only need
    the reference and the received bytes' hash.
    """
    if not isinstance(data, dict):
        raise LetterInvalid({"letter": NOT_AN_OBJECT})
    errors = {}
    reference = _text(data, "ged_reference", errors, limit=200)
    if reference is not None and not REFERENCE.match(reference):
        errors["ged_reference"] = BAD_REFERENCE
    person_kind, person_id = _person(data, errors)
    document_type = _document_type(data, errors)
    title = _text(data, "title", errors)
    issued = _date(data, "issued", errors)
    valid_until = _date(data, "valid_until", errors, required=False)
    if issued and valid_until and valid_until < issued:
        errors["valid_until"] = BEFORE_ISSUE
    raw = raw_file(data, errors)
    if errors:
        raise LetterInvalid(errors)
    content, filename = raw
    stored, content_type, sha256, inspected = content, "", "", None
    if inspect:
        try:
            inspected = inspect_upload(content, filename=filename, max_size=max_size())
        except DepositRefused as refusal:
            raise LetterInvalid(
                {"file": (str(refusal), refusal.message_fr)}, refusal.code
            ) from None
        stored, content_type = inspected.data, inspected.content_type
        filename, sha256 = inspected.filename, inspected.sha256
    # A PDF is stored as received: its bytes are hashed once.
    same = sha256 and stored == content
    received_sha256 = sha256 if same else hashlib.sha256(content).hexdigest()
    sha256 = sha256 or received_sha256
    return Letter(
        ged_reference=reference,
        person_kind=person_kind,
        person_id=person_id,
        document_type=document_type,
        title=title,
        issued=issued,
        valid_until=valid_until,
        data=stored,
        content_type=content_type,
        filename=filename,
        sha256=sha256,
        received_sha256=received_sha256,
        inspected=inspected,
    )
