"""``@@ccas-indicateurs`` (table, charts, filters) and ``@@ccas-indicateurs.csv``."""

from ccas.vault import _
from ccas.vault.indicators import charts
from ccas.vault.indicators import compute
from ccas.vault.indicators import csv as csv_export
from ccas.vault.indicators.labels import label
from ccas.vault.indicators.labels import section_ids
from ccas.vault.indicators.labels import SECTIONS
from plone import api
from Products.Five.browser import BrowserView
from zope.i18n import translate
import re


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_MONTHS = 36
FRENCH_MONTHS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
BAD_MONTH = _("Choose the months as year and month, for example 2026-11.")
BAD_RANGE = _("The first month comes after the last one.")
TOO_LONG = _("Choose at most 36 months.")
BAD_ORGANISATION = _("This organisation does not exist.")


class _Filters:
    """Months and organisation asked in the request, checked; ``error`` when refused."""

    def __init__(self, request):
        from ccas.vault.organisations import list_organisations

        form = request.form
        first, last = compute.default_range()
        self.error = None
        asked_first = (form.get("from") or "").strip()
        asked_last = (form.get("to") or "").strip()
        if asked_first or asked_last:
            asked_first = asked_first or first
            asked_last = asked_last or last
            if not (MONTH.match(asked_first) and MONTH.match(asked_last)):
                self.error = BAD_MONTH
            elif asked_first > asked_last:
                self.error = BAD_RANGE
            elif len(compute.month_range(asked_first, asked_last)) > MAX_MONTHS:
                self.error = TOO_LONG
            else:
                first, last = asked_first, asked_last
        self.first, self.last = first, last
        self.choices = [(info.id, info.title) for info in list_organisations(include_disabled=True)]
        organisation = (form.get("organisation") or "").strip()
        if organisation and organisation not in dict(self.choices):
            self.error = self.error or BAD_ORGANISATION
            organisation = ""
        self.organisation = organisation


class _Base(BrowserView):
    def language(self):
        return api.portal.get_current_language() or "fr"

    def translate(self, message):
        return translate(message, context=self.request, target_language=self.language())


class IndicatorsView(_Base):
    """The indicators of the chosen months, for every organisation or one."""

    def update(self):
        self.filters = _Filters(self.request)
        self.result = compute.compute(self.filters.first, self.filters.last)
        if self.filters.error:
            self.request.response.setStatus(400)

    def __call__(self):
        self.update()
        return self.index()

    # --- what the template shows -----------------------------------------------------

    def error(self):
        return self.translate(self.filters.error) if self.filters.error else ""

    def month_label(self, month):
        year, number = month.split("-")
        if self.language() == "fr":
            return f"{FRENCH_MONTHS[int(number) - 1]} {year}"
        return month

    def months(self):
        return [{"id": m, "label": self.month_label(m)} for m in self.result.months]

    def organisations(self):
        return [{"id": "", "title": self.translate(_("All organisations"))}] + [
            {"id": oid, "title": title} for oid, title in self.filters.choices
        ]

    def _cell(self, indicator, month):
        value = self.result.value(indicator, month, self.filters.organisation)
        if value is None:
            if indicator in compute.TOTAL_ONLY and self.filters.organisation:
                return {"text": "–", "note": self.translate(_("Counted for all only"))}
            return {
                "text": "*",
                "note": self.translate(
                    _(
                        "Hidden: fewer than ${count} vaults",
                        mapping={"count": compute.MIN_VAULTS},
                    )
                ),
            }
        return {"text": self.number(value), "note": ""}

    def number(self, value):
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        return text.replace(".", ",") if self.language() == "fr" else text

    def sections(self):
        found = []
        for title, members in SECTIONS:
            rows = [
                {
                    "id": indicator,
                    "label": self.translate(label(indicator, self.language())),
                    "cells": [self._cell(indicator, m) for m in self.result.months],
                }
                for indicator in section_ids(members, self.result.indicator_ids)
            ]
            found.append({"title": self.translate(title), "rows": rows})
        return found

    def query(self):
        from urllib.parse import urlencode

        return urlencode(
            {
                "from": self.filters.first,
                "to": self.filters.last,
                "organisation": self.filters.organisation,
            }
        )

    def csv_url(self):
        return f"{api.portal.get().absolute_url()}/@@ccas-indicateurs.csv?{self.query()}"

    def _series(self, indicators):
        return [
            (
                self.translate(label(indicator, self.language())),
                [
                    self.result.value(indicator, m, self.filters.organisation)
                    for m in self.result.months
                ],
            )
            for indicator in indicators
        ]

    def charts(self):
        """``[{id, title, svg, headers, rows}]``: each chart and its numbers as a table."""
        labels = [self.month_label(m) for m in self.result.months]
        specs = (
            (
                "chart-vaults",
                _("Vaults by month"),
                charts.bar_chart,
                ("vaults_proposed", "vaults_opened", "vaults_activated"),
            ),
            (
                "chart-papers",
                _("Papers deposited by origin"),
                charts.bar_chart,
                (
                    "documents_deposited_by_person",
                    "documents_deposited_by_agent",
                    "documents_deposited_by_ged",
                ),
            ),
            (
                "chart-per-vault",
                _("Papers per open vault"),
                charts.line_chart,
                ("documents_per_vault_mean", "documents_per_vault_median"),
            ),
            (
                "chart-since-start",
                _("Vaults proposed, opened and activated since the start"),
                charts.line_chart,
                (
                    "vaults_proposed_cumulative",
                    "vaults_opened_cumulative",
                    "vaults_activated_cumulative",
                ),
            ),
        )
        found = []
        for chart_id, title, draw, indicators in specs:
            series = self._series(indicators)
            title = self.translate(title)
            description = self.translate(
                _(
                    "Chart of ${what}; the same numbers are in the table below the chart.",
                    mapping={"what": ", ".join(name for name, _values in series)},
                )
            )
            found.append(
                {
                    "id": chart_id,
                    "title": title,
                    "svg": draw(chart_id, title, description, labels, series),
                    "headers": labels,
                    "rows": [
                        {
                            "label": name,
                            "cells": [
                                "*" if value is None else self.number(value) for value in values
                            ],
                        }
                        for name, values in series
                    ],
                }
            )
        return found


class IndicatorsCSV(_Base):
    """The CSV export of the same filters (every organisation, or the chosen one)."""

    def __call__(self):
        filters = _Filters(self.request)
        response = self.request.response
        if filters.error:
            response.setStatus(400)
            response.setHeader("Content-Type", "text/plain; charset=utf-8")
            return self.translate(filters.error)
        result = compute.compute(filters.first, filters.last)
        if filters.organisation:
            organisations = [compute.ALL, filters.organisation]
        else:
            organisations = [compute.ALL, *result.organisations]
        text = csv_export.export(result, organisations, self.request, self.language())
        name = f"indicateurs-{filters.first}-{filters.last}.csv"
        response.setHeader("Content-Type", "text/csv; charset=utf-8")
        response.setHeader("Content-Disposition", f'attachment; filename="{name}"')
        response.setHeader("Cache-Control", "no-store")
        return text.encode("utf-8")
