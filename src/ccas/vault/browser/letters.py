"""@@courriers-en-attente: the GED letters waiting for a vault, for CCAS agents.

Agents see the reference, the person key, the type, the date and why the
letter waits — never its file nor its title: it is a person's letter and they
hold no mandate.  They may discard a letter with a reason (traced).
"""

from ccas.vault import _
from ccas.vault.api.errors import VaultError
from ccas.vault.api.vaults import vault_directory
from ccas.vault.browser.access import NO_STORE
from ccas.vault.document_types import label
from ccas.vault.history import api as history
from ccas.vault.letters import parking
from datetime import date
from datetime import datetime
from plone.protect import CheckAuthenticator
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate


REASON_LABELS = {
    "unknown_person": _("No vault for this person"),
    "ambiguous_person": _("Several vaults have this GED person id"),
    "vault_not_open": _("The vault is not open yet"),
    "no_letter_consent": _("The person did not accept the CCAS's letters"),
}
DISCARDED = _("The letter was discarded.")
RECENT_DISCARDS = 20


def _french_moment(iso):
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M") if iso else ""


class ParkedLettersView(BrowserView):
    """The table of parked letters, with a discard form per letter."""

    template = ViewPageTemplateFile("templates/parked_letters.pt")

    def __call__(self):
        parking.check_may_manage_parked()  # partner agents hold the permission, not the right
        self.message = None
        self.error = None
        if self.request.get("REQUEST_METHOD") == "POST" and self.request.form.get("discard"):
            self.discard()
        self.items = [self._row(item) for item in parking.list_parked()]
        self.discarded = self._recent_discards()
        self.request.response.setHeader("Cache-Control", NO_STORE)
        return self.template()

    def _t(self, message):
        return translate(message, context=self.request)

    def discard(self):
        CheckAuthenticator(self.request)
        reference = self.request.form.get("ged_reference", "")
        reason = self.request.form.get("reason", "")
        try:
            parking.discard(
                reference if isinstance(reference, str) else "",
                reason if isinstance(reason, str) else "",
            )
        except VaultError as error:
            self.error = error.message_fr
            return
        self.message = self._t(DISCARDED)

    def _row(self, item):
        person = item["person"]
        key, value = next(iter(person.items()))
        return {
            "ged_reference": item["ged_reference"],
            "person": f"{'Coffre' if key == 'vault' else 'GED'} {value}",
            "document_type": label(item["document_type"]) or item["document_type"],
            "issued": date.fromisoformat(item["issued"]).strftime("%d/%m/%Y")
            if item["issued"]
            else "",
            "parked_at": _french_moment(item["parked_at"]),
            "reason": self._t(REASON_LABELS.get(item["reason"], item["reason"])),
        }

    def _recent_discards(self):
        entries = [e for e in history.entries(vault_directory()) if e.action == "letter_discarded"]
        return [
            {
                "ged_reference": entry.details.get("ged_reference", ""),
                "when": _french_moment(entry.when),
                "by": entry.actor_fullname or entry.actor,
                "reason": entry.details.get("reason", ""),
            }
            for entry in reversed(entries[-RECENT_DISCARDS:])
        ]
