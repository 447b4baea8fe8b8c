"""The load test's users work, on the shipped configuration: 4 people, 1 agent and a GED
batch, 10 seconds, one Zope client (ZEO).

The real figures come from ``make bench BENCH=load`` (``bench/bench_load.py``: 50 people
+ 10 agents + the GED's 500 letters a minute, 5 minutes, two clients, one vs two clients);
this smoke test runs the same plumbing briefly so that a change of the skin's forms, of
the REST deposit, of the GED endpoint or of the instance the project writes that breaks
them is seen in CI: every action ran and none failed, every letter was delivered, the
instance is the shipped one (C security implementation, generated ``site.zcml``, no test
setting inherited), and the figures the benchmark prints are there.  No timing is
asserted: the figures live in ``bench/``.
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
    plan = load.GedPlan(letters=20, every=60, batch=10)
    with ExitStack() as stack:
        deployment = load.population(
            stack, tmp_path, clients=1, beneficiaries=4, agents=1, ged_vaults=2
        )
        phase = load.run_phase(deployment, "smoke", 4, 1, "10s", ged=plan)
    checks = deployment.checks
    assert checks["security_implementation_at_runtime"] == "C"
    assert checks["client1"]["zope.conf C security"] is True
    assert checks["client1"]["site.zcml zope2.Public -> zope2.View"] is True
    assert checks["clients without test settings"] is True
    actions = phase["actions"]
    ran = {name for name, row in actions.items() if row["requests"] > 0}
    assert {
        "beneficiary: log in",
        "beneficiary: list papers",
        "beneficiary: preview",
        "agent: mes accompagnements",
        "agent: preview shared paper",
    } <= ran, ran
    assert phase["requests"] >= 20
    assert phase["failed_requests"] == 0, phase["failures_text"]
    # every answer carried the server's CPU for it (the benchmark's WSGI filter)
    assert all(row["cpu_ms"] is not None for row in actions.values()), actions
    ged = phase["ged"]
    assert ged["error"] is None, ged
    assert ged["delivered"] == ged["letters_sent"] == 20, ged
    assert phase["errors"] == 0
    for figure in ("conflicts_per_1000", "people_p95_ms", "clients_cpu_ms_per_request"):
        assert phase[figure] is not None, figure


def test_requests_per_second_at_a_p95_are_read_between_the_steps():
    load = bench_load()
    curve = [(100.0, 10.0), (300.0, 20.0), (900.0, 25.0)]
    assert load.at_p95(curve, 200.0) == (15.0, "=")
    assert load.at_p95(curve, 50.0) == (10.0, "<=")
    assert load.at_p95(curve, 2000.0) == (25.0, ">=")
    # a noisy curve (p95 not rising with the users): the best step under the target
    noisy = [(2400.0, 5.3), (2000.0, 8.4), (3300.0, 7.4)]
    assert load.at_p95(noisy, 2100.0) == (8.4, "=")
    assert load.at_p95(noisy, 1000.0) == (8.4, "<=")
