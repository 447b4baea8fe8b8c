"""@@mes-accompagnements: the vaults where the logged-in agent holds a mandate in force."""

from ccas.vault import _
from ccas.vault.api import accompaniments
from ccas.vault.browser.access import NO_STORE
from datetime import date
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate


SCOPE_LABELS = {
    "consult": _("Consult papers (preview)"),
    "extract": _("Download and print originals"),
    "deposit": _("Deposit papers"),
    "certify": _("Certify papers"),
    "share": _("Share on the person's behalf"),
    "account": _("Help with the account"),
}
UNTIL_REVOKED = _("Until revoked")
SOON_DAYS = 30


def french_date(iso):
    """``"17/05/1980"`` from an ISO date (empty for ``None``)."""
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


class MyAccompanimentsView(BrowserView):
    """A search box and the table of the agent's accompaniments, and those ending soon."""

    template = ViewPageTemplateFile("templates/accompaniments.pt")
    soon_days = SOON_DAYS

    def __call__(self):
        query = self.request.form.get("q", "")
        self.query = query if isinstance(query, str) else ""
        self.items = [self._row(item) for item in accompaniments.my_vaults(self.query)]
        self.ending_soon = [
            self._row(item) for item in accompaniments.mandates_ending_soon(SOON_DAYS)
        ]
        self.request.response.setHeader("Cache-Control", NO_STORE)
        return self.template()

    def _translate(self, message):
        return translate(message, context=self.request)

    def _row(self, item):
        return {
            "id": item["id"],
            "person": f"{item['first_name']} {item['last_name']}".strip(),
            "birth_date": french_date(item["birth_date"]),
            "ged_person_ids": ", ".join(item["ged_person_ids"]),
            "scopes": [self._translate(SCOPE_LABELS.get(s, s)) for s in item["scopes"]],
            "until": french_date(item["until"]) or self._translate(UNTIL_REVOKED),
            "until_iso": item["until"] or "",
            "url": item["dossier_url"],
        }
