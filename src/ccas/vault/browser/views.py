"""@@preview of a paper and @@vault-history of a vault (staff intranet)."""

from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault.browser.access import ALL
from ccas.vault.browser.access import history_scope
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.access import traced_preview
from ccas.vault.browser.access import visible_entries
from ccas.vault.history import api as history
from datetime import datetime
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zoneinfo import ZoneInfo


PARIS = ZoneInfo("Europe/Paris")

ACTION_LABELS = {
    "deposit": _("Deposit"),
    "view": _("View"),
    "preview": _("Preview"),
    "download": _("Download"),
    "print": _("Print"),
    "share": _("Share"),
    "unshare": _("End of a share"),
    "certify": _("Certification"),
    "certification_requested": _("Certification requested"),
    "certification_rejected": _("Certification refused"),
    "replace": _("Replacement"),
    "delete": _("Deletion"),
    "consent": _("Consent"),
    "mandate_created": _("Mandate created"),
    "mandate_signed": _("Mandate signed"),
    "mandate_revoked": _("Mandate revoked"),
    "mandate_expired": _("Mandate expired"),
    "login": _("Login"),
    "public_identity_linked": _("Public identity linked"),
    "public_identity_unlinked": _("Public identity unlinked"),
    "open": _("Vault opened"),
    "close_requested": _("Closure requested"),
    "close_cancelled": _("Closure cancelled"),
    "closed": _("Vault closed"),
    "expired": _("Paper expired"),
    "renewed": _("Paper valid again"),
    "account_help": _("Account help"),
    "password_reset_started": _("New password asked for"),
    "password_reset_completed": _("New password chosen"),
    "password_changed": _("Password changed"),
    "account_locked": _("Too many attempts: access blocked for a while"),
    "recovery_options_changed": _("Account settings changed"),
    "reminder_sent": _("Expiry reminder sent"),
    "appointment_added": _("Appointment recorded"),
    "appointment_cancelled": _("Appointment cancelled"),
    "appointment_reminder_sent": _("Appointment reminder sent"),
    "refused": _("Refused file"),
    "access_refused": _("Access refused"),
    "share_opened": _("Shared copy downloaded"),
    "share_locked": _("Share locked (wrong codes)"),
    "share_expired": _("End of a share (date reached)"),
    "share_stopped": _("End of a share (mandate ended or paper replaced)"),
    "letter_parked": _("CCAS letter waiting"),
    "letter_delivered": _("CCAS letter received"),
    "letter_discarded": _("CCAS letter discarded"),
    "pdf_signed": _("PDF signature added"),
    "pdf_signing_failed": _("PDF signature impossible (seal kept)"),
    "policy_applied": _("Rule switched on or changed"),
    "policy_reverted": _("Rule switched off"),
    "policy_refused": _("Rule change refused (access)"),
    "welcome_sheet_printed": _("Welcome sheet printed"),
    "configuration_imported": _("Configuration imported"),
    "validity_recomputed": _("Validity of the papers of a type recomputed"),
    "connector_consent": _("Consent to a connector"),
    "connector_consent_revoked": _("Consent to a connector withdrawn"),
    "connector_delivery": _("Paper fetched by a connector"),
    "connector_failed": _("Connector failed (nothing kept)"),
}


def local_time(when):
    """``"17/05/2026 14:03"`` (Europe/Paris) from a history timestamp."""
    try:
        return datetime.fromisoformat(when).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    except (TypeError, ValueError):
        return when


class PreviewView(BrowserView):
    """The watermarked PNG preview (the same as the ``@preview`` service)."""

    def __call__(self):
        return traced_preview(self.context, self.request)


class VaultHistoryView(BrowserView):
    """The vault's history as a table: all of it for the owner, their own actions for an agent.

    Declared ``zope2.Public``: a mandated agent holds no View on the vault; the
    view decides (``Unauthorized`` sends others to the login page).  Reading
    the history is not traced.
    """

    template = ViewPageTemplateFile("templates/vault_history.pt")

    def __call__(self):
        self.scope = history_scope(self.context)
        if self.scope is None:
            raise Unauthorized("Reading this history is not allowed")
        self.request.response.setHeader("Cache-Control", NO_STORE)
        return self.template()

    @property
    def everything(self):
        return self.scope == ALL

    def intact(self):
        return history.verify(self.context) is None

    def rows(self):
        rows = []
        for entry in visible_entries(self.context, self.scope):
            rows.append(
                {
                    "seq": entry.seq,
                    "when": local_time(entry.when),
                    "when_iso": entry.when,
                    "actor": entry.actor_fullname or entry.actor,
                    "on_behalf_of": entry.on_behalf_of,
                    "action": ACTION_LABELS.get(entry.action, entry.action),
                    "action_id": entry.action,
                    "target": entry.target_title,
                    "details": ", ".join(
                        f"{key}: {value}" for key, value in sorted(entry.details.items())
                    ),
                }
            )
        return rows
