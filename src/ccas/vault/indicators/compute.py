"""The indicators, read from the monthly counters (decisions 0021 and 0044).

Every figure comes from the anonymous counters of :mod:`.store`, written when
things happen (a vault deleted by the clock takes nothing away from the months
it was used in), and from the monthly password-reset counters of
:mod:`ccas.vault.account.recovery`.  Stocks (open vaults, mandates in force,
papers per vault) are running sums of flows; figures "since the start" add
every month from the first one counted.

A vault belongs to the organisation of the agent who opened it (the service
that proposed it); all its indicators count there.  Vaults deleted before the
counters existed (their tombstones) and password resets keep no organisation:
they count in the total only.

Only numbers leave this module: no name, login, vault id, paper title or id.
A month's column of an organisation with fewer than :data:`MIN_VAULTS` vaults
proposed by then is masked (re-identification of small groups).
"""

from ccas.vault import clock
from ccas.vault.security import as_system
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from decimal import ROUND_HALF_UP


ALL = ""  # the organisation key of the totals
UNATTRIBUTED = "sans-organisation"  # vaults opened by somebody in no organisation
MIN_VAULTS = 3
PERSON, AGENT, GED = "person", "agent", "ged"
RESET_ROUTES = ("email", "questions", "code_sms", "code_print")

#: Indicators in display order: id -> kind ("flow": events in the month, "stock": at
#: the end of the month, "mean": a mean or median).  Per-type ids are added after
#: ``documents_deposited_by_ged`` as ``documents_type.<type id>``.
INDICATORS = {
    "vaults_proposed": "flow",
    "vaults_opened": "flow",
    "vaults_activated": "flow",
    "vaults_held": "stock",
    "logins": "flow",
    "logins_per_vault": "mean",
    "documents_deposited": "flow",
    "documents_deposited_by_person": "flow",
    "documents_deposited_by_agent": "flow",
    "documents_deposited_by_ged": "flow",
    "documents_per_vault_mean": "mean",
    "documents_per_vault_median": "mean",
    "shares": "flow",
    "mandates_signed": "flow",
    "mandates_active": "stock",
    "mandates_revoked": "flow",
    # mandates to a relative or trusted person, apart from the agents' (decision 0049)
    "mandates_signed_personal": "flow",
    "mandates_active_personal": "stock",
    "mandates_revoked_personal": "flow",
    "consents_electronic": "flow",
    "consents_paper": "flow",
    "password_resets_email": "flow",
    "password_resets_questions": "flow",
    "password_resets_code_sms": "flow",
    "password_resets_code_print": "flow",
    "closures_requested": "flow",
    "vaults_closed": "flow",
    "documents_deleted": "flow",
    # since the start (the experiment report's figures): at the end of each month
    "vaults_proposed_cumulative": "stock",
    "vaults_opened_cumulative": "stock",
    "vaults_activated_cumulative": "stock",
    "conversion_opened": "mean",
    "conversion_activated": "mean",
    "logins_cumulative": "stock",
    "logins_per_vault_cumulative": "mean",
    "documents_deposited_cumulative": "stock",
    "documents_per_vault_cumulative": "mean",
    "mandates_signed_cumulative": "stock",
    "closures_requested_cumulative": "stock",
}
#: cumulative indicator -> the flow it adds up since the start
CUMULATIVE = {
    "vaults_proposed_cumulative": "vaults_proposed",
    "vaults_opened_cumulative": "vaults_opened",
    "vaults_activated_cumulative": "vaults_activated",
    "logins_cumulative": "logins",
    "documents_deposited_cumulative": "documents_deposited",
    "mandates_signed_cumulative": "mandates_signed",
    "closures_requested_cumulative": "closures_requested",
}
#: indicators kept only in the total (their sources name no organisation)
TOTAL_ONLY = {f"password_resets_{route}" for route in RESET_ROUTES} | {"vaults_closed"}
TYPE_PREFIX = "documents_type."


def month_of(value):
    """``YYYY-MM`` (Europe/Paris) of an ISO date-time text, a ``datetime`` or a ``date``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=clock.PARIS)
        return value.astimezone(clock.PARIS).strftime("%Y-%m")
    return value.strftime("%Y-%m")


def month_range(first, last):
    """Every ``YYYY-MM`` from ``first`` to ``last`` included."""
    year, month = map(int, first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last and len(months) < 1200:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def add_months(month, count):
    year, number = map(int, month.split("-"))
    index = year * 12 + number - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def default_range(today=None):
    """The last six months, the current one included."""
    current = month_of(today or clock.paris_now().date())
    return add_months(current, -5), current


@dataclass
class Indicators:
    """The values, keyed ``(indicator id, month, organisation id)`` (``ALL`` for totals)."""

    months: list
    organisations: list  # organisation ids with at least one vault, sorted
    indicator_ids: list
    values: dict = field(default_factory=dict)
    population: dict = field(default_factory=dict)  # (month, organisation) -> vaults proposed

    def masked(self, month, organisation):
        return self.population.get((month, organisation), 0) < MIN_VAULTS

    def value(self, indicator, month, organisation=ALL):
        """The number, or ``None`` when masked or not kept for this organisation."""
        if organisation != ALL and indicator in TOTAL_ONLY:
            return None
        if self.masked(month, organisation):
            return None
        return self.values.get((indicator, month, organisation), 0)


def documents_in(container):
    """Every paper under ``container`` (spaces and the CCAS mail folder, as the export walks)."""
    from ccas.vault.export import iter_documents

    return (document for _folders, document in iter_documents(container))


def compute(first=None, last=None, directory=None):
    """The :class:`Indicators` of the months ``first``..``last`` (``YYYY-MM``).

    Read from the monthly counters of :mod:`.store` (and the password-reset
    counters): cumulative figures add every month since the first counted one.
    """
    from ccas.vault.account.recovery import indicators as reset_counters
    from ccas.vault.indicators import store

    if not first or not last:
        first, last = default_range()
    months = month_range(first, last)
    with as_system():
        if directory is None:
            flows = store.read()
        else:
            tree = store.store(directory, create=False)
            flows = store.read(tree) if tree is not None else {}
        resets = reset_counters()
    for month, counters in resets.items():
        for route in RESET_ROUTES:
            number = counters.get(f"{route}.started", 0)
            if number:
                key = (f"password_resets_{route}", month, ALL)
                flows[key] = flows.get(key, 0) + number
    organisations = sorted({key[2] for key in flows if key[2] != ALL})
    result = Indicators(
        months=months,
        organisations=organisations,
        indicator_ids=_indicator_ids(flows),
    )
    counted = sorted({key[1] for key in flows})
    start = min([*counted[:1], first])
    running = Counter()  # (measure, organisation) -> sum since the start
    by_month = defaultdict(list)
    for (measure, month, organisation), number in flows.items():
        by_month[month].append((measure, organisation, number))
    shown = set(months)
    for month in month_range(start, last):
        for measure, organisation, number in by_month.get(month, ()):
            running[(measure, organisation)] += number
        if month not in shown:
            continue
        logins_held = Counter()
        for measure, organisation, number in by_month.get(month, ()):
            if measure == store.LOGINS_HELD:
                logins_held[organisation] += number
            elif not measure.startswith(HIDDEN):
                result.values[(measure, month, organisation)] = number
        for organisation in (ALL, *organisations):
            result.population[(month, organisation)] = running[("vaults_proposed", organisation)]
            _stocks(result.values, month, organisation, running, logins_held[organisation])
    return result


#: measures of the store that are not indicators themselves (they make the stocks)
HIDDEN = (
    "papers_vaults.",
    "mandates_ended",
    "vaults_held_ended",
    "logins_of_open_vaults",
    "mandates_personal_ended",
)
BUCKET_PREFIX = HIDDEN[0]


def _indicator_ids(counts):
    types = sorted({key[0] for key in counts if key[0].startswith(TYPE_PREFIX)})
    ids = []
    for indicator in INDICATORS:
        ids.append(indicator)
        if indicator == "documents_deposited_by_ged":
            ids.extend(types)
    return ids


def _stocks(values, month, organisation, running, logins):
    """Stocks at the end of ``month`` and figures since the start, from the running sums."""

    def total(measure):
        return running[(measure, organisation)]

    values[("vaults_held", month, organisation)] = total("vaults_opened") - total(
        "vaults_held_ended"
    )
    values[("mandates_active", month, organisation)] = total("mandates_signed") - total(
        "mandates_ended"
    )
    values[("mandates_active_personal", month, organisation)] = total(
        "mandates_signed_personal"
    ) - total("mandates_personal_ended")
    distribution = sorted(
        (int(measure[len(BUCKET_PREFIX) :]), number)
        for (measure, org), number in running.items()
        if org == organisation and measure.startswith(BUCKET_PREFIX) and number > 0
    )
    vaults = sum(number for _papers, number in distribution)
    papers = sum(papers * number for papers, number in distribution)
    values[("logins_per_vault", month, organisation)] = _ratio(logins, vaults)
    values[("documents_per_vault_mean", month, organisation)] = _ratio(papers, vaults)
    values[("documents_per_vault_median", month, organisation)] = _median(distribution, vaults)
    for indicator, measure in CUMULATIVE.items():
        values[(indicator, month, organisation)] = total(measure)
    opened, proposed = total("vaults_opened"), total("vaults_proposed")
    values[("conversion_opened", month, organisation)] = _ratio(100 * opened, proposed)
    values[("conversion_activated", month, organisation)] = _ratio(
        100 * total("vaults_activated"), opened
    )
    values[("logins_per_vault_cumulative", month, organisation)] = _ratio(total("logins"), opened)
    values[("documents_per_vault_cumulative", month, organisation)] = _ratio(
        total("documents_deposited"), opened
    )


def _median(distribution, vaults):
    """The median number of papers of ``distribution`` (sorted ``(papers, vaults)``)."""
    if not vaults:
        return 0
    ranks = ((vaults - 1) // 2, vaults // 2)
    found = []
    for rank in ranks:
        seen = 0
        for papers, number in distribution:
            seen += number
            if rank < seen:
                found.append(papers)
                break
    return _ratio(found[0] + found[1], 2)


def _ratio(numerator, denominator):
    """``numerator / denominator`` with one decimal, rounded half up (0 for nothing)."""
    if not denominator:
        return 0
    value = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(value)
