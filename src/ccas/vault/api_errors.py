"""A 404, a refusal or a malformed request of the REST API also answers in the add-on's error shape.

plone.rest's error view answers ``{"type", "message", "context"}``; the add-on's
documented ``Error`` is ``{"error": {"type", "message", "message_fr"}}``.  An address
that does not exist (an unknown vault, paper or mandate in the path) and a body Zope
cannot parse (a broken ``multipart/form-data``), both found by the fuzzing test, now
carry both: plone.restapi clients keep their keys, the add-on's clients get the
documented shape with its French text.  So does a refusal made by Zope at traversal
(an anonymous caller stopped by ``ccas.vault: Reach vault pages``, decision 0031):
the same answer as the services' own refusals.

An exception made by :func:`route_error` carries its own ``error`` object (a precise type
and message, in English and French): the add-on's answers to Plone's own routes called
with an incomplete request (``plone_routes.py``, decision 0042).
"""

from plone.rest.errors import ErrorHandling
from plone.rest.interfaces import IAPIRequest
from zExceptions import BadRequest
from zExceptions import Forbidden
from zExceptions import NotFound
from zExceptions import Unauthorized
from zope.component import adapter


class _WithAddonError(ErrorHandling):
    """plone.rest's answer, plus the add-on's ``error`` object."""

    error = {}

    def render_exception(self, exception):
        result = super().render_exception(exception)
        if result is not None:  # None: plone.app.redirector answered with a redirect
            result["error"] = dict(getattr(exception, "addon_error", None) or self.error)
        return result


def route_error(exception_class, type_, message, message_fr):
    """``exception_class(message)`` answered with the add-on's ``error`` object
    ``{"type": type_, "message": message, "message_fr": message_fr}``."""
    exception = exception_class(message)
    exception.addon_error = {"type": type_, "message": message, "message_fr": message_fr}
    return exception


@adapter(NotFound, IAPIRequest)
class NotFoundHandling(_WithAddonError):
    error = {
        "type": "not_found",
        "message": "Nothing at this address.",
        "message_fr": "Rien à cette adresse.",
    }


@adapter(BadRequest, IAPIRequest)
class BadRequestHandling(_WithAddonError):
    error = {
        "type": "bad_request",
        "message": "The request is malformed.",
        "message_fr": "La demande est mal formée.",
    }


@adapter(Unauthorized, IAPIRequest)
class UnauthorizedHandling(_WithAddonError):
    error = {
        "type": "Unauthorized",
        "message": "You must log in.",
        "message_fr": "Connectez-vous pour faire cette action.",
    }


@adapter(Forbidden, IAPIRequest)
class ForbiddenHandling(_WithAddonError):
    error = {
        "type": "Forbidden",
        "message": "You are not allowed to do this.",
        "message_fr": "Vous n'avez pas le droit de faire cette action.",
    }
