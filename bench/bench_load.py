"""Load test: 50 beneficiaries and 10 agents at once on a ZEO server and two Zope clients.

Starts, in a temporary folder, a ZEO server and two Zope clients (``runwsgi``, written
by ``ccas.vault.scripts.instance`` like ``make start-zeo``; 4 threads each), creates the
site and a demo population: 10 agents, 50 people with an open, consented vault, one
paper in the shared space, and a mandate (consult + deposit) for one agent each (5
people per agent).  Then runs locust headless on loopback (``bench/load_locustfile.py``):

* Beneficiary (public skin ``/mon-coffre``): log in, list papers, upload a 1 MB JPEG
  photo through the add form (it becomes a PDF), share a paper (link), preview a paper;
* Agent (HTTP Basic): "mes accompagnements", preview a shared paper, deposit (REST).

``LOAD_CONFLICT_RETRIES`` sets the clients' ``max-conflict-retries`` (default: the
instance's, 10, written by ``ccas-vault-instance``; Zope's own default is 3).
First a baseline: 1 beneficiary and 1 agent for
``LOAD_BASELINE_TIME`` (default 30 s); then the load: 60 users (spawn rate 10/s) for
``LOAD_TIME`` (default 5m).  Prints, per action, the request count, failures, p50 and
p95 (ms) and the p50 ratio load/baseline; the error rate (goal: 0 errors) and the
ConflictErrors the clients logged; writes the same to ``bench/results/load-<date>.txt``.
Returns 0 when no request failed.
"""

from contextlib import ExitStack
from datetime import datetime
from datetime import UTC
from io import BytesIO
from pathlib import Path
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time


HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path.insert(0, str(TESTS))  # tests/servers.py: processes started and always stopped

from servers import BIN  # noqa: E402
from servers import free_port  # noqa: E402
from servers import run  # noqa: E402
from servers import zeo_server  # noqa: E402
from servers import zope_server  # noqa: E402


HOST = "127.0.0.1"
SITE_ID = "ccas"
PASSWORD = "Mot-de-passe-long-1"
BENEFICIARIES = 50
AGENTS = 10
PHOTO_BYTES = 1_000_000
#: ``LOAD_CONFLICT_RETRIES``: the clients' ``max-conflict-retries`` (the instance's 10 when unset)
RETRIES = int(os.environ.get("LOAD_CONFLICT_RETRIES", "10"))

SETUP = r"""
import json, sys, transaction
from ccas.vault.scripts.instance import _open_app, CLASSIC_UI_PROFILES
from zope.component.hooks import setSite

app = _open_app(sys.argv[1])
from Products.CMFPlone.factory import addPloneSite
from plone import api
from vaults import active_mandate, consent_as_owner, deposit_as, make_agent, open_vault_as

app.acl_users._doAddUser("admin", "admin", ["Manager"], [])
site = addPloneSite(
    app, sys.argv[2], title="CCAS", profile_id="Products.CMFPlone:plone",
    extension_ids=(*CLASSIC_UI_PROFILES, "ccas.vault:default"),
    default_language="fr", portal_timezone="Europe/Paris",
)
transaction.commit()
setSite(site)
people, agents = int(sys.argv[3]), int(sys.argv[4])
site_path = "/".join(site.getPhysicalPath())
agent_logins = [f"agent{number:02d}" for number in range(agents)]
for login in agent_logins:
    make_agent(login)
make_agent("accueil")
beneficiaries = []
follows = {login: {"login": login, "papers": [], "spaces": []} for login in agent_logins}
for number in range(people):
    login = f"usager{number:02d}"
    vault = consent_as_owner(open_vault_as("accueil", login, last=f"Dupont{number}"))
    paper = deposit_as(login, vault["partage"], title="Attestation CAF")
    agent = agent_logins[number % agents]
    active_mandate(vault, agents=(agent,), scopes=("consult", "deposit"))
    path = "/".join(paper.getPhysicalPath())
    beneficiaries.append({"login": login, "paper_uid": paper.UID(), "paper_path": path})
    follows[agent]["papers"].append(path)
    follows[agent]["spaces"].append("/".join(vault["partage"].getPhysicalPath()))
    transaction.commit()
print("RESULT " + json.dumps({"site": site_path, "beneficiaries": beneficiaries,
                              "agents": list(follows.values())}))
app._p_jar.db().close()
"""


def photo(path, size=PHOTO_BYTES):
    """A real JPEG of about ``size`` bytes (noise over a gradient: it does not compress)."""
    from PIL import Image

    rng = random.Random(7)
    side = 900
    while True:
        image = Image.frombytes("RGB", (side, side * 3 // 4), rng.randbytes(side * side * 9 // 4))
        out = BytesIO()
        image.save(out, "JPEG", quality=80)
        if out.tell() >= size:
            path.write_bytes(out.getvalue())
            return out.tell()
        side += 50


def pdf(path):
    sys.path.insert(0, str(TESTS))
    from vaults import pdf_bytes

    path.write_bytes(pdf_bytes("Attestation CAF"))


def locust(root, people_file, name, beneficiaries, agents, users, run_time):
    """Run locust headless; ``{action: row}`` of its CSV statistics."""
    prefix = root / name
    env = {
        **os.environ,
        "LOAD_PEOPLE": str(people_file),
        "LOAD_BENEFICIARIES": str(beneficiaries),
        "LOAD_AGENTS": str(agents),
    }
    args = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "load_locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        "10",
        "--run-time",
        run_time,
        "--stop-timeout",
        "30",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    subprocess.run(args, env=env, cwd=root, check=False, timeout=3600)
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as stream:
        rows = {row["Name"]: row for row in csv.DictReader(stream)}
    failures = Path(f"{prefix}_failures.csv")
    return rows, failures.read_text(encoding="utf-8") if failures.exists() else ""


def report(baseline, load, wall, load_time):
    """The lines printed and written to ``bench/results``."""
    lines = [
        f"{'action':34} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p50 1 user':>10} {'ratio':>6}"
    ]
    for name, row in sorted(load.items()):
        if name == "Aggregated":
            continue
        base = baseline.get(name, {}).get("50%")
        ratio = f"{float(row['50%']) / float(base):6.1f}" if base and float(base) else "     -"
        lines.append(
            f"{name:34} {row['Request Count']:>8} {row['Failure Count']:>6} {row['50%']:>7} "
            f"{row['95%']:>7} {base or '-':>10} {ratio}"
        )
    total = load["Aggregated"]
    requests, failed = int(total["Request Count"]), int(total["Failure Count"])
    rate = failed / requests if requests else 1.0
    lines.append(
        f"{'all':34} {requests:>8} {failed:>6} {total['50%']:>7} {total['95%']:>7} "
        f"{baseline['Aggregated']['50%']:>10}"
    )
    lines.append(
        f"load: {BENEFICIARIES} beneficiaries + {AGENTS} agents for {load_time} on 2 Zope "
        f"clients (ZEO, max-conflict-retries {RETRIES}), "
        f"{float(total['Requests/s']):.1f} requests/s, error rate "
        f"{100 * rate:.2f} % ({failed} of {requests}; goal 0); {os.cpu_count()} CPUs; "
        f"wall {wall:.0f} s"
    )
    return lines, failed


def population(stack, root, clients=2, beneficiaries=BENEFICIARIES, agents=AGENTS):
    """Start ZEO and ``clients`` Zope clients under ``root``, create the site and its people;
    return the path of the JSON file the locust users read."""
    from ccas.vault.scripts.instance import write_instance
    from ccas.vault.scripts.instance import write_zeo

    data = root / "data"
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    zeo_port = free_port()
    address = f"{HOST}:{zeo_port}"
    conf = write_zeo(root / "zeo", address, data=data)
    stack.enter_context(zeo_server(conf, zeo_port, env=env))
    homes = []
    for name in [f"client{number}" for number in range(clients)] + ["setup"]:
        port = free_port()
        write_instance(root / name, data=data, host=HOST, port=port, threads=4, zeo_address=address)
        conf_file = root / name / "etc" / "zope.conf"
        conf_file.write_text(
            re.sub(
                r"^max-conflict-retries \d+$",
                f"max-conflict-retries {RETRIES}",
                conf_file.read_text(),
                flags=re.MULTILINE,
            )
        )
        homes.append((root / name, port))
    script = root / "setup.py"
    script.write_text(SETUP)
    result = run(
        str(BIN / "python"),
        str(script),
        str(homes[-1][0] / "etc" / "zope.conf"),
        SITE_ID,
        str(beneficiaries),
        str(agents),
        env={**os.environ, **env},
        cwd=root,
    )
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("RESULT ")]
    people = json.loads(line[len("RESULT ") :])
    urls = [
        stack.enter_context(zope_server(home, port, env=env, host=HOST))
        for home, port in homes[:-1]
    ]
    photo(root / "photo.jpg")
    pdf(root / "paper.pdf")
    people.update(
        clients=urls,
        password=PASSWORD,
        photo=str(root / "photo.jpg"),
        pdf=str(root / "paper.pdf"),
    )
    people_file = root / "people.json"
    people_file.write_text(json.dumps(people))
    return people_file


def conflict_summary(root):
    """The ConflictErrors the Zope clients logged (retried by the publisher or not), by class
    and address: ``["conflicts: N", "  count  class  path"]``."""
    import collections
    import re

    found = collections.Counter()
    pattern = re.compile(r"ConflictError at (\S+): .*?class ([\w.]+)")
    for log in root.glob("client*/var/log/*.log"):
        for line in log.read_text(errors="replace").splitlines():
            match = pattern.search(line)
            if match:
                path = re.sub(r"/(c|d|m)-[0-9a-f]+", r"/\1-…", match.group(1))
                found[(match.group(2), path)] += 1
    lines = [f"conflicts logged by the Zope clients: {sum(found.values())}"]
    for (kind, path), count in found.most_common(12):
        lines.append(f"  {count:5d}  {kind}  {path}")
    return lines


def main():
    load_time = os.environ.get("LOAD_TIME", "5m")
    baseline_time = os.environ.get("LOAD_BASELINE_TIME", "30s")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        began = time.perf_counter()
        people_file = population(stack, root)
        print(
            f"ZEO server and 2 Zope clients up, {BENEFICIARIES} vaults and {AGENTS} agents "
            f"({time.perf_counter() - began:.0f} s); photo "
            f"{(root / 'photo.jpg').stat().st_size} bytes",
            flush=True,
        )
        baseline, _ = locust(root, people_file, "baseline", 1, 1, 2, baseline_time)
        print(f"baseline (1 beneficiary + 1 agent, {baseline_time}) done", flush=True)
        began = time.perf_counter()
        load, failures = locust(
            root, people_file, "load", BENEFICIARIES, AGENTS, BENEFICIARIES + AGENTS, load_time
        )
        wall = time.perf_counter() - began
        conflicts = conflict_summary(root)
    lines, failed = report(baseline, load, wall, load_time)
    lines += conflicts
    if failures.strip().count("\n"):
        lines += ["failures (locust):", *failures.strip().splitlines()[:20]]
    text = "\n".join(lines)
    print(text)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
    (results / f"load-{stamp}.txt").write_text(text + "\n", encoding="utf-8")
    print(f"written to bench/results/load-{stamp}.txt")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
