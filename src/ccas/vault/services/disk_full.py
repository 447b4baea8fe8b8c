"""A full disk answers ``507 insufficient_storage``: nothing stored, send again (decision 0041).

When the disk holding the blobs (or a temporary folder) is full, writing a
paper's file raises ``OSError(ENOSPC)``: while the request runs (a savepoint
copies the file) or while it commits (the file is moved into the blob
directory).  Either way Zope aborts the request's transaction, so nothing of
it is stored — no half-stored paper, no receipt.  Instead of plone.rest's
generic answer (a ``500`` naming ``OSError``, with a traceback for managers),
this exception view tells the caller that the server is out of space and
that the same request may be sent again later; any other ``OSError`` is
answered by plone.rest as before.  The operator reads the full error in the
event log.

Pages (a person adding a paper at ``/mon-coffre/ajouter``, an agent's form)
get :class:`DiskFullPage` instead of Plone's "an error occurred" page (or its
``{"error_type": "OSError"}``): a ``507`` page saying the same, in French then
English, from the same two sentences as the API's answer.
"""

from html import escape
from plone.rest.errors import ErrorHandling
from plone.rest.interfaces import IAPIRequest
from Products.Five import BrowserView
from zope.component import adapter
from zope.component import getSiteManager
from zope.interface import implementedBy
from zope.interface import Interface
from zope.interface import providedBy
import errno
import json
import logging


logger = logging.getLogger("ccas.vault")

#: The ``errno`` values of a full disk or an exhausted quota.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: Seconds a client is asked to wait before sending the request again.
RETRY_AFTER_SECONDS = 300

DISK_FULL = (
    "The server has no disk space left: nothing of this request was stored. Send it again later.",
    "Le serveur n'a plus d'espace disque : rien de cette demande n'a été enregistré. "
    "Renvoyez-la plus tard.",
)


def is_disk_full(error):
    """True when ``error``, or an error it was raised from, is a full disk."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
            return True
        error = error.__cause__ or error.__context__
    return False


def disk_full_body():
    message, message_fr = DISK_FULL
    return {"error": {"type": "insufficient_storage", "message": message, "message_fr": message_fr}}


def _log(request, error):
    logger.error(
        "disk full, %s %s answered 507: %s",
        request.get("REQUEST_METHOD"),
        request.get("PATH_INFO"),
        error,
    )


@adapter(OSError, IAPIRequest)
class DiskFullErrorHandling(ErrorHandling):
    """``index.html`` exception view of an ``OSError`` in a REST request."""

    def __call__(self):
        if not is_disk_full(self.context):
            return super().__call__()
        _log(self.request, self.context)
        response = self.request.response
        response.setHeader("Content-Type", "application/json")
        response.setHeader("Cache-Control", "private, no-store")
        response.setHeader("Retry-After", str(RETRY_AFTER_SECONDS))
        response.setStatus(507, lock=1)
        response.setBody(json.dumps(disk_full_body(), indent=2, sort_keys=True), lock=1)


PAGE = """<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_fr}</title></head>
<body>
<main>
<h1>{title_fr}</h1>
<p>{message_fr}</p>
<p lang="en">{message}</p>
</main>
</body>
</html>
"""


class DiskFullPage(BrowserView):
    """``index.html`` exception view of an ``OSError`` in a page request (not the API's)."""

    def __call__(self):
        if not is_disk_full(self.context):
            return self._plone_error_page()
        _log(self.request, self.context)
        message, message_fr = DISK_FULL
        response = self.request.response
        response.setHeader("Content-Type", "text/html; charset=utf-8")
        response.setHeader("Cache-Control", "private, no-store")
        response.setHeader("Retry-After", str(RETRY_AFTER_SECONDS))
        response.setStatus(507, lock=1)
        return PAGE.format(
            title_fr=escape("Le serveur est plein"),
            message_fr=escape(message_fr),
            message=escape(message),
        )

    def _plone_error_page(self):
        """Plone's own exception view, for every other ``OSError``."""
        factory = getSiteManager().adapters.lookup(
            (implementedBy(Exception), providedBy(self.request)), Interface, "index.html"
        )
        view = factory(self.context, self.request)
        view.__parent__ = getattr(self, "__parent__", None)
        return view()
