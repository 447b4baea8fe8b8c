"""The answer when a file cannot be decrypted: a clear message, never a byte.

A browser gets a French page; a JSON client (``Accept: application/json``,
``++api++``, a plone.rest service) gets the API's documented error shape
``{"error": {"type", "message", "message_fr"}}`` (docs/api.md): ``503
master_key_missing`` when the server has lost its master key (the operator
restores the key folder, then the same request works again), ``500
file_undecipherable`` when one file or its key was altered or destroyed.
"""

from ccas.vault import _
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate
import json


TITLE = _("File not available")
NO_MASTER_KEY = _(
    "The encryption key of the safe cannot be found: no file can be read or stored. "
    "Please tell the administrator of the safe."
)
UNDECIPHERABLE = _(
    "This file cannot be decrypted: it was altered or its key was destroyed. "
    "It is not served, and the incident is recorded."
)

#: (status, type, English message) of the JSON answers.
JSON_MASTER_KEY_MISSING = (
    503,
    "master_key_missing",
    "The server cannot find its encryption master key: no file can be read or stored "
    "until the administrator restores it.",
)
JSON_UNDECIPHERABLE = (
    500,
    "file_undecipherable",
    "This file cannot be decrypted: it was altered or its key was destroyed. It is not served.",
)


def wants_json(request):
    """True for a REST request (``++api++``, a plone.rest service) or a JSON ``Accept``."""
    from plone.rest.interfaces import IAPIRequest

    if IAPIRequest.providedBy(request):
        return True
    accept = request.getHeader("Accept") or ""
    return "application/json" in accept and "text/html" not in accept


class EncryptionErrorView(BrowserView):
    """Exception view of :class:`~ccas.vault.encryption.errors.EncryptionError`.

    Rendered after the request failed, when the language negotiation may be gone:
    the language is the request's, else the site's default (French).
    """

    template = ViewPageTemplateFile("error.pt")

    def __call__(self):
        response = self.request.response
        response.setHeader("Cache-Control", "no-store")
        if wants_json(self.request):
            return self.json_error()
        response.setStatus(500)  # plone.transformchain sets 500 again from the class anyway
        response.setHeader("Content-Type", "text/html; charset=utf-8")
        response.setHeader("Content-Disposition", "inline")
        return self.template()

    def json_error(self):
        status, type_, message = (
            JSON_MASTER_KEY_MISSING if self.missing_master_key() else JSON_UNDECIPHERABLE
        )
        body = {"error": {"type": type_, "message": message, "message_fr": self.message_fr()}}
        response = self.request.response
        response.setHeader("Content-Type", "application/json")
        response.setStatus(status, lock=1)
        response.setBody(json.dumps(body, indent=2, sort_keys=True), lock=1)
        return response.body

    def missing_master_key(self):
        from ccas.vault.encryption.errors import MasterKeyMissing

        return isinstance(self.context, MasterKeyMissing)

    def message_fr(self):
        return translate(
            NO_MASTER_KEY if self.missing_master_key() else UNDECIPHERABLE, target_language="fr"
        )

    def language(self):
        language = self.request.get("LANGUAGE")
        if not language:
            try:
                from plone import api

                language = api.portal.get_default_language()
            except Exception:
                language = "fr"
        return (language or "fr").split("-")[0]

    def _(self, message):
        return translate(message, target_language=self.language())

    def title(self):
        return self._(TITLE)

    def message(self):
        return self._(NO_MASTER_KEY if self.missing_master_key() else UNDECIPHERABLE)
