"""@@control-report on a mandate (staff intranet): the agents' actions, checked against it."""

from ccas.vault import _
from ccas.vault.api import control_report
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.views import ACTION_LABELS
from ccas.vault.browser.views import local_time
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile


STATUS_LABELS = {
    control_report.WITHIN: _("Within the mandate"),
    control_report.OUTSIDE: _("Outside the mandate"),
    control_report.REFUSED: _("Refused attempt"),
}
REFUSED_LABEL = _("Access refused")
ROW_CLASSES = {
    control_report.WITHIN: "",
    control_report.OUTSIDE: "table-warning",
    control_report.REFUSED: "table-danger",
}


class MandateControlReportView(BrowserView):
    """The control report of a mandate as a table; ``?format=csv`` downloads it.

    Declared ``zope2.Public``: the owner holds no View on a mandate and a
    records manager none on the vault; the API decides (``Unauthorized`` sends
    others to the login page).  Reading the report is not traced.
    """

    template = ViewPageTemplateFile("templates/control_report.pt")

    def __call__(self):
        self.report = control_report.mandate_report(self.context)
        response = self.request.response
        response.setHeader("Cache-Control", NO_STORE)
        if self.request.form.get("format") == "csv":
            response.setHeader("Content-Type", "text/csv; charset=utf-8")
            response.setHeader(
                "Content-Disposition",
                f'attachment; filename="controle-{self.context.getId()}.csv"',
            )
            return control_report.report_csv(self.report).encode("utf-8")
        return self.template()

    def csv_url(self):
        return f"{self.context.absolute_url()}/@@control-report?format=csv"

    def flagged(self):
        return sum(1 for row in self.report if row["flagged"])

    def rows(self):
        return [
            {
                "seq": row["seq"],
                "when": local_time(row["when"]),
                "when_iso": row["when"],
                "agent": row["agent_fullname"] or row["agent"],
                "organisation": row["organisation"],
                "action": REFUSED_LABEL
                if row["action"] in ("refused", "access_refused")
                else ACTION_LABELS.get(row["action"], row["action"]),
                "action_id": row["action"],
                "paper": row["paper"],
                "status": row["status"],
                "status_label": STATUS_LABELS[row["status"]],
                "css": ROW_CLASSES[row["status"]],
            }
            for row in self.report
        ]
