"""``/mon-coffre/fermer``: take everything first, then close, with the grace period explained.

1. ``fermer/telecharger``: the export (a zip of every paper, the index and the
   history: :func:`ccas.vault.export.build_export`), traced ``download``.
2. The closing form: it asks for the export first (a ``download``/``export``
   entry in the history), then a ticked box; :func:`request_closure` starts the
   grace period (``closing_grace_days``).
3. While the vault is *closing*: the day everything will be deleted, the export
   still available, and a "Keep my vault" button (:func:`cancel_closure`).
"""

from ccas.vault import _
from ccas.vault.api import closing
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.public.owner_pages import OwnerPage
from ccas.vault.export import build_export
from ccas.vault.export import export_filename
from ccas.vault.history import api as history
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.interface import alsoProvides


def last_export(vault):
    """When the owner last downloaded the export (ISO text), or ``None``."""
    for entry in reversed(history.entries(vault)):
        if entry.action == "download" and entry.details.get("what") == "export":
            return entry.when
    return None


class ClosingPage(OwnerPage):
    """``coffre-fermer`` and ``fermer/telecharger``."""

    section = "compte"
    template = ViewPageTemplateFile("templates/fermer.pt")
    subpaths = ("telecharger",)

    @property
    def state(self):
        return api.content.get_state(self.vault)

    @property
    def closing(self):
        return self.state == "closing"

    def grace_days(self):
        return closing._grace_days()

    def deletion_day(self):
        due = closing.deletion_due(self.vault)
        return self.day(due) if due is not None else ""

    def exported(self):
        """When the export was downloaded, in words, or ``None``."""
        when = last_export(self.vault)
        return self.moment(when) if when else None

    def done(self):
        return {
            "demande": _("Your request is recorded."),
            "garde": _("Your safe stays open. Nothing is deleted."),
        }.get(self.request.form.get("fait"))

    def download_url(self):
        return self.url("fermer/telecharger")

    def update(self):
        if self.subpath == ["telecharger"]:
            return self._export()
        form = self.request.form
        if form.get("close"):
            return self._close()
        if form.get("keep"):
            return self._keep()
        return None

    def _export(self):
        alsoProvides(self.request, IDisableCSRFProtection)  # a GET that writes its trace
        data = build_export(self.vault)
        response = self.request.response
        response.setHeader("Content-Type", "application/zip")
        response.setHeader("Content-Disposition", f'attachment; filename="{export_filename()}"')
        response.setHeader("Content-Length", str(len(data)))
        response.setHeader("X-Content-Type-Options", "nosniff")
        return data

    def _close(self):
        self.check_post()
        if self.closing:
            return self.redirect("fermer")
        if not last_export(self.vault):
            self.add_error(
                "export",
                _("First download your papers. Click on “Download all my papers”."),
            )
        if not self.request.form.get("confirm"):
            self.add_error("confirm", _("Tick the box to say you want to close your safe."))
        if self.errors:
            return None
        try:
            closing.request_closure(self.vault)
        except VaultError as refusal:
            self.add_error("form", refusal.message_fr)
            return None
        return self.redirect("fermer", fait="demande")

    def _keep(self):
        self.check_post()
        try:
            closing.cancel_closure(self.vault)
        except VaultError as refusal:
            self.add_error("form", refusal.message_fr)
            return None
        return self.redirect("fermer", fait="garde")
