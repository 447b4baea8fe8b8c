"""The indicators as CSV for a spreadsheet (decision 0021).

UTF-8 with a BOM (Excel opens it in UTF-8), ``;`` as separator and a decimal
comma (French spreadsheets), one row per indicator × month × organisation
(``toutes`` for the totals).  A masked cell has an empty value and ``oui`` in
``masque``.  Labels are in the request's language; no cell starts with a
formula character.
"""

from ccas.vault.indicators.compute import ALL
from ccas.vault.indicators.compute import TOTAL_ONLY
from ccas.vault.indicators.labels import label
from zope.i18n import translate
import csv
import io


HEADERS = ("indicateur", "libelle", "mois", "organisation", "valeur", "masque")
ALL_LABEL = "toutes"
BOM = "\ufeff"


def number(value):
    """``3``, ``2,5``: the decimal comma of French spreadsheets."""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def _cell(text):
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export(indicators, organisations, request=None, language="fr"):
    """CSV text (BOM included) of ``indicators`` for ``organisations`` (ids, ``ALL`` first)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for indicator in indicators.indicator_ids:
        text = translate(label(indicator, language), context=request, target_language=language)
        for organisation in organisations:
            if organisation != ALL and indicator in TOTAL_ONLY:
                continue
            for month in indicators.months:
                value = indicators.value(indicator, month, organisation)
                writer.writerow(
                    (
                        indicator,
                        _cell(text),
                        month,
                        organisation or ALL_LABEL,
                        "" if value is None else number(value),
                        "oui" if value is None else "non",
                    )
                )
    return BOM + out.getvalue()
