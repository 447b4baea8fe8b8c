"""What every REST service of the vault shares: errors, access refusals, request bodies.

The services are declared ``zope2.Public`` in ZCML: the people who act on a
vault (an agent recording a paper consent, a mandated agent depositing in the
shared space, a certifier) hold no ``View`` on the objects they act on, and a
refusal at publication time would always be a 401.  Instead, each service
names the vault permission it needs (``required_permission``), checked before
``reply`` runs; the API functions check it again.  A refusal is a 401 for
anonymous callers and a 403 for authenticated ones, in the same JSON shape as
the other errors, and the transaction is doomed.

Writing services lift plone.protect's CSRF protection like plone.restapi's
own (``disable_csrf``).  That is safe for JSON bodies, which a foreign page
cannot send without a CORS preflight, but these services also take form
posts (multipart): a form post (or any body not declared as JSON) coming from
another site (``Origin`` / ``Sec-Fetch-Site``) is refused (403) unless it
carries plone.protect's ``_authenticator`` token.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from ccas.vault import input_limits
from ccas.vault.api.errors import DuplicateVault
from datetime import date
from plone import api
from plone.protect.authenticator import check as check_authenticator
from plone.protect.interfaces import IDisableCSRFProtection
from plone.restapi.deserializer import json_body
from plone.restapi.exceptions import DeserializationError
from plone.restapi.services import Service
from urllib.parse import urlsplit
from zExceptions import Forbidden
from zope.interface import alsoProvides
from zope.interface import implementer
from zope.publisher.interfaces import IPublishTraverse
from ZPublisher.HTTPRequest import FileUpload
import base64
import binascii
import json
import re
import transaction


FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = ("true", "1", "on", "yes", "oui")
_FALSE = ("false", "0", "off", "no", "non", "")

REQUIRED = ("This field is required.", "Cette information est obligatoire.")
NOT_TEXT = ("This field must be text.", "Cette information doit être du texte.")
BAD_DATE = (
    "Use the format YYYY-MM-DD.",
    "Écrivez la date sous la forme AAAA-MM-JJ, par exemple 1980-05-17.",
)
BAD_BOOLEAN = ("Use true or false.", "Répondez par true (oui) ou false (non).")


class RequestError(Exception):
    """A request answered with a JSON error.

    The reply returns normally, so the transaction commits what the API wrote
    before refusing (a refused deposit keeps its ``refused`` history line).
    """

    def __init__(self, status, code, message, message_fr, fields=None, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.message_fr = message_fr
        self.fields = fields or {}
        self.extra = extra

    def as_dict(self):
        error = {"type": self.code, "message": self.message, "message_fr": self.message_fr}
        if self.fields:
            error["fields"] = {
                name: {"en": en, "fr": fr} for name, (en, fr) in sorted(self.fields.items())
            }
        error.update(self.extra)
        return {"error": error}


def invalid_fields(fields):
    """A 400 for missing or malformed fields (``fields``: name -> (English, French))."""
    return RequestError(
        400,
        "invalid_fields",
        "Some fields are missing or malformed: " + ", ".join(sorted(fields)),
        "Certaines informations manquent ou sont mal écrites. Corrigez-les, puis recommencez.",
        fields,
    )


def refused(error, status=400):
    """A ``VaultError`` / ``DepositRefused`` of the API as a ``RequestError``."""
    extra = {}
    if isinstance(error, DuplicateVault):
        status = 409
        extra["vault_ids"] = list(error.vault_ids)
    return RequestError(status, error.code, str(error), error.message_fr, **extra)


CROSS_SITE = (
    "A form posted from another site is refused.",
    "Cette demande vient d'un autre site. Elle est refusée.",
)


def media_type(request):
    return (request.getHeader("Content-Type", "") or "").split(";")[0].strip().lower()


def cross_site(request):
    """True when the browser says the request comes from another site."""
    origin = request.getHeader("Origin")
    if not origin:
        return request.getHeader("Sec-Fetch-Site", "") == "cross-site"
    own = urlsplit(api.portal.get().absolute_url())
    theirs = urlsplit(origin)
    return (theirs.scheme, theirs.netloc) != (own.scheme, own.netloc)


def check_not_forged(request):
    """Refuse a non-JSON write coming from another site without a CSRF token (403)."""
    if media_type(request) == "application/json":
        return
    try:
        check_authenticator(request)
    except Forbidden:
        if cross_site(request):
            raise RequestError(403, "cross_site_request", *CROSS_SITE) from None


def disable_csrf(request):
    """Like plone.restapi's own writing services: the JSON API is not form-based."""
    alsoProvides(request, IDisableCSRFProtection)


class VaultService(Service):
    """Base of the vault's services (see the module docstring)."""

    #: permission (title) checked on :meth:`permission_context` before ``reply``
    required_permission = None

    def permission_context(self):
        return self.context

    def check_permission(self):
        super().check_permission()
        if self.required_permission is not None:
            context = self.permission_context()
            if not getSecurityManager().checkPermission(self.required_permission, context):
                raise Unauthorized(f"{self.required_permission!r} is needed")

    def render(self):
        try:
            self.check_permission()
            if self.request.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
                check_not_forged(self.request)
            content = self.reply()
        except Unauthorized:
            transaction.doom()
            content = self.access_refused()
        except RequestError as error:
            self.request.response.setStatus(error.status)
            content = error.as_dict()
        self.request.response.setHeader("Cache-Control", "private, no-store")
        if isinstance(content, bytes | str):  # a file answer: the reply set its headers
            return content
        self.request.response.setHeader("Content-Type", self.content_type)
        return json.dumps(content, indent=2, sort_keys=True, separators=(", ", ": "))

    def access_refused(self):
        if api.user.is_anonymous():
            self.request.response.setStatus(401)
            return RequestError(
                401,
                "Unauthorized",
                "You must log in.",
                "Connectez-vous pour faire cette action.",
            ).as_dict()
        self.request.response.setStatus(403)
        return RequestError(
            403,
            "Forbidden",
            "You are not allowed to do this.",
            "Vous n'avez pas le droit de faire cette action.",
        ).as_dict()

    # --- request bodies ---------------------------------------------------

    def is_form_post(self):
        return media_type(self.request) in FORM_CONTENT_TYPES

    def body(self):
        """The JSON body, or the form fields of a multipart / urlencoded POST."""
        if self.is_form_post():
            return dict(self.request.form)
        try:
            return json_body(self.request)
        except DeserializationError as error:
            raise RequestError(
                400,
                "invalid_json",
                str(error),
                "La demande n'est pas du JSON valide.",
            ) from error


# --- field readers: each returns the value or records an error in ``errors`` ---


def text(data, name, errors, required=False, max_length=None):
    """A free-text field: real text (no control characters, no lone surrogates) of at most
    ``max_length`` characters (default: ``input_limits.max_length(name)``)."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = REQUIRED
        return None
    if not isinstance(value, str):
        errors[name] = NOT_TEXT
        return None
    problem = input_limits.text_problem(value, max_length or input_limits.max_length(name))
    if problem:
        errors[name] = problem
        return None
    value = value.strip()
    if required and not value:
        errors[name] = REQUIRED
        return None
    return value or None


def iso_date(data, name, errors, required=False):
    value = text(data, name, errors, required=required)
    if value is None:
        return None
    if not _ISO_DATE.match(value):
        errors[name] = BAD_DATE
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = BAD_DATE
        return None


def boolean(data, name, errors, default=False):
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    errors[name] = BAD_BOOLEAN
    return default


FILE_MISSING = ("A file is needed.", "Ajoutez un fichier.")
BAD_FILE = (
    'Send the file as {"filename", "content_type", "data"} with data in base64.',
    'Envoyez le fichier sous la forme {"filename", "content_type", "data"}, les données en base64.',
)
BAD_BASE64 = (
    "The file data is not valid base64.",
    "Les données du fichier ne sont pas en base64 valide.",
)


def uploaded_file(data, name):
    """``(bytes, filename, declared content type)`` of a JSON (base64) or multipart file.

    Raises a 400 ``RequestError``: ``file_missing`` or ``bad_base64``.
    """
    value = data.get(name)
    if isinstance(value, FileUpload):
        content = value.read()
        if not content and not value.filename:
            value = None
        else:
            declared = value.headers.get("Content-Type", "") if value.headers else ""
            return content, value.filename or "", declared
    if value is None or value == "":
        raise RequestError(
            400, "file_missing", FILE_MISSING[0], FILE_MISSING[1], {name: FILE_MISSING}
        )
    if not isinstance(value, dict) or not isinstance(value.get("data"), str):
        raise RequestError(400, "bad_file", BAD_FILE[0], BAD_FILE[1], {name: BAD_FILE})
    filename = value.get("filename") or ""
    declared = value.get("content_type") or ""
    if not isinstance(filename, str) or not isinstance(declared, str):
        raise RequestError(400, "bad_file", BAD_FILE[0], BAD_FILE[1], {name: BAD_FILE})
    try:
        content = base64.b64decode("".join(value["data"].split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise RequestError(
            400, "bad_base64", BAD_BASE64[0], BAD_BASE64[1], {name: BAD_BASE64}
        ) from error
    return content, filename, declared


def document_info(document):
    """What the deposit-like services answer about a paper."""
    file = document.file
    return {
        "@id": document.absolute_url(),
        "id": document.getId(),
        "UID": document.UID(),
        "title": document.title,
        "document_type": document.document_type,
        "sha256": document.sha256,
        "review_state": api.content.get_state(document),
        "content_type": file.contentType if file else None,
        "filename": file.filename if file else None,
        "size": file.getSize() if file else 0,
        "issued": document.issued.isoformat() if document.issued else None,
        "valid_until": document.valid_until.isoformat() if document.valid_until else None,
        "replaces": document.replaces,
    }


SCAN_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/webp")


def scanned_form(data, not_a_scan, name="form", vault=None):
    """The inspected scan of a signed paper form in ``data[name]``, as a ``NamedBlobFile``.

    Inspected like any deposit; only a PDF or a photo is a scan, else a 400
    ``form_not_a_scan`` with the ``not_a_scan`` (English, French) message. A
    refused file is traced in the history of ``vault`` (when given).
    """
    from ccas.vault.deposit.inspection import DepositRefused
    from ccas.vault.deposit.inspection import inspect_upload
    from ccas.vault.settings import get_setting
    from plone.namedfile.file import NamedBlobFile

    content, filename, declared = uploaded_file(data, name)
    try:
        inspected = inspect_upload(
            content,
            filename=filename,
            declared_type=declared,
            max_size=get_setting("max_upload_size_mb") * 1024 * 1024,
        )
    except DepositRefused as error:
        if vault is not None:
            from ccas.vault.history import api as history
            from zope.globalrequest import getRequest

            details = {"operation": "signed_form", "code": error.code, "filename": filename[:200]}
            disable_csrf(getRequest())  # the JSON API is not form-based: keep the trace
            history.record(vault, "refused", actor=api.user.get_current(), details=details)
        raise refused(error) from error
    if inspected.content_type not in SCAN_TYPES:
        raise RequestError(400, "form_not_a_scan", *not_a_scan, fields={name: not_a_scan})
    return NamedBlobFile(
        inspected.data, contentType=inspected.content_type, filename=inspected.filename
    )


def file_info(blob):
    """Name, type and size of a stored file (never its bytes), or ``None``."""
    if blob is None:
        return None
    return {"filename": blob.filename, "content_type": blob.contentType, "size": blob.getSize()}


@implementer(IPublishTraverse)
class TraversingService(VaultService):
    """A service that takes the names after it in the URL (``@service/a/b``) as ``params``."""

    def __init__(self, context, request):
        super().__init__(context, request)
        self.params = []

    def publishTraverse(self, request, name):
        self.params.append(name)
        return self
