"""Random ZEO crashes during a GED stream: every letter once, nothing lost (issue 18).

``make bench BENCH=faults``.  In a temporary folder, ``make start-zeo``'s shape
with one Zope client, built by the project's own commands (``ccas-vault-instance
zeo``, ``init --zeo-address``, ``site --demo``: ``tests/faults.py``'s
:class:`Cluster`).  A GED — another program, ``tests/ged_client.py`` — sends
:data:`LETTERS` letters to the demo person (``GED-1001``) through ``POST
/@ged-letters/batch``, in batches of 20, and sends a batch again, whole and with
the same references, while its answer does not arrive.

While it sends, :data:`KILLS` times, at a random moment (0 to :data:`KILL_WITHIN`
seconds after the server is back: before, during or after a batch's commit, or
between two batches), the ZEO server is SIGKILLed, and started again 1 to
:data:`DOWN` seconds later on the same ``Data.fs``.  The GED sends at least
:data:`LETTERS` letters, and goes on until the last kill is done.

At the end, from outside: the person's "Courrier du CCAS" over HTTP (each paper
opened, each catalog entry followed), each letter counted delivered once,
doubled or lost (no paper that opens carries its reference); and the integrity
checker (``ccas-vault-check <zope.conf> --json``, a separate process) on the
client's ``zope.conf``.  Also counted: the batches the GED had to send again,
and how often ZODB itself caught an oid given twice ("A different object
already has the same oid", in the client's log).

The same stream and kills run twice in one ``make bench``: with the instance as
``ccas-vault-instance`` writes it (``<ccasclientstorage>``, decision 0039) and,
as the baseline, with ZEO's stock ``<clientstorage>`` (the cause of issue 18);
the ratios compare them.  A run that left something wrong keeps its folder (the
path is printed: the database to inspect, ``ccas-vault-check`` to try on it).
Returns 0 when the instance's own run has 0 doubled, 0 lost and 0 checker
problems.

Settings (environment): ``BENCH_FAULTS_LETTERS`` (400), ``BENCH_FAULTS_KILLS``
(20), ``BENCH_FAULTS_RUNS`` (1: streams per variant, each on a new site, figures
summed), ``BENCH_FAULTS_SEED``, ``BENCH_FAULTS_BASELINE=0`` to skip the stock run.
"""

from pathlib import Path
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time


HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path.insert(0, str(TESTS))  # the fault tests' cluster and GED client

from faults import Cluster  # noqa: E402
from faults import GED  # noqa: E402
from faults import MAIL_FOLDER  # noqa: E402
from faults import OWNER  # noqa: E402
from faults import OWNER_GED_ID  # noqa: E402
from ged_client import letter  # noqa: E402
from ged_client import NeverAnswered  # noqa: E402
from ged_client import reference_in  # noqa: E402
from ged_client import Report  # noqa: E402
from ged_client import send_batch  # noqa: E402
from servers import BIN  # noqa: E402
import requests  # noqa: E402


LETTERS = int(os.environ.get("BENCH_FAULTS_LETTERS", 400))
KILLS = int(os.environ.get("BENCH_FAULTS_KILLS", 20))
SEED = int(os.environ.get("BENCH_FAULTS_SEED") or time.time())
BASELINE = os.environ.get("BENCH_FAULTS_BASELINE", "1") != "0"
RUNS = int(os.environ.get("BENCH_FAULTS_RUNS", 1))
BATCH = 20
KILL_WITHIN = 4.0  # seconds after the server is back
DOWN = 6.0  # at most this many seconds with the ZEO server down
RETRY_DEADLINE = 300  # seconds the GED keeps sending one batch again
SAME_OID = "A different object already has the same oid"  # ZODB, when it sees a reused oid


def checker_command():
    """How to run the integrity checker, or ``None`` when it is not installed."""
    script = BIN / "ccas-vault-check"
    if script.exists():
        return [str(script)]
    if importlib.util.find_spec("ccas.vault.check") is not None:
        return [str(BIN / "python"), "-m", "ccas.vault.check"]
    return None


def stock_client(cluster):
    """Give the client ZEO's own ``<clientstorage>`` (the baseline) and restart it."""
    text = cluster.conf.read_text()
    assert "<ccasclientstorage>" in text and "%import ccas.vault.zeoclient" in text, text
    text = text.replace("ccasclientstorage>", "clientstorage>")
    cluster.conf.write_text(text.replace("%import ccas.vault.zeoclient", "%import ZEO"))
    cluster._stop(cluster.zope)
    cluster.start_zope()


class Killer(threading.Thread):
    """While the GED sends, SIGKILL the ZEO server at random moments (0 to
    :data:`KILL_WITHIN` s after it is back), and start it again 1 to :data:`DOWN` s later."""

    def __init__(self, cluster, rng, kills):
        super().__init__(daemon=True)
        self.cluster, self.rng, self.kills = cluster, rng, kills
        self.done = 0
        self.stop = threading.Event()

    def run(self):
        while self.done < self.kills and not self.stop.wait(self.rng.uniform(0, KILL_WITHIN)):
            self.cluster.kill_zeo()
            self.done += 1
            time.sleep(self.rng.uniform(1, DOWN))
            self.cluster.start_zeo()

    def finished(self):
        return self.done >= self.kills or not self.is_alive()


def stream(cluster, killer, prefix):
    """Batches of :data:`BATCH` letters to the demo person, each sent again until
    answered, until :data:`LETTERS` are sent and every kill is done; returns the
    references sent, the number of sendings and whether the GED gave up."""
    references, report = [], Report()
    with requests.Session() as session:
        session.auth = GED
        while len(references) < LETTERS or not killer.finished():
            chunk = [f"{prefix}{len(references) + n:04d}" for n in range(BATCH)]
            references += chunk
            letters = [letter(ref, {"ged_person_id": OWNER_GED_ID}) for ref in chunk]
            try:
                send_batch(session, cluster.url, letters, len(report.attempts), report,
                           deadline=RETRY_DEADLINE)  # fmt: skip
            except NeverAnswered as error:  # the stock client may break the database for good
                print(f"  {prefix}: {error}")
                return references, len(report.attempts), True
    return references, len(report.attempts), False


def person_view(cluster):
    """The person's "Courrier du CCAS" over HTTP, tolerant of a broken database:
    reference -> number of papers; papers that do not open; catalog entries that
    lead nowhere."""
    with requests.Session() as session:
        session.auth = OWNER
        session.headers["Accept"] = "application/json"
        found = session.get(
            f"{cluster.url}/@search", params={"portal_type": "Vault"}, timeout=120
        ).json()
        (vault,) = found["items"]
        folder = f"{vault['@id']}/partage/{MAIL_FOLDER}"
        listing = session.get(folder, params={"b_size": 100000}, timeout=300)
        papers, broken = {}, 0
        items = listing.json().get("items", []) if listing.status_code == 200 else []
        for item in items:
            if item.get("@type") != "VaultDocument":
                continue
            paper = session.get(item["@id"], timeout=120)
            if paper.status_code != 200:
                broken += 1
                continue
            reference = reference_in(paper.json().get("title"))
            if reference is not None:  # else the demo's own letters
                papers[reference] = papers.get(reference, 0) + 1
        path = "/" + "/".join(folder.split("/")[3:])
        entries = session.get(
            f"{cluster.url}/@search",
            params={"portal_type": "VaultDocument", "path.query": path, "b_size": 100000},
            timeout=300,
        )
        dangling = sum(
            1
            for item in (entries.json().get("items", []) if entries.ok else [])
            if session.get(item["@id"], timeout=120).status_code != 200
        )
    return {"papers": papers, "broken": broken, "dangling": dangling}


def check(cluster, command):
    if command is None:
        return None
    result = subprocess.run(
        [*command, str(cluster.conf), "--json"],
        capture_output=True,
        text=True,
        env=cluster.env,
        cwd=cluster.home,
        timeout=1800,
    )
    try:
        return len(json.loads(result.stdout)["problems"])
    except (ValueError, KeyError):
        print(f"  the checker printed no report (exit {result.returncode}): {result.stderr[-500:]}")
        return "failed"


def run(variant, seed, command):
    """One stream with its kills on a new site; returns its figures."""
    rng = random.Random(seed)
    home = Path(tempfile.mkdtemp(prefix=f"ccas-bench-faults-{variant}-"))
    cluster = Cluster(home)
    started = time.monotonic()
    try:
        cluster.build()
        if variant == "stock":
            stock_client(cluster)
        killer = Killer(cluster, rng, KILLS)
        killer.start()
        references, sendings, given_up = stream(cluster, killer, f"FAULT-{variant[0].upper()}")
        killer.stop.set()
        killer.join(60)
        view = person_view(cluster)
        event_log = cluster.client / "var" / "log" / "event.log"
        same_oid = event_log.read_text(errors="replace").count(SAME_OID)
        counts = [view["papers"].get(ref, 0) for ref in references]
        figures = {
            "letters sent": len(references),
            "kills": killer.done,
            "delivered once": counts.count(1),
            "doubled": sum(1 for n in counts if n > 1),
            "lost": counts.count(0),
            "papers that do not open": view["broken"],
            "catalog entries leading nowhere": view["dangling"],
            "batches sent again": sendings - len(references) // BATCH,
            "oid given twice (ZODB's ValueError in the log)": same_oid,
            "GED gave up": given_up,
            "checker problems": check(cluster, command),
            "seconds": round(time.monotonic() - started),
        }
    except Exception as error:  # a run that breaks is a figure too
        print(f"  {variant}: the run broke: {error!r}\n{cluster.log(30)}")
        figures = {"letters sent": LETTERS, "broke": repr(error)[:300]}
    finally:
        cluster.close()
    if damaged(figures):
        print(f"  {variant}: kept for inspection: {home} (client: {cluster.conf})")
    else:
        shutil.rmtree(home, ignore_errors=True)
    return figures


def damaged(figures):
    """Whether a run left something wrong (its folder is then kept)."""
    names = ("doubled", "lost", "papers that do not open", "catalog entries leading nowhere")
    return any(figures.get(name) for name in (*names, "GED gave up", "broke")) or figures.get(
        "checker problems"
    ) not in (0, None)


def ratio(ours, theirs):
    """The instance's figure against the baseline's (shares compare as shares)."""
    if ours is None or theirs is None:
        return "n/a"
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float):
        return "n/a"
    if theirs == 0:
        return "0 = 0" if ours == 0 else "inf"
    return f"{ours / theirs:.2f}"


def share(figures, name):
    """A count per 1000 letters sent (the two runs may send different numbers)."""
    value, sent = figures.get(name), figures.get("letters sent")
    if isinstance(value, bool) or not isinstance(value, int) or not sent:
        return value
    return round(1000 * value / sent, 1)


def main():
    command = checker_command()
    print(
        f"at least {LETTERS} letters in batches of {BATCH}, {KILLS} ZEO SIGKILLs at random "
        f"moments (0-{KILL_WITHIN:g} s after the server is back, 1-{DOWN:g} s down), seed {SEED}"
    )
    if command is None:
        print("checker not installed (ccas-vault-check): the 'checker problems' column is skipped")
    variants = ["instance", *(["stock"] if BASELINE else [])]
    results = {}
    for variant in variants:
        total = {"runs": 0}
        for number in range(RUNS):
            figures = run(variant, SEED + number, command)
            print(f"  {variant:8s} run {number + 1}: {json.dumps(figures, ensure_ascii=False)}")
            total["runs"] += 1
            for name, value in figures.items():
                if isinstance(value, bool):
                    total[name] = total.get(name, False) or value
                elif isinstance(value, int):
                    total[name] = total.get(name, 0) + value
                else:  # "broke": the first run that broke
                    total.setdefault(name, value)
        results[variant] = total
    for variant in variants:
        total = results[variant]
        print(
            f"{variant}: runs {total['runs']}, kills {total.get('kills')}, letters sent "
            f"{total.get('letters sent')}, delivered once {total.get('delivered once')}, doubled "
            f"{total.get('doubled')}, lost {total.get('lost')}, checker problems "
            f"{'not run' if command is None else total.get('checker problems')}"
        )
    ours = results["instance"]
    names = ("delivered once", "doubled", "lost", "catalog entries leading nowhere")
    names += ("batches sent again", "oid given twice (ZODB's ValueError in the log)")
    names += ("checker problems",) if command else ()
    stock = results.get("stock", {})
    print(f"{'per 1000 letters sent':48s}{'instance (fix)':>16s}{'stock ZEO':>12s}{'ratio':>10s}")
    for name in names:
        mine, theirs = share(ours, name), share(stock, name)
        print(f"{name:48s}{mine!s:>16s}{theirs!s:>12s}{ratio(mine, theirs):>10s}")
    problems = [ours.get(name) for name in ("doubled", "lost", "checker problems")]
    sound = (
        "broke" not in ours
        and ours["delivered once"] == ours["letters sent"]
        and ours["kills"] == KILLS * RUNS
        and not any(problems)
    )
    print("instance: every letter once, nothing lost" if sound else "instance: PROBLEMS")
    return 0 if sound else 1
