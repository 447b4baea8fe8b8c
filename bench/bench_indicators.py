"""Benchmark of the indicators' counters (decision 0044).

In a throwaway Plone site (``CCAS_VAULT_INTEGRATION_TESTING``, set up by this script):

* the cost of counting: p50 of ``history.record(vault, "login")`` with the counters'
  subscriber, then without it (the difference is what counting costs per history entry);
* reading: ``compute()`` of 36 months, the page's CSV export, on the demo data and on a
  store of three years × 20 organisations × every measure and 15 types (about 60 000
  counters, a large CCAS and its partners).

Passes (returns 0) when counting adds ≤ 1 ms per entry (p50) and ``compute()`` of 36
months of the large store takes ≤ 500 ms.
"""

from pathlib import Path
import contextlib
import importlib.util
import os
import statistics
import sys
import time


SAMPLES = 300
MAX_COUNTING_MS = 1.0
MAX_COMPUTE_MS = 500.0


def _site_class():
    path = Path(__file__).parent / "bench_my_vaults.py"
    spec = importlib.util.spec_from_file_location("bench_my_vaults", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Site


def _p50(action, samples=SAMPLES):
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def counting_cost():
    from ccas.vault import roles
    from ccas.vault.accounts import ensure_account
    from ccas.vault.accounts import ensure_group
    from ccas.vault.api import vaults
    from ccas.vault.history import api as history
    from ccas.vault.history.api import IHistoryRecorded
    from ccas.vault.indicators.store import on_history_recorded
    from datetime import date
    from plone import api
    from zope.component import getGlobalSiteManager

    ensure_group("ccas-agents", "Agents du CCAS", [roles.VAULT_AGENT])
    ensure_account("accueil", "Mot-de-passe-long-1", "Accueil", groups=["ccas-agents"])
    with api.env.adopt_user(username="accueil"):
        vault = vaults.open_vault(
            first_name="Jean",
            last_name="Dupont",
            birth_date=date(1980, 5, 17),
            login="jdupont",
            password="Mot-de-passe-long-1",
        )
    with api.env.adopt_user(username="jdupont"):
        vaults.record_consent(vault, method="electronic")

    def login():
        history.record(vault, "login", actor="jdupont")

    _p50(login, 50)  # warm up
    counted = _p50(login)
    registry = getGlobalSiteManager()
    registry.unregisterHandler(on_history_recorded, (IHistoryRecorded,))
    try:
        bare = _p50(login)
    finally:
        registry.registerHandler(on_history_recorded, (IHistoryRecorded,))
    return counted, bare


def reading_cost(first, last):
    from ccas.vault.indicators import compute
    from ccas.vault.indicators import csv as csv_export

    result = compute.compute(first, last)
    compute_ms = _p50(lambda: compute.compute(first, last), 20)
    organisations = [compute.ALL, *result.organisations]
    csv_ms = _p50(lambda: csv_export.export(result, organisations), 5)
    return compute_ms, csv_ms


def fill_large_store():
    """Three years × 20 organisations × every measure (and 15 types, 30 paper counts)."""
    from ccas.vault.indicators import store
    from ccas.vault.indicators.compute import INDICATORS
    from ccas.vault.indicators.compute import month_range

    add = store.Counter(store.store())
    measures = [m for m in INDICATORS if not m.endswith("_cumulative") and "_per_" not in m]
    measures += [f"documents_type.type-{n}" for n in range(15)]
    measures += [f"{store.BUCKET_PREFIX}{n}" for n in range(30)]
    measures += [store.MANDATES_ENDED, store.HELD_ENDED, store.LOGINS_HELD]
    months = month_range("2024-01", "2026-12")
    for organisation in (f"org-{n:02d}" for n in range(20)):
        for month in months:
            for measure in measures:
                add(measure, month, organisation, 3)
    return len(store.store())


def main():
    os.environ.setdefault("zope_i18n_compile_mo_files", "true")
    from ccas.vault.testing import CCAS_VAULT_INTEGRATION_TESTING
    from plone.app.testing import applyProfile

    with _site_class()(CCAS_VAULT_INTEGRATION_TESTING) as site:
        portal = site.test_set_up()
        counted, bare = counting_cost()
        applyProfile(portal, "ccas.vault:demo")
        demo = reading_cost("2024-01", "2026-12")
        site.test_tear_down()
        site.test_set_up()
        counters = fill_large_store()
        large = reading_cost("2024-01", "2026-12")
        with contextlib.suppress(Exception):
            site.test_tear_down()
    cost = counted - bare
    print(
        f"counting: history.record(login) p50 {counted:.2f} ms with the counters, "
        f"{bare:.2f} ms without: +{cost:.2f} ms per entry"
    )
    print(f"demo: compute(36 months) p50 {demo[0]:.1f} ms, CSV {demo[1]:.1f} ms")
    print(f"large ({counters} counters): compute(36 months) p50 {large[0]:.1f} ms, ", end="")
    print(f"CSV {large[1]:.1f} ms")
    ok = cost <= MAX_COUNTING_MS and large[0] <= MAX_COMPUTE_MS
    print(
        f"target (counting <= {MAX_COUNTING_MS} ms, compute <= {MAX_COMPUTE_MS:.0f} ms): "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
