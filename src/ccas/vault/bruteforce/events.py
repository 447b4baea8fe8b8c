"""Publisher events: the answer to a locked login, the skin's headers."""

from ccas.vault import _
from ccas.vault.account.recovery import _now
from ccas.vault.bruteforce import headers
from ccas.vault.bruteforce.plugin import LOCKED
from zope.i18n import translate
import json
import math


def locked_message(request, until):
    minutes = max(1, math.ceil((until - _now()).total_seconds() / 60))
    message = _("Too many attempts. Try again in ${minutes} minutes.", mapping={"minutes": minutes})
    return translate(message, context=request)


def _wants_json(request):
    accept = request.getHeader("Accept", "") or ""
    last = str(request.get("PATH_INFO", "")).rstrip("/").rsplit("/", 1)[-1]
    return "application/json" in accept or last == "@login"


def answer_locked(request):
    """A locked login is answered ``429 Too Many Requests`` with ``Retry-After``."""
    until = request.other.get(LOCKED)
    if until is None:
        return
    response = request.response
    if 300 <= response.getStatus() < 400:
        return
    # an exception view (401 of a refused Basic auth) may have locked its answer
    response._locked_status = response._locked_body = False
    response.setStatus(429)
    response.setHeader("Retry-After", str(max(1, int((until - _now()).total_seconds()))))
    if _wants_json(request):
        body = {
            "error": {
                "type": "TooManyRequests",
                "code": "login_locked",
                "message": locked_message(request, until),
                "until": until.isoformat(),
            }
        }
        response.setHeader("Content-Type", "application/json")
        response.setBody(json.dumps(body), lock=True)


def before_answer(event):
    """``IPubBeforeCommit`` / ``IPubBeforeAbort``."""
    answer_locked(event.request)
    headers.apply(event.request)
