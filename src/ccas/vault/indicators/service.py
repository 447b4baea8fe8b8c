"""``GET @ccas-indicators``: the indicators as JSON, or as the CSV file (decision 0044).

Query: ``from``, ``to`` (``YYYY-MM``, default the last six months), ``organisation``
(an id; default every organisation), ``format=csv`` for the same file as
``@@ccas-indicateurs.csv``; ``language`` (``fr``, ``en``; default the site's) for the
labels.  Needs ``ccas.vault: View indicators`` on the site.
Numbers only; a masked cell is ``null``.
"""

from ccas.vault import permissions
from ccas.vault.indicators import compute
from ccas.vault.indicators import csv as csv_export
from ccas.vault.indicators.browser import _Filters
from ccas.vault.indicators.labels import label
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import VaultService
from plone import api
from zope.i18n import translate


class IndicatorsGet(VaultService):
    required_permission = permissions.VIEW_INDICATORS

    def reply(self):
        filters = _Filters(self.request)
        if filters.error:
            message = translate(filters.error, target_language="en")
            french = translate(filters.error, target_language="fr")
            raise RequestError(400, "invalid_filter", message, french)
        result = compute.compute(filters.first, filters.last)
        if filters.organisation:
            organisations = [compute.ALL, filters.organisation]
        else:
            organisations = [compute.ALL, *result.organisations]
        language = self.request.form.get("language")
        if language not in ("fr", "en"):
            language = api.portal.get_current_language() or "fr"
        if self.request.form.get("format") == "csv":
            text = csv_export.export(result, organisations, self.request, language)
            name = f"indicateurs-{filters.first}-{filters.last}.csv"
            response = self.request.response
            response.setHeader("Content-Type", "text/csv; charset=utf-8")
            response.setHeader("Content-Disposition", f'attachment; filename="{name}"')
            return text.encode("utf-8")
        return {
            "@id": f"{self.context.absolute_url()}/@ccas-indicators",
            "months": result.months,
            "organisations": [organisation or "toutes" for organisation in organisations],
            "minimum_vaults": compute.MIN_VAULTS,
            "items": [
                {
                    "id": indicator,
                    "label": translate(
                        label(indicator, language), context=self.request, target_language=language
                    ),
                    "kind": compute.INDICATORS.get(indicator, "flow"),
                    "values": {
                        organisation or "toutes": {
                            month: result.value(indicator, month, organisation)
                            for month in result.months
                        }
                        for organisation in organisations
                        if not (organisation and indicator in compute.TOTAL_ONLY)
                    },
                }
                for indicator in result.indicator_ids
            ],
        }
