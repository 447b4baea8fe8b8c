"""Limits on what a client may send: real text of a sensible length, JSON not too deep.

Found by the hostile tests of issue 19 (decision 0038):

* a 30 MB ``title`` was stored by ``@deposit``: every free-text field the services read
  (``services.base.text``) has a maximum length (:data:`MAX_LENGTHS`, else
  :data:`DEFAULT_MAX_LENGTH`), answered 400 ``invalid_fields`` with a French message;
* a lone surrogate (``"x\\ud800y"``) in a title reached the history, whose canonical JSON
  cannot be encoded in UTF-8 (500): strings holding lone surrogates, NUL or other control
  characters (tab and line breaks allowed) are refused the same way;
* a JSON body nested 50,000 levels deep ended in a ``RecursionError`` (500) *before
  authentication*, on any URL: plone.restapi's JWT plugin parses every
  ``application/json`` body to look for credentials.  :func:`refuse_deep_json_body`, an
  ``IPubStart`` subscriber, measures the nesting of every request body that is not a form
  (without recursion, in linear time) and answers 400 ``json_too_deep`` before any plugin
  reads it.  :func:`json_depth` is also used before the add-on's own ``json.loads`` of form
  fields.
"""

from itertools import accumulate
from zExceptions import BadRequest
import json
import re


#: deepest JSON the add-on accepts; its own documents nest 4 levels at most
MAX_JSON_DEPTH = 100
#: characters of a free-text field, unless :data:`MAX_LENGTHS` says otherwise
DEFAULT_MAX_LENGTH = 500
MAX_LENGTHS = {
    "title": 300,
    "reason": 2000,
    "purpose": 2000,
    "note": 2000,
    "comment": 2000,
    "message": 2000,
    "description": 2000,
    "place": 300,
    "with_whom": 300,
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 40,
    "login": 100,
    "document_type": 100,
}

_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in _BRACKETS)
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}

BAD_CHARACTERS = (
    "This text holds characters that are not allowed (control characters or broken Unicode).",
    "Ce texte contient des caractères interdits (caractères de contrôle ou mal codés). "
    "Retapez-le, sans copier-coller.",
)


def max_length(name):
    return MAX_LENGTHS.get(name, DEFAULT_MAX_LENGTH)


def too_long(limit):
    """The (English, French) message of a text longer than ``limit`` characters."""
    return (
        f"This text is too long: {limit} characters at most.",
        f"Ce texte est trop long : {limit} caractères au maximum. Raccourcissez-le.",
    )


def text_problem(value, limit):
    """``None`` for real text of at most ``limit`` characters, else (English, French)."""
    if len(value) > limit:
        return too_long(limit)
    if _NOT_TEXT.search(value):
        return BAD_CHARACTERS
    return None


def has_bad_characters(value):
    return bool(_NOT_TEXT.search(value))


def json_depth(body, limit=MAX_JSON_DEPTH):
    """Nesting depth of the JSON text ``body`` (bytes or str), without recursion.

    Brackets inside strings do not count.  When the body has no more than ``limit``
    opening brackets, it cannot be deeper: the count is the answer's bound and the scan is
    skipped.  Malformed JSON gets a depth too (its parser refuses it later).
    """
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    if body.count(b"[") + body.count(b"{") <= limit:
        return min(body.count(b"[") + body.count(b"{"), limit)
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(0, max(accumulate(_STEP[byte] for byte in brackets)))


def too_deep(body, limit=MAX_JSON_DEPTH):
    return json_depth(body, limit) > limit


def loads(text, limit=MAX_JSON_DEPTH):
    """``json.loads`` that raises ``ValueError`` for JSON nested deeper than ``limit``."""
    if too_deep(text, limit):
        raise ValueError(f"JSON nested deeper than {limit} levels")
    return json.loads(text)


# --- the guard at publication start ------------------------------------------------------

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class JSONTooDeep(BadRequest):
    """A request body nested too deep: answered 400 by :class:`JSONTooDeepView`."""


def refuse_deep_json_body(event):
    """``IPubStart`` subscriber: a body (not a form) nested deeper than allowed is a 400.

    Runs before the inputs are read, before traversal and authentication, so no PAS plugin
    (plone.restapi's JWT and ``@login`` extraction) nor service ever parses it.
    """
    request = event.request
    if request.environ.get("REQUEST_METHOD", "GET") == "GET":
        return  # Zope does not read a GET's body
    content_type = (request.environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if content_type in _FORM_TYPES:
        return
    if _body_too_deep(request):
        # Raising here would end the publisher's ``transaction_pubevents`` before its
        # ``yield`` (a 500): the refusal is raised by the first step of ``publish``
        # instead, reading the inputs, on this request only.
        request.processInputs = _refuse_inputs


def _refuse_inputs():
    raise JSONTooDeep()


#: how much of the body :func:`_body_too_deep` holds at once while counting brackets
CHUNK = 1 << 20


def _body_too_deep(request, limit=MAX_JSON_DEPTH):
    """Whether the request body is JSON nested deeper than ``limit``.

    Read from the input stream, which Zope keeps seekable (it reads it again for
    ``BODY`` and on a conflict retry); the position is put back.  ``request.get("BODY")``
    cannot be used here: the inputs are not processed yet, and it would keep an empty body.
    A body that does not start with a bracket is not JSON; one with no more than
    ``limit`` brackets in all cannot be too deep: both are decided chunk by chunk, without
    holding the body.  Only a body with more brackets is read whole and scanned.
    """
    stream = getattr(request, "stdin", None)
    if stream is None:
        return False
    try:
        position = stream.tell()
    except Exception:
        return False  # not seekable: leave it to the parsers
    try:
        stream.seek(0)
        chunk = stream.read(CHUNK)
        if chunk.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] not in (b"[", b"{"):
            return False
        brackets = 0
        while chunk:
            brackets += chunk.count(b"[") + chunk.count(b"{")
            if brackets > limit:
                stream.seek(0)
                return too_deep(stream.read(), limit)
            chunk = stream.read(CHUNK)
        return False
    finally:
        stream.seek(position)


class JSONTooDeepView:
    """The 400 answer to :class:`JSONTooDeep`: the documented error shape, no traceback."""

    def __init__(self, context, request):
        self.context = context
        self.request = request

    def __call__(self):
        response = self.request.response
        response.setStatus(400, lock=True)
        response.setHeader("Content-Type", "application/json")
        return json.dumps(
            {
                "error": {
                    "type": "json_too_deep",
                    "message": f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.",
                    "message_fr": "La demande est mal formée : trop de niveaux imbriqués.",
                }
            },
            ensure_ascii=False,
        )
