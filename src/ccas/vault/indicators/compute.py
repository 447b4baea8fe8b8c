"""The indicators, computed in one pass over the vault directory (decision 0021).

Sources: each live vault's history (the month of an entry is its Europe/Paris
month), its papers (type of each deposited paper), its mandates (whether a
signed mandate ever came into force), the anonymous tombstones of closed vaults
and the monthly password-reset counters of :mod:`ccas.vault.account.recovery`.

A vault belongs to the organisation of the agent who opened it (the service
that proposed it); all its indicators count there.  Closed vaults (tombstones)
and password resets keep no organisation: they count in the total only.

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
from statistics import median


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
    "consents_electronic": "flow",
    "consents_paper": "flow",
    "password_resets_email": "flow",
    "password_resets_questions": "flow",
    "password_resets_code_sms": "flow",
    "password_resets_code_print": "flow",
    "closures_requested": "flow",
    "vaults_closed": "flow",
    "documents_deleted": "flow",
}
#: indicators kept only in the total (their sources name no organisation)
TOTAL_ONLY = {f"password_resets_{route}" for route in RESET_ROUTES} | {"vaults_closed"}
TYPE_PREFIX = "documents_type."


def month_of(value):
    """``YYYY-MM`` (Europe/Paris) of an ISO date-time text, a ``datetime`` or a ``date``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return clock.paris_now(value).strftime("%Y-%m")
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


@dataclass
class _Vault:
    organisation: str = UNATTRIBUTED
    proposed: str = ""
    consented: str = ""
    deposits: Counter = field(default_factory=Counter)  # month -> papers in
    deletions: Counter = field(default_factory=Counter)
    logins: Counter = field(default_factory=Counter)
    mandates: list = field(default_factory=list)  # (signed month, ended month or "")


class _Organisations:
    """User id -> organisation id, looked up once per user."""

    def __init__(self):
        self.cache = {}

    def __call__(self, user_id):
        if user_id not in self.cache:
            from ccas.vault.organisations import organisation_of
            from plone import api

            user = api.user.get(userid=user_id) if user_id else None
            info = organisation_of(user) if user is not None else None
            self.cache[user_id] = info.id if info is not None else UNATTRIBUTED
        return self.cache[user_id]


def documents_in(container):
    """Every paper under ``container`` (spaces and the CCAS mail folder, as the export walks)."""
    from ccas.vault.export import iter_documents

    return (document for _folders, document in iter_documents(container))


def _papers(vault):
    """UID -> document type of every paper still in ``vault``."""
    return {doc.UID(): doc.document_type for doc in documents_in(vault)}


def _ever_in_force(mandate):
    from plone import api

    signature = getattr(mandate, "person_signature", None)
    if not signature:
        return False
    state = api.content.get_state(mandate)
    if state in ("active", "expired"):
        return True
    if state != "revoked":
        return False
    on_paper = signature.get("method") == "paper"
    return on_paper or set(mandate.agent_signatures) >= set(mandate.organisations)


def _read_vault(vault, organisations, add):
    """Fold one vault's history into ``add``; return its :class:`_Vault` timeline."""
    from ccas.vault.api.mandates import mandates_of
    from ccas.vault.history import api as history

    facts = _Vault()
    owner = vault.owner_login
    types = None
    in_force = {m.UID(): _ever_in_force(m) for m in mandates_of(vault)}
    signed, ended = {}, {}
    for entry in history.entries(vault):
        action = entry.action
        month = month_of(entry.when)
        details = entry.details
        if action == "open":
            facts.organisation = organisations(entry.actor)
            facts.proposed = facts.proposed or month
            add("vaults_proposed", month, facts.organisation)
        elif action == "consent":
            if not facts.consented:
                facts.consented = month
                add("vaults_opened", month, facts.organisation)
            if details.get("method") in ("electronic", "paper"):
                add(f"consents_{details['method']}", month, facts.organisation)
        elif action == "login" and entry.actor == owner:
            if not facts.logins:
                add("vaults_activated", month, facts.organisation)
            facts.logins[month] += 1
            add("logins", month, facts.organisation)
        elif action == "deposit":
            if details.get("origin") == "ged":
                origin = GED
            else:
                origin = PERSON if entry.actor == owner else AGENT
            if types is None:
                types = _papers(vault)
            facts.deposits[month] += 1
            add("documents_deposited", month, facts.organisation)
            add(f"documents_deposited_by_{origin}", month, facts.organisation)
            paper_type = types.get(entry.target_uid)
            if paper_type:
                add(TYPE_PREFIX + paper_type, month, facts.organisation)
        elif action == "delete":
            facts.deletions[month] += 1
            add("documents_deleted", month, facts.organisation)
        elif action == "share":
            add("shares", month, facts.organisation)
        elif action == "mandate_signed" and details.get("signer") == "person":
            if in_force.get(entry.target_uid) and entry.target_uid not in signed:
                signed[entry.target_uid] = month
                add("mandates_signed", month, facts.organisation)
        elif action in ("mandate_revoked", "mandate_expired") and "why" in details:
            if entry.target_uid in signed and entry.target_uid not in ended:
                ended[entry.target_uid] = month
                if action == "mandate_revoked":
                    add("mandates_revoked", month, facts.organisation)
        elif action == "close_requested":
            add("closures_requested", month, facts.organisation)
    facts.mandates = [(month, ended.get(uid, "")) for uid, month in signed.items()]
    return facts


def compute(first=None, last=None, directory=None):
    """The :class:`Indicators` of the months ``first``..``last`` (``YYYY-MM``)."""
    from ccas.vault.account.recovery import indicators as reset_counters
    from ccas.vault.api.vaults import vault_directory
    from ccas.vault.content.vault import IVault
    from ccas.vault.tombstones import list_tombstones

    if not first or not last:
        first, last = default_range()
    months = month_range(first, last)
    counts = Counter()

    def add(indicator, month, organisation, number=1):
        counts[(indicator, month, organisation)] += number
        counts[(indicator, month, ALL)] += number

    organisations = _Organisations()
    with as_system():
        directory = directory if directory is not None else vault_directory()
        vaults = [
            _read_vault(vault, organisations, add)
            for vault in directory.objectValues()
            if IVault.providedBy(vault)
        ]
        tombstones = list_tombstones(directory)
        resets = reset_counters()
    for stone in tombstones:
        counts[("vaults_proposed", month_of(stone["opened"]), ALL)] += 1
        if stone["consented"]:
            counts[("vaults_opened", month_of(stone["consented"]), ALL)] += 1
        counts[("closures_requested", month_of(stone["closure_requested"]), ALL)] += 1
        counts[("vaults_closed", month_of(stone["closed"]), ALL)] += 1
    for month, counters in resets.items():
        for route in RESET_ROUTES:
            number = counters.get(f"{route}.started", 0)
            if number:
                counts[(f"password_resets_{route}", month, ALL)] += number
    result = Indicators(
        months=months,
        organisations=sorted({facts.organisation for facts in vaults}),
        indicator_ids=_indicator_ids(counts),
    )
    result.values.update(counts)
    for month in months:
        _stocks(result, month, vaults, tombstones)
    return result


def _indicator_ids(counts):
    types = sorted({key[0] for key in counts if key[0].startswith(TYPE_PREFIX)})
    ids = []
    for indicator in INDICATORS:
        ids.append(indicator)
        if indicator == "documents_deposited_by_ged":
            ids.extend(types)
    return ids


def _stocks(result, month, vaults, tombstones):
    """Values at the end of ``month``: vaults held, papers per vault, active mandates."""
    groups = defaultdict(list)
    for facts in vaults:
        if facts.proposed and facts.proposed <= month:
            result.population[(month, facts.organisation)] = (
                result.population.get((month, facts.organisation), 0) + 1
            )
            result.population[(month, ALL)] = result.population.get((month, ALL), 0) + 1
        for organisation in (facts.organisation, ALL):
            groups[organisation].append(facts)
    for stone in tombstones:
        if month_of(stone["opened"]) <= month:
            result.population[(month, ALL)] = result.population.get((month, ALL), 0) + 1
    held_stones = sum(
        1
        for stone in tombstones
        if stone["consented"] and month_of(stone["consented"]) <= month < month_of(stone["closed"])
    )
    for organisation, members in groups.items():
        held = [f for f in members if f.consented and f.consented <= month]
        papers = [
            sum(n for m, n in f.deposits.items() if m <= month)
            - sum(n for m, n in f.deletions.items() if m <= month)
            for f in held
        ]
        logins = sum(f.logins.get(month, 0) for f in held)
        active = sum(
            1
            for f in members
            for signed, ended in f.mandates
            if signed <= month and (not ended or ended > month)
        )
        values = result.values
        values[("vaults_held", month, organisation)] = len(held) + (
            held_stones if organisation == ALL else 0
        )
        values[("mandates_active", month, organisation)] = active
        values[("logins_per_vault", month, organisation)] = _ratio(logins, len(held))
        values[("documents_per_vault_mean", month, organisation)] = _ratio(sum(papers), len(papers))
        values[("documents_per_vault_median", month, organisation)] = (
            _ratio(median(papers) * 2, 2) if papers else 0
        )


def _ratio(numerator, denominator):
    """``numerator / denominator`` with one decimal, rounded half up (0 for nothing)."""
    if not denominator:
        return 0
    value = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(value)
