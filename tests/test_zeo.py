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
from servers import BIN
from servers import free_port
from servers import port_open
from servers import process
from servers import run
from servers import wait_until
from servers import zope_server
from types import SimpleNamespace
import os
import pytest
import requests
import time


pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
HOST = "127.0.0.1"
SITE_ID = "ccas"
ADMIN = ("admin", os.environ.get("ADMIN_PASSWORD") or "admin")
JSON = {"Accept": "application/json"}
START_TIMEOUT = 180  # seconds for a process to answer; Plone takes a while to load
REQUEST_TIMEOUT = 60


@pytest.fixture(scope="module")
def zeo_cluster(tmp_path_factory):
    """A ZEO server holding the Plone site and two Zope clients; yields their site URLs."""
    root = tmp_path_factory.mktemp("zeo")
    data = root / "data"  # Data.fs and the blobs, shared by the server and the clients
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}

    with ExitStack() as stack:  # stops every process started, whatever happens
        zeo_home = root / "zeo"
        zeo_port = free_port()
        zeo_address = f"{HOST}:{zeo_port}"
        zeo_conf = write_zeo(zeo_home, zeo_address, data=data)
        zeo_logs = [zeo_home / "var" / "log" / name for name in ("zeo.log", "console.log")]
        zeo = stack.enter_context(
            process([str(BIN / "runzeo"), "-C", str(zeo_conf)], zeo_logs[1], env=env)
        )
        wait_until(
            lambda: port_open(zeo_port), START_TIMEOUT, f"ZEO server {zeo_address}", zeo, zeo_logs
        )

        clients = {name: (root / f"client_{name}", free_port()) for name in ("a", "b")}
        for home, port in clients.values():
            write_instance(
                home,
                data=data,
                host=HOST,
                port=port,
                threads=2,
                zeo_address=zeo_address,
                zcml_packages=["zeo_probe"],
            )

        # The site is created through the ZEO server, by a one-shot client.
        site_home = str(clients["a"][0])
        tool = str(BIN / "ccas-vault-instance")
        run(tool, "site", site_home, "--site-id", SITE_ID, env={**os.environ, **env})

        urls = {
            name: stack.enter_context(zope_server(home, port, env=env, host=HOST))
            for name, (home, port) in clients.items()
        }
        yield SimpleNamespace(a=f"{urls['a']}/{SITE_ID}", b=f"{urls['b']}/{SITE_ID}")


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
