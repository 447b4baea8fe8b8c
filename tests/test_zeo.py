"""One ZEO server, two Zope processes: the deployment of ``make start-zeo``, for real.

The module starts a ZEO server (``runzeo``) and two Zope processes (``runwsgi``)
that are ZEO clients of it, each on its own free loopback port, and talks to them
over HTTP only.  Each Zope process also loads the test-only package
``tests/zeo_probe`` (two views that make write conflicts observable).

These tests prove that
* what one client writes, the other one reads (and the other way round);
* when both clients write the same object from the same state, the loser gets a
  ``ConflictError`` at commit, the Zope publisher retries its request, and
  neither write is lost nor applied twice.
"""

from ccas.vault.scripts.instance import write_instance
from ccas.vault.scripts.instance import write_zeo
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
import os
import pytest
import requests
import socket
import subprocess
import sys
import time


pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # the virtualenv's bin/, where runzeo and runwsgi live
HOST = "127.0.0.1"
SITE_ID = "ccas"
ADMIN = ("admin", os.environ.get("ADMIN_PASSWORD") or "admin")
JSON = {"Accept": "application/json"}
START_TIMEOUT = 180  # seconds for a process to answer; Plone takes a while to load
SITE_TIMEOUT = 600  # seconds for the Plone site creation
STOP_TIMEOUT = 20  # seconds between terminate and kill
REQUEST_TIMEOUT = 60


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def tail(paths, lines=40):
    """The last ``lines`` lines of each existing file of ``paths``, for failure messages."""
    parts = []
    for path in paths:
        if path.exists():
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path} (last {len(text)} lines)\n" + "\n".join(text))
    return "\n".join(parts) or "(no log written)"


def stop(process):
    """Terminate ``process``; kill it if it is still there after ``STOP_TIMEOUT``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start(stack, home, args, env):
    """Start ``args`` with its output in ``home/var/log/console.log``; stopped with ``stack``."""
    console = home / "var" / "log" / "console.log"
    with console.open("ab") as output:
        process = subprocess.Popen(
            args, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=home
        )
    stack.callback(stop, process)
    return process


def wait_until(ready, process, logs, what):
    """Poll ``ready()`` until it is true; fail with the tail of ``logs`` otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}\n{tail(logs)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not answer within {START_TIMEOUT}s\n{tail(logs)}")
        time.sleep(0.5)


def listening(port):
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def answering(url):
    try:
        return requests.get(url, auth=ADMIN, timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def zeo_cluster(tmp_path_factory):
    """A ZEO server holding the Plone site and two Zope clients; yields their site URLs."""
    root = tmp_path_factory.mktemp("zeo")
    data = root / "data"  # Data.fs and the blobs, shared by the server and the clients
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))

    with ExitStack() as stack:  # stops every process started, whatever happens
        zeo_home = root / "zeo"
        zeo_port = free_port()
        zeo_address = f"{HOST}:{zeo_port}"
        zeo_conf = write_zeo(zeo_home, zeo_address, data=data)
        zeo = start(stack, zeo_home, [BIN / "runzeo", "-C", zeo_conf], env)
        zeo_logs = [zeo_home / "var" / "log" / name for name in ("zeo.log", "console.log")]
        wait_until(lambda: listening(zeo_port), zeo, zeo_logs, f"ZEO server {zeo_address}")

        clients = {}
        for name in ("a", "b"):
            home = root / f"client_{name}"
            port = free_port()
            ini = write_instance(
                home,
                data=data,
                host=HOST,
                port=port,
                threads=2,
                zeo_address=zeo_address,
                zcml_packages=["zeo_probe"],
            )
            clients[name] = SimpleNamespace(home=home, port=port, ini=ini)

        # The site is created through the ZEO server, by a one-shot client.
        created = subprocess.run(
            [BIN / "ccas-vault-instance", "site", clients["a"].home, "--site-id", SITE_ID],
            env=env,
            capture_output=True,
            text=True,
            timeout=SITE_TIMEOUT,
        )
        if created.returncode != 0:
            pytest.fail(
                f"site creation failed ({created.returncode})\n"
                f"{created.stdout[-3000:]}\n{created.stderr[-3000:]}\n{tail(zeo_logs)}"
            )

        for client in clients.values():
            client.process = start(stack, client.home, [BIN / "runwsgi", client.ini], env)
            client.url = f"http://{HOST}:{client.port}/{SITE_ID}"
        for name, client in clients.items():
            logs = [client.home / "var" / "log" / log for log in ("event.log", "console.log")]
            wait_until(
                lambda url=client.url: answering(url),
                client.process,
                logs,
                f"Zope client {name} on port {client.port}",
            )

        yield SimpleNamespace(a=clients["a"].url, b=clients["b"].url)


def get_json(url):
    response = requests.get(url, headers=JSON, auth=ADMIN, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def append(site_url, value, sleep=0):
    """Append ``value`` through the probe; returns the entry as stored (with its retry)."""
    response = requests.post(
        f"{site_url}/@@zeo-probe-append",
        data={"value": value, "sleep": sleep},
        auth=ADMIN,
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_write_on_one_client_is_read_on_the_other(zeo_cluster):
    """Both Zope processes see one database: a Document created through client A is
    served by client B with the same title, and B's update is served back by A."""
    a, b = zeo_cluster.a, zeo_cluster.b

    created = requests.post(
        a,
        json={"@type": "Document", "id": "zeo-shared", "title": "Écrit par A"},
        headers=JSON,
        auth=ADMIN,
        timeout=REQUEST_TIMEOUT,
    )
    assert created.status_code == 201, created.text

    assert get_json(f"{b}/zeo-shared")["title"] == "Écrit par A"

    updated = requests.patch(
        f"{b}/zeo-shared",
        json={"title": "Modifié par B"},
        headers=JSON,
        auth=ADMIN,
        timeout=REQUEST_TIMEOUT,
    )
    assert updated.status_code == 204, updated.text

    assert get_json(f"{a}/zeo-shared")["title"] == "Modifié par B"


def test_a_conflicting_write_is_retried_and_nothing_is_lost(zeo_cluster):
    """Two clients append to the same PersistentList from the same state: A reads it,
    then waits 2 s before committing; meanwhile B reads the same state and commits.
    A's commit raises ConflictError (a PersistentList cannot resolve conflicts), the
    publisher retries A's request on the new state, and the list ends up holding
    both values exactly once, one of them stored by a retried request."""
    a, b = zeo_cluster.a, zeo_cluster.b
    # Create the list, and warm both clients up (first traversal, probe views),
    # so that the timing below only depends on the sleeps.
    append(a, "seed")
    assert [entry["value"] for entry in get_json(f"{b}/@@zeo-probe-list")] == ["seed"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(append, a, "a", sleep=2)
        time.sleep(0.5)  # A has read the list and is sleeping before its commit
        fast = pool.submit(append, b, "b", sleep=0.1)
        answers = [slow.result(), fast.result()]

    entries = get_json(f"{a}/@@zeo-probe-list")
    values = sorted(entry["value"] for entry in entries)
    assert values == ["a", "b", "seed"], entries  # nothing lost, nothing twice
    retried = [entry for entry in entries if entry["retry"] >= 1]
    assert retried, f"no request was retried, so there was no conflict: {entries}"
    assert [entry for entry in answers if entry["retry"] >= 1] == retried
