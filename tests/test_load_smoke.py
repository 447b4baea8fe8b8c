"""The load test's users work: 4 beneficiaries and 1 agent, 10 seconds, one Zope client (ZEO).

The real figures come from ``make bench BENCH=load`` (``bench/bench_load.py``: 50 + 10
users, 5 minutes, two clients); this smoke test runs the same locust users
(``bench/load_locustfile.py``) briefly so that a change of the skin's forms or of the
REST deposit that breaks them is seen in CI: every action ran, and none failed.
"""

from contextlib import ExitStack
from pathlib import Path
import importlib.util
import pytest


pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_load.py"


def bench_load():
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_action_of_the_load_test_runs_without_failure(tmp_path):
    load = bench_load()
    with ExitStack() as stack:
        people = load.population(stack, tmp_path, clients=1, beneficiaries=4, agents=1)
        stats, failures = load.locust(tmp_path, people, "smoke", 4, 1, 5, "10s")
    total = stats.pop("Aggregated")
    ran = {name for name, row in stats.items() if int(row["Request Count"]) > 0}
    assert {
        "beneficiary: log in",
        "beneficiary: list papers",
        "beneficiary: preview",
        "agent: mes accompagnements",
        "agent: preview shared paper",
    } <= ran, ran
    assert int(total["Request Count"]) >= 20
    assert int(total["Failure Count"]) == 0, failures
