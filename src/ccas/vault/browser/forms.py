"""Staff forms that call the vault API: deposit a paper, certify a paper.

Plain forms (no JavaScript), protected by plone.protect's authenticator.  A
refusal re-shows the form with the API's French message (the intranet's
language) and stores nothing but the ``refused`` history line the API writes.
"""

from ccas.vault import _
from ccas.vault.api import documents
from ccas.vault.api.documents import HealthConfirmationRequired
from ccas.vault.api.errors import VaultError
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.document_types import list_document_types
from datetime import date
from plone import api
from plone.protect import CheckAuthenticator
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile


def _next_url(request, document):
    """Where a successful form sends the agent: back to the vault's page (``@@dossier``,
    decision 0045) when they came from it, else the paper."""
    if request.form.get("retour") == "dossier":
        from ccas.vault.lookup import vault_of

        return f"{vault_of(document).absolute_url()}/@@dossier"
    return document.absolute_url()


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class DepositForm(BrowserView):
    """``@@deposit`` on a private or shared space (``Deposit document``)."""

    template = ViewPageTemplateFile("templates/deposit.pt")
    error = None
    needs_health_confirmation = False

    def document_types(self):
        lang = "en" if self.request.get("LANGUAGE", "fr").startswith("en") else "fr"
        return [{"id": t.id, "label": t.label(lang)} for t in list_document_types()]

    def __call__(self):
        if self.request.method == "POST" and self.request.form.get("form.submitted"):
            CheckAuthenticator(self.request)
            document = self.deposit()
            if document is not None:
                api.portal.show_message(_("Paper deposited."), request=self.request)
                return self.request.response.redirect(_next_url(self.request, document), status=303)
            self.request.response.setStatus(400)
        return self.template()

    def deposit(self):
        form = self.request.form
        upload = form.get("file")
        if not upload or not getattr(upload, "filename", ""):
            self.error = _("Choose a file.")
            return None
        issued = _date(form.get("issued"))
        if form.get("issued") and issued is None:
            self.error = _("Write the date as YYYY-MM-DD, e.g. 2026-01-31.")
            return None
        try:
            return documents.deposit(
                self.context,
                data=upload.read(),
                filename=upload.filename,
                declared_type=upload.headers.get("Content-Type", ""),
                document_type=form.get("document_type", ""),
                title=form.get("title") or None,
                issued=issued,
                health_confirmed=bool(form.get("health_confirmed")),
            )
        except HealthConfirmationRequired as refusal:
            self.needs_health_confirmation = True
            self.error = refusal.message_fr
        except (DepositRefused, VaultError) as refusal:
            self.error = refusal.message_fr
        return None


class CertifyForm(BrowserView):
    """``@@certify`` on a paper (``Certify document``): confirm, then certify.

    With the four-eyes policy (``ccas.vault.policies.four_eyes``): "ask for the
    certification" on a deposited paper; "validate" or "refuse" (with a reason)
    on a paper awaiting certification.
    """

    template = ViewPageTemplateFile("templates/certify.pt")
    error = None

    def four_eyes(self):
        from ccas.vault.certification import four_eyes

        return four_eyes.is_active()

    def state(self):
        return api.content.get_state(self.context)

    def request_info(self):
        from ccas.vault.certification import four_eyes

        return four_eyes.pending_request(self.context)

    def __call__(self):
        if self.request.method == "POST" and self.request.form.get("form.submitted"):
            CheckAuthenticator(self.request)
            message = self.submit()
            if message is not None:
                api.portal.show_message(message, request=self.request)
                return self.request.response.redirect(
                    _next_url(self.request, self.context), status=303
                )
            self.request.response.setStatus(400)
        return self.template()

    def submit(self):
        from ccas.vault.certification import four_eyes

        try:
            if self.request.form.get("reject"):
                four_eyes.reject_certification(self.context, self.request.form.get("reason", ""))
                return _("Certification refused.")
            was_pending = self.state() == four_eyes.PENDING
            documents.certify(self.context)
        except VaultError as refusal:
            self.error = refusal.message_fr
            return None
        if self.state() == four_eyes.PENDING:
            return _(
                "Certification requested: a second agent of your organisation must validate it."
            )
        return _("Certification validated.") if was_pending else _("Paper certified.")
