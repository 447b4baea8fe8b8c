"""A GED stream survives PostgreSQL crashes on RelStorage: every letter once, none lost.

Issue 18, decision 0039.  An instance written by the project's own commands
(``ccas-vault-instance init --relstorage-dsn``, ``site --demo``: ``make
start-pg``'s shape) on a throw-away PostgreSQL (``tests/pg.py``), served by
``runwsgi``.  The GED (``tests/ged_client.py``, another program) sends letters
to the demo person in batches of 20 and sends a batch again, whole and with the
same references, while its answer does not arrive.  Meanwhile PostgreSQL is
stopped :data:`RESTARTS` times at random moments with ``pg_ctl -m immediate``
(every server process killed, no checkpoint: crash recovery at the next start)
and started again 1 to 4 s later.

Afterwards, from outside: the person sees each letter exactly once, every
catalog entry leads to its paper, the GED is told every letter is delivered,
and ``ccas-vault-check`` (a separate process) finds no problem.
"""

from ccas.vault.scripts import postgresql as pg
from faults import assert_each_once
from faults import GED
from faults import OWNER
from faults import OWNER_GED_ID
from faults import owner_view
from ged_client import letter
from ged_client import Report
from ged_client import send_batch
from ged_client import statuses
from pg import postgresql  # noqa: F401 (fixture)
from real_instance import deployer_env
from real_instance import SITE_ID
from servers import BIN
from servers import free_port
from servers import run
from servers import zope_server
import json
import os
import pytest
import random
import requests
import subprocess
import threading
import time


pytestmark = pytest.mark.slow

LETTERS = 160
BATCH = 20
RESTARTS = 3
SEED = int(os.environ.get("CCAS_FAULTS_SEED") or time.time())


class Restarter(threading.Thread):
    """Crash PostgreSQL (``pg_ctl stop -m immediate``) at random moments; start it again."""

    def __init__(self, data_dir, port, rng):
        super().__init__(daemon=True)
        self.data_dir, self.port, self.rng = data_dir, port, rng
        self.done = 0
        self.error = None

    def run(self):
        try:
            for _ in range(RESTARTS):
                time.sleep(self.rng.uniform(1, 6))
                stop = [str(pg.bin_dir() / "pg_ctl"), "-D", self.data_dir, "-m", "immediate"]
                subprocess.run(pg._as_owner([*stop, "-w", "stop"]), check=True, capture_output=True)
                self.done += 1
                time.sleep(self.rng.uniform(1, 4))
                pg.start(self.data_dir, self.port)
        except BaseException as error:  # reported by the test
            self.error = error


@pytest.fixture
def site(postgresql, tmp_path):  # noqa: F811
    dsn = postgresql.database("faults")
    [[data_dir]] = postgresql.fetch(dsn, "SHOW data_directory")
    home, port = tmp_path / "instance", free_port()
    tool, env = str(BIN / "ccas-vault-instance"), deployer_env()
    run(tool, "init", str(home), "--relstorage-dsn", dsn, "--port", str(port),
        "--clock-interval", "0", env=env)  # fmt: skip
    run(tool, "site", str(home), "--demo", env=env)
    with zope_server(home, port, env=env, inherit=False) as url:
        yield {
            "url": f"{url}/{SITE_ID}",
            "conf": home / "etc" / "zope.conf",
            "data_dir": data_dir,
            "port": postgresql.port,
            "env": env,
            "home": home,
        }
        if not pg.is_running(data_dir):
            pg.start(data_dir, postgresql.port)


def owner_vault(url):
    answer = requests.get(
        f"{url}/@search",
        params={"portal_type": "Vault"},
        headers={"Accept": "application/json"},
        auth=OWNER,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    (item,) = answer.json()["items"]
    return item["@id"]


def test_postgresql_crashes_during_a_ged_stream_lose_and_double_nothing(site):
    restarter = Restarter(site["data_dir"], site["port"], random.Random(SEED))
    references, report = [], Report()
    restarter.start()
    with requests.Session() as session:
        session.auth = GED
        while len(references) < LETTERS or restarter.is_alive():
            chunk = [f"PG-{len(references) + n:04d}" for n in range(BATCH)]
            references += chunk
            letters = [letter(ref, {"ged_person_id": OWNER_GED_ID}) for ref in chunk]
            answer = send_batch(session, site["url"], letters, len(report.attempts), report)
            for item in answer["results"]:
                report.answers[item["ged_reference"]] = (item["status"], item["body"])
    restarter.join(60)
    assert restarter.error is None, repr(restarter.error)
    assert restarter.done == RESTARTS
    report.sent = len(references)

    view = owner_view(site["url"], owner_vault(site["url"]))
    figures = assert_each_once(view, report, references)
    told = statuses(site["url"], GED, references)
    assert set(told.values()) == {"delivered"}, told
    checked = subprocess.run(
        [str(BIN / "ccas-vault-check"), str(site["conf"]), "--json"],
        capture_output=True,
        text=True,
        env=site["env"],
        cwd=site["home"],
        timeout=600,
    )
    report_json = json.loads(checked.stdout)
    assert checked.returncode == 0 and report_json["problems"] == [], checked.stdout[-6000:]
    print(f"seed {SEED}: restarts {restarter.done}, {figures}, GED {report.summary()}")
