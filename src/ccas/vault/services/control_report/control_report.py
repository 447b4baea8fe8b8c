"""Control reports as JSON (``items``) or CSV (``?format=csv``)."""

from ccas.vault.api import control_report
from ccas.vault.browser.access import NO_STORE
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import VaultService


BAD_FORMAT = ("Use format=csv or leave it out.", "Choisissez format=csv ou rien.")
NO_ORGANISATION = (
    "Name the organisation: ?organisation=<id>.",
    "Indiquez l'organisme : ?organisation=<identifiant>.",
)


class _ControlReportGet(VaultService):
    def rows(self):
        raise NotImplementedError

    def filename(self):
        raise NotImplementedError

    def reply(self):
        export = self.request.form.get("format")
        if export not in (None, "", "json", "csv"):
            raise RequestError(400, "bad_format", *BAD_FORMAT, fields={"format": BAD_FORMAT})
        rows = self.rows()
        if export == "csv":
            response = self.request.response
            response.setHeader("Content-Type", "text/csv; charset=utf-8")
            response.setHeader(
                "Content-Disposition", f'attachment; filename="{self.filename()}.csv"'
            )
            response.setHeader("Cache-Control", NO_STORE)
            return control_report.report_csv(rows).encode("utf-8")
        return {
            "@id": f"{self.context.absolute_url()}/@control-report",
            "items": rows,
            "items_total": len(rows),
            "flagged": sum(1 for row in rows if row["flagged"]),
        }


class MandateControlReportGet(_ControlReportGet):
    """Every action of the mandate's agents in the vault, matched against the mandate."""

    def rows(self):
        return control_report.mandate_report(self.context)

    def filename(self):
        return f"controle-{self.context.getId()}"


class OrganisationControlReportGet(_ControlReportGet):
    """``?organisation=<id>``: the same over all the organisation's mandates in the vault."""

    def organisation(self):
        value = self.request.form.get("organisation")
        if not isinstance(value, str) or not value.strip():
            raise RequestError(
                400, "invalid_fields", *NO_ORGANISATION, fields={"organisation": NO_ORGANISATION}
            )
        return value.strip()

    def rows(self):
        organisation = self.organisation()
        return control_report.organisation_report(organisation, self.context)

    def filename(self):
        return f"controle-{self.context.getId()}-{self.organisation()}"
