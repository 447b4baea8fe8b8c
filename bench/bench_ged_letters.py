"""Benchmark of the GED letters endpoints against real servers (ZEO + Zope clients).

Starts, in a temporary folder, a ZEO server and two Zope clients (``runwsgi``,
written by ``ccas.vault.scripts.instance`` like ``make start-zeo``), creates the
site, a GED connector account and 20 open vaults that accept the CCAS's
letters (half the letters name the vault, half the GED person id), then
measures, with real ~100 KB PDFs (reportlab, an incompressible random image on
the page: every letter's bytes differ):

(a) the naive path a Plone integrator would take: one plone.restapi ``POST`` of
    a ``File`` (base64) per letter into a plain Folder, as the Manager;
(b) ``POST /@ged-letters``, one letter per request, as the connector;
(c) ``POST /@ged-letters/batch``, 100 letters per request;
(d) (c) fed to two Zope clients in parallel (one thread each, N/2 letters each);
(e), (f) the same as (c), (d) with batches of 25;
(g) (c) sent by two senders at once to one Zope client (its deliveries take
    turns, decision 0030: no batch is replayed).

Before measuring, each client takes every path once and one letter for every
person (so both have the vaults in their ZODB cache, as clients that have run
for a while have: (d) does not measure a cold client against a warm one).
Request bodies are serialised before the clock starts: the figures are the
server's, not this script's JSON encoder's.

The GED paths seal each letter in the request and leave its PAdES signature
to the signing queue (decision 0014): after (c) the queue is drained in a ZEO
client process (``signing_queue.drain``, as the clock and
``ccas-vault-sign-queue`` do) and the drain rate and the end-to-end rate of (c)
(letters fully signed per second, batch time + drain time) are printed too.

Prints letters/second for each path, the CPU each process used per letter
(so that work redone after a ConflictError shows), and the ratios (c)/(a),
(b)/(a) — goal (c) ≥ 3 × (a) — and two clients vs one, (d)/(c) — goal ≥ 1.7
(bounded by the CPUs: the ZEO server, both Zope clients and this script share
them).  Returns 0 when both goals are met.  ``BENCH_GED_LETTERS`` (default
300) sets N per path; ``BENCH_GED_PROFILE=1`` also profiles a batch of 100
inside a Zope process (cProfile) and runs two processes committing batches at
the same time, naming the objects they conflict on.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path
import base64
import json
import os
import random
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
ADMIN = ("admin", "admin")
PASSWORD = "Mot-de-passe-long-1"
GED = ("ged", PASSWORD)
BATCH = 100
SMALL_BATCH = 25
# One letter per person per path, as in a mailing (a GED sends a month's letters to many
# people): 300 vaults, half addressed by vault id, half by GED person id.  With two
# clients, each sends the letters of different people.
VAULTS = 300
TARGET_BATCH_RATIO = 3.0
TARGET_TWO_CLIENTS = 1.7
JSON = {"Accept": "application/json", "Content-Type": "application/json"}

SETUP = r"""
import json, sys, transaction
from ccas.vault.scripts.instance import _open_app, CLASSIC_UI_PROFILES
from zope.component.hooks import setSite

app = _open_app(sys.argv[1])
from ccas.vault import roles
from Products.CMFPlone.factory import addPloneSite
from vaults import consent_as_owner, make_agent, make_user, open_vault_as

app.acl_users._doAddUser("admin", "admin", ["Manager"], [])
site = addPloneSite(
    app, sys.argv[2], title="CCAS", profile_id="Products.CMFPlone:plone",
    extension_ids=(*CLASSIC_UI_PROFILES, "ccas.vault:default"),
    default_language="fr", portal_timezone="Europe/Paris",
)
transaction.commit()
setSite(site)
make_agent("accueil")
make_user("ged", global_roles=[roles.GED_CONNECTOR])
vaults = []
for number in range(int(sys.argv[3])):
    vault = consent_as_owner(open_vault_as(
        "accueil", f"usager{number:03d}", last=f"Dupont{number}",
        ged_person_ids=[f"GED-{number}"], receive_ccas_letters=True,
    ))
    vaults.append(vault.getId())
transaction.commit()
print("RESULT " + json.dumps({"vaults": vaults}))
app._p_jar.db().close()
"""

PROFILE = r'''
"""Inside a Zope process (a ZEO client), as the connector, what a batch request does.

``profile``: cProfile of one batch.  ``conflicts``: batches committed in a loop,
retried on ConflictError like the publisher does; prints each conflict's object.
"""
import cProfile, io, json, pstats, sys, time, transaction
from ccas.vault.scripts.instance import _open_app
from zope.component.hooks import setSite
from ZODB.POSException import ConflictError

mode, conf, site_id, letters_file = sys.argv[1:5]
app = _open_app(conf)
site = app[site_id]
setSite(site)
from AccessControl.SecurityManagement import newSecurityManager
from ccas.vault.services.ged_letters.ged_letters import GEDLettersPost

user = site.acl_users.getUserById("ged")
newSecurityManager(None, user.__of__(site.acl_users))
letters = json.load(open(letters_file))


def describe(oid):
    """Which well-known persistent object ``oid`` is (a tree, or one of its buckets)."""
    from zope.annotation.interfaces import IAnnotations
    from zope.component import getUtility
    from zope.intid.interfaces import IIntIds

    directory = site["coffres"]
    known = {name: getattr(directory, name, None) for name in dir(directory)
             if name.startswith("_ccas")}
    known.update({"portal annotation " + k: v for k, v in IAnnotations(site).items()})
    intids = getUtility(IIntIds)
    known.update({"intids.ids": intids.ids, "intids.refs": intids.refs})
    catalog = site.portal_catalog._catalog
    known.update({"catalog.uids": catalog.uids, "catalog.paths": catalog.paths,
                  "catalog.data": catalog.data})
    for name, index in catalog.indexes.items():
        for attr in ("_index", "_unindex", "_length", "_wordinfo", "_docweight", "_docwords",
                     "_since", "_until", "_since_only", "_until_only", "_always"):
            known[f"catalog index {name}.{attr}"] = getattr(index, attr, None)
        inner = getattr(index, "index", None)  # ZCTextIndex: its Okapi index and lexicon
        for attr in ("_wordinfo", "_docweight", "_docwords"):
            known[f"catalog index {name}.index.{attr}"] = getattr(inner, attr, None)
    for name in ("plone_lexicon", "htmltext_lexicon", "plaintext_lexicon"):
        lexicon = getattr(site.portal_catalog, name, None)
        for attr in ("_wids", "_words", "wordCount"):
            known[f"{name}.{attr}"] = getattr(lexicon, attr, None)
    for name, obj in list(known.items()):
        if getattr(obj, "_p_oid", None) == oid:
            return name
        bucket = getattr(obj, "_firstbucket", None)
        while bucket is not None:
            if bucket._p_oid == oid:
                return name + " (a bucket)"
            bucket = bucket._next
    return "unknown"


def batch(chunk):
    results = GEDLettersPost.receive_batch(chunk, "ged")
    transaction.commit()
    return results


if mode == "profile":
    # The first half warms this process up (the same people as the second half), the
    # second half is measured: CPU without the profiler, then again under cProfile.
    half = len(letters) // 2
    warm, measured = letters[:half], letters[half:]
    batch(warm)
    began = time.perf_counter(), time.process_time()
    results = batch(measured[: half // 2])
    wall, cpu = time.perf_counter() - began[0], time.process_time() - began[1]
    print(f"{half // 2} letters, warm ZEO client, no profiler: {1000 * cpu / (half // 2):.1f} ms "
          f"CPU and {1000 * wall / (half // 2):.1f} ms wall per letter")
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    results = batch(measured[half // 2 :])
    profiler.disable()
    elapsed = time.perf_counter() - began
    statuses = sorted({r.status_code for r in results})
    print(f"profiled {len(results)} letters in {elapsed:.2f} s "
          f"({len(results) / elapsed:.1f}/s), statuses {statuses}")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(35)
        print(out.getvalue())
else:
    retries, seen = 0, {}
    for start in range(0, len(letters), 20):
        while True:
            try:
                batch(letters[start:start + 20])
                break
            except ConflictError as error:
                transaction.abort()
                retries += 1
                text = str(error)
                kind = text[text.find("class "):].split(",")[0].split(")")[0]
                kind = f"{kind} = {describe(error.oid)}"
                seen[kind] = seen.get(kind, 0) + 1
                app._p_jar.sync()
    print("CONFLICTS " + json.dumps({"retries": retries, "classes": seen}))
app._p_jar.db().close()
'''


DRAIN = r"""
import json, sys, time
from ccas.vault.scripts.instance import _open_app
from ccas.vault.security import as_system
from zope.component.hooks import setSite

app = _open_app(sys.argv[1])
setSite(app[sys.argv[2]])
from ccas.vault.certification import signing_queue

queued = len(signing_queue.pending())
began = time.perf_counter()
with as_system():
    report = signing_queue.drain()
elapsed = time.perf_counter() - began
print("RESULT " + json.dumps({"queued": queued, "signed": report.signed,
      "failed": len(report.failed), "errors": report.errors, "seconds": elapsed}))
app._p_jar.db().close()
"""


def drain_queue(root, setup_conf, env):
    """Drain the PAdES signing queue in a ZEO client process (as the clock or
    ``ccas-vault-sign-queue`` do); ``(signed, seconds spent in drain())``."""
    script = root / "drain.py"
    script.write_text(DRAIN)
    result = run(str(BIN / "python"), str(script), setup_conf, SITE_ID, env=env, cwd=root)
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("RESULT ")]
    outcome = json.loads(line[len("RESULT ") :])
    if outcome["failed"] or outcome["errors"]:
        raise RuntimeError(f"signing queue: {outcome}")
    return outcome["signed"], outcome["seconds"]


def pdf(rng, reference, size=100_000):
    """A real one-page PDF of about ``size`` bytes: text and an incompressible image."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    side = int((size / 3 / 1.25) ** 0.5)  # RGB bytes, ASCII85-encoded by reportlab
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = BytesIO()
    page = canvas.Canvas(out)
    page.setTitle(f"Courrier {reference}")
    page.drawString(40, 800, f"CCAS - courrier {reference}")
    page.drawImage(ImageReader(image), 40, 400, width=300, height=300)
    page.save()
    return out.getvalue()


def letter(rng, reference, person):
    data = pdf(rng, reference)
    return {
        "ged_reference": reference,
        "person": {"vault": person[0]} if rng.random() < 0.5 else {"ged_person_id": person[1]},
        "document_type": "attestation-domiciliation",
        "title": f"Attestation de domiciliation {reference}",
        "issued": "2026-11-20",
        "file": {
            "filename": f"{reference}.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(data).decode("ascii"),
        },
    }


def plain_file(item):
    """The same letter as plone.restapi expects a File."""
    return {
        "@type": "File",
        "title": item["title"],
        "file": {
            "data": item["file"]["data"],
            "encoding": "base64",
            "filename": item["file"]["filename"],
            "content-type": "application/pdf",
        },
    }


def check(response, *expected):
    if response.status_code not in expected:
        raise RuntimeError(
            f"{response.request.url} answered {response.status_code}: {response.text[:500]}"
        )
    return response


def timed(function, count):
    began = time.perf_counter()
    function()
    elapsed = time.perf_counter() - began
    return count / elapsed, elapsed


def encoded(body):
    return json.dumps(body).encode("utf-8")


def naive_bodies(letters):
    return [encoded(plain_file(item)) for item in letters]


def single_bodies(letters):
    return [encoded(item) for item in letters]


def batch_bodies(letters, size=BATCH):
    return [
        (encoded({"letters": letters[start : start + size]}), len(letters[start : start + size]))
        for start in range(0, len(letters), size)
    ]


def naive(session, site, bodies):
    for body in bodies:
        check(
            session.post(f"{site}/bench", data=body, headers=JSON, auth=ADMIN, timeout=120),
            201,
        )


def one_by_one(session, site, bodies):
    for body in bodies:
        check(
            session.post(f"{site}/@ged-letters", data=body, headers=JSON, auth=GED, timeout=120),
            201,
        )


#: batch requests answered 5xx (a ConflictError the publisher's 3 retries did not get past)
FAILED_BATCHES = []


def batches(session, site, bodies):
    """Post the batch ``bodies``, sending a batch again on a 5xx like a GED client."""
    for body, count in bodies:
        for _attempt in range(5):
            answer = session.post(
                f"{site}/@ged-letters/batch", data=body, headers=JSON, auth=GED, timeout=600
            )
            if answer.status_code < 500:
                break
            FAILED_BATCHES.append(answer.json().get("type", answer.status_code))
        check(answer, 200)
        statuses = answer.json()["statuses"]
        # 200: a batch sent again after a 5xx may find letters of a commit that did land
        if set(statuses) - {"200", "201"} or sum(statuses.values()) != count:
            raise RuntimeError(f"batch answered {statuses}")


def conflicts_since(root, before):
    """ConflictErrors each Zope client logged (the request is replayed) since ``before``."""
    counts = {}
    for name in ("a", "b"):
        log = root / name / "var" / "log" / "event.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        lines = [line for line in lines if "ConflictError" in line]
        counts[f"zope {name}"] = len(lines) - before.get(f"zope {name}", 0)
        if os.environ.get("BENCH_GED_CONFLICTS"):
            for line in lines[before.get(f"zope {name}", 0) :]:
                print(f"    zope {name}: {line[:400]}", flush=True)
    return counts


def pid_of(path):
    """The id of the process (started by this script) whose command line names ``path``."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                args = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(path).encode() in args:
                return int(proc.name)
    return None


def cpu_seconds(pids):
    """User + system CPU seconds used so far by each named process."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            used[name] = 0.0
    return used


def cpu_since(before, pids):
    return {name: after - before[name] for name, after in cpu_seconds(pids).items()}


def profile_batches(root, make, setup_conf, env, address):
    """cProfile of a batch of 100 in a Zope process, then two processes committing
    batches of 20 at the same time (each retried on ConflictError, as the publisher does)."""
    from ccas.vault.scripts.instance import write_instance

    script = root / "ged_profile.py"
    script.write_text(PROFILE)
    command = [str(BIN / "python"), str(script)]
    environ = {**os.environ, **env}
    letters = root / "profile.json"
    warm, measured = make("PROFW", BATCH), make("PROFM", BATCH)  # the same people
    letters.write_text(json.dumps(warm + measured))
    out = subprocess.run(
        [*command, "profile", setup_conf, SITE_ID, str(letters)],
        capture_output=True,
        text=True,
        env=environ,
        cwd=root,
    )
    print(out.stdout[-14000:] or out.stderr[-3000:], flush=True)
    homes = []
    for name in ("p1", "p2"):
        home = root / name
        write_instance(home, data=root / "data", zeo_address=address)
        part = root / f"{name}.json"
        part.write_text(json.dumps(make(name.upper(), 60)))
        homes.append((home, part))
    procs = [
        subprocess.Popen(
            [*command, "conflicts", str(home / "etc" / "zope.conf"), SITE_ID, str(part)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
            cwd=root,
        )
        for home, part in homes
    ]
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        lines = [line for line in stdout.splitlines() if line.startswith("CONFLICTS ")]
        print("  two processes, batches of 20:", lines[0] if lines else stderr[-2000:])


def main():
    import requests

    count = int(os.environ.get("BENCH_GED_LETTERS", "300"))
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="bench-ged-") as tmp, ExitStack() as stack:
        from ccas.vault.scripts.instance import write_instance
        from ccas.vault.scripts.instance import write_zeo

        root = Path(tmp)
        data = root / "data"
        env = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
        }
        zeo_port = free_port()
        address = f"{HOST}:{zeo_port}"
        conf = write_zeo(root / "zeo", address, data=data)
        stack.enter_context(zeo_server(conf, zeo_port, env=env))
        clients = []
        for name in ("a", "b", "setup"):
            port = free_port()
            write_instance(
                root / name, data=data, host=HOST, port=port, threads=2, zeo_address=address
            )
            clients.append((root / name, port))
        setup_conf = str(clients[2][0] / "etc" / "zope.conf")
        script = root / "setup.py"
        script.write_text(SETUP)
        result = run(
            str(BIN / "python"),
            str(script),
            setup_conf,
            SITE_ID,
            str(VAULTS),
            env={**os.environ, **env},
            cwd=root,
        )
        (line,) = [x for x in result.stdout.splitlines() if x.startswith("RESULT ")]
        vault_ids = json.loads(line[len("RESULT ") :])["vaults"]
        began = time.perf_counter()
        urls = list(
            ThreadPoolExecutor(2).map(
                lambda client: stack.enter_context(
                    zope_server(client[0], client[1], env=env, host=HOST)
                ),
                clients[:2],
            )
        )
        site_a, site_b = (f"{url}/{SITE_ID}" for url in urls)
        print(
            f"ZEO server and 2 Zope clients up ({time.perf_counter() - began:.0f} s); "
            f"{count} letters per path, ~100 KB PDFs",
            flush=True,
        )

        def make(prefix, number):
            return [
                letter(rng, f"{prefix}-{i:05d}", (vault_ids[i % VAULTS], f"GED-{i % VAULTS}"))
                for i in range(number)
            ]

        sizes = [len(base64.b64decode(item["file"]["data"])) for item in make("SIZE", 5)]
        print(f"PDF sizes: {min(sizes)}..{max(sizes)} bytes", flush=True)
        session = requests.Session()
        check(
            session.post(
                site_a,
                json={"@type": "Folder", "id": "bench", "title": "Bench"},
                headers=JSON,
                auth=ADMIN,
                timeout=60,
            ),
            201,
        )
        # Warm-up, the same for both clients: every path once, then one letter for every
        # person through each client, so that each has the vaults in its ZODB cache (as a
        # client that has been running for a while has) and (d) does not measure a cold one.
        for site in (site_a, site_b):
            warm = make(f"WARM-{site[-12:-5]}", VAULTS + 2)
            naive(session, site, naive_bodies(warm[:1]))
            one_by_one(session, site, single_bodies(warm[1:2]))
            batches(session, site, batch_bodies(warm[2:]))
        drain_queue(root, setup_conf, {**os.environ, **env})

        rates, cpu_used = {}, {}
        pids = {
            "zope a": pid_of(root / "a" / "etc" / "zope.ini"),
            "zope b": pid_of(root / "b" / "etc" / "zope.ini"),
            "zeo": pid_of(conf),
            "driver": os.getpid(),  # this script: the GED's side
        }
        for key, label, function, prepare in (
            ("a", "plone.restapi POST File, one by one", naive, naive_bodies),
            ("b", "@ged-letters, one by one", one_by_one, single_bodies),
            ("c", f"@ged-letters/batch by {BATCH}", batches, batch_bodies),
        ):
            # Bodies serialised before the clock starts: the figure is the server's.
            bodies = prepare(make(key.upper(), count))
            before = cpu_seconds(pids)
            rate, elapsed = timed(lambda f=function, b=bodies: f(session, site_a, b), count)
            cpu_used[key] = cpu_since(before, pids)
            rates[key] = rate
            print(
                f"({key}) {label:40} {rate:7.2f} letters/s  ({count} in {elapsed:.1f} s)",
                flush=True,
            )
            if key == "b":  # empty the queue (warm-up and (b)) before measuring its drain
                drain_queue(root, setup_conf, {**os.environ, **env})
            if key == "c":
                signed, drained = drain_queue(root, setup_conf, {**os.environ, **env})
                rates["drain"] = signed / drained
                rates["c_end_to_end"] = count / (elapsed + drained)
                print(
                    f"    (c) queued PAdES signatures drained: {rates['drain']:7.2f} letters/s "
                    f"({signed} in {drained:.1f} s, one transaction each, 1 process)\n"
                    f"    (c) end to end, fully signed:       {rates['c_end_to_end']:7.2f} "
                    f"letters/s (batch time + drain time)",
                    flush=True,
                )

        def at_once(sites, parts):
            def send(site, part):
                with requests.Session() as own:
                    batches(own, site, part)

            with ThreadPoolExecutor(len(sites)) as pool:
                futures = [
                    pool.submit(send, site, part) for site, part in zip(sites, parts, strict=True)
                ]
                for future in futures:
                    future.result()

        for key, label, size, sites in (
            ("d", f"@ged-letters/batch by {BATCH}, 2 clients", BATCH, (site_a, site_b)),
            ("e", f"@ged-letters/batch by {SMALL_BATCH}, 1 client", SMALL_BATCH, (site_a,)),
            ("f", f"@ged-letters/batch by {SMALL_BATCH}, 2 clients", SMALL_BATCH, (site_a, site_b)),
            ("g", f"@ged-letters/batch by {BATCH}, 2 senders, 1 client", BATCH, (site_a, site_a)),
        ):
            letters = make(key.upper(), count)
            half = (
                batch_bodies(letters[: count // 2], size),
                batch_bodies(letters[count // 2 :], size),
            )
            every = batch_bodies(letters, size)
            FAILED_BATCHES.clear()
            logged = conflicts_since(root, {})
            before = cpu_seconds(pids)
            if len(sites) == 2:
                rate, elapsed = timed(lambda s=sites, h=half: at_once(s, h), count)
            else:
                rate, elapsed = timed(lambda b=every: batches(session, site_a, b), count)
            cpu_used[key] = cpu_since(before, pids)
            rates[key] = rate
            retried = ", ".join(
                f"{name} {count}" for name, count in conflicts_since(root, logged).items()
            )
            failed = (
                f"; {len(FAILED_BATCHES)} batch(es) answered 5xx, sent again; "
                f"requests replayed after a ConflictError: {retried}"
            )
            print(
                f"({key}) {label:40} {rate:7.2f} letters/s  ({count} in {elapsed:.1f} s{failed})",
                flush=True,
            )
        print("CPU used per letter (user + system), by process:")
        for key, used in cpu_used.items():
            shares = ", ".join(f"{name} {1000 * sec / count:3.0f} ms" for name, sec in used.items())
            print(f"    ({key}) {shares}", flush=True)

        if os.environ.get("BENCH_GED_PROFILE"):
            profile_batches(root, make, setup_conf, env, address)

    batch_ratio = rates["c"] / rates["a"]
    single_ratio = rates["b"] / rates["a"]
    two_ratio = rates["d"] / rates["c"]
    two_small = rates["f"] / rates["e"]
    two_senders = rates["g"] / rates["c"]
    end_to_end_ratio = rates["c_end_to_end"] / rates["a"]
    print(
        "In the request of (b)-(g): inspection, deposit, indexing, the Ed25519 seal "
        "(certification, registry), history lines, receipt, notification (queued after "
        "commit).\nQueued (signing queue, decision 0014): the PAdES signature embedded in "
        "the PDF, its second seal and history line.  (a) does none of this."
    )
    print(
        f"ged-letters: (c)/(a) = {batch_ratio:.2f} (goal >= {TARGET_BATCH_RATIO}), "
        f"end to end incl. drain (c)/(a) = {end_to_end_ratio:.2f}, "
        f"drain {rates['drain']:.1f} letters/s; "
        f"(b)/(a) = {single_ratio:.2f}; 2 clients / 1 client = {two_ratio:.2f} by {BATCH} "
        f"(goal >= {TARGET_TWO_CLIENTS}), {two_small:.2f} by {SMALL_BATCH}; "
        f"2 senders / 1 sender on one client = {two_senders:.2f} (turns, decision 0030); "
        f"{os.cpu_count()} CPUs"
    )
    # What two clients could reach at best here: every CPU busy with nothing but letters,
    # each costing what it cost all processes in (c), and no work redone after a conflict.
    cpu_per_letter = sum(cpu_used["c"].values()) / count
    ceiling = (os.cpu_count() or 1) / cpu_per_letter
    print(
        f"(d) ceiling on {os.cpu_count()} CPUs: {ceiling:.1f} letters/s = "
        f"{ceiling / rates['c']:.2f} x (c) ({1000 * cpu_per_letter:.1f} ms of CPU per letter "
        f"in (c), all processes); (d) reached {rates['d'] / ceiling:.0%} of it"
    )
    ok = batch_ratio >= TARGET_BATCH_RATIO and two_ratio >= TARGET_TWO_CLIENTS
    print(f"targets: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
