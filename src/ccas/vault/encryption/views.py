"""The page shown when a file cannot be decrypted: a clear French message, never a byte."""

from ccas.vault import _
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate


TITLE = _("File not available")
NO_MASTER_KEY = _(
    "The encryption key of the safe cannot be found: no file can be read or stored. "
    "Please tell the administrator of the safe."
)
UNDECIPHERABLE = _(
    "This file cannot be decrypted: it was altered or its key was destroyed. "
    "It is not served, and the incident is recorded."
)


class EncryptionErrorView(BrowserView):
    """Exception view of :class:`~ccas.vault.encryption.errors.EncryptionError`.

    Rendered after the request failed, when the language negotiation may be gone:
    the language is the request's, else the site's default (French).
    """

    template = ViewPageTemplateFile("error.pt")

    def __call__(self):
        response = self.request.response
        response.setStatus(500)  # plone.transformchain sets 500 again from the class anyway
        response.setHeader("Content-Type", "text/html; charset=utf-8")
        response.setHeader("Cache-Control", "no-store")
        response.setHeader("Content-Disposition", "inline")
        return self.template()

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
        from ccas.vault.encryption.errors import MasterKeyMissing

        missing = isinstance(self.context, MasterKeyMissing)
        return self._(NO_MASTER_KEY if missing else UNDECIPHERABLE)
