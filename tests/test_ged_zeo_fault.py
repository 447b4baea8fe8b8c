"""A GED stream survives ZEO server crashes: every letter once, none lost, a sound database.

Real processes, as in production and as issue 18 tried it: a ZEO server and one
Zope client of the demo site, built with ``ccas-vault-instance zeo``, ``init``
and ``site --demo`` (:class:`faults.Cluster`); the GED is another program
(:mod:`ged_client`) sending :data:`LETTERS` letters to one person in batches
of :data:`BATCH` through ``POST /@ged-letters/batch``.  During :data:`KILLS`
batches the ZEO server is SIGKILLed 0–300 ms after the batch's body left (before,
during or after the batch's commit: the point is random, the seed printed), and
started again :data:`ZEO_DOWN` seconds later on the same storage.  The Zope
client waits for it (ZEO's 30 s), or fails the request; the GED sends a batch
again, with the same references, while its answer does not come.

Afterwards, from outside only:

* the GED asks each reference: *delivered*;
* the person opens their "Courrier du CCAS" over HTTP: one paper per letter,
  the one the GED was told, every catalog entry leading to a paper
  (:func:`faults.owner_view`);
* ``ccas-vault-check`` on the client's ``zope.conf`` (a separate process) finds
  no problem: no object id given to two objects, no dangling reference, catalog,
  receipts, blobs and history chains consistent.

Before the ZEO oid-pool fix (issue 18) this is where the corruption showed:
references to objects of another class, letters doubled or lost.
"""

from faults import assert_each_once
from faults import Cluster
from faults import GED
from faults import OWNER_GED_ID
from faults import owner_view
from faults import ZEORestart
from ged_client import letter
from ged_client import send_stream
from ged_client import statuses
import json
import os
import pytest
import random
import time


pytestmark = pytest.mark.slow

LETTERS = 300
BATCH = 20
KILLS = 3  # batches during which the ZEO server is killed
ZEO_DOWN = 6  # seconds the ZEO server stays down each time
SEED = int(os.environ.get("CCAS_FAULTS_SEED") or time.time())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    made = Cluster(tmp_path_factory.mktemp("ged_zeo"))
    try:
        made.build()
        made.vault_url = made.owner_vault()
        yield made
    finally:
        made.close()


def test_a_ged_stream_cut_by_zeo_crashes_is_delivered_once_and_the_database_is_sound(cluster):
    started, rng = time.monotonic(), random.Random(SEED)
    references = [f"LOT-{number:04d}" for number in range(LETTERS)]
    letters = [letter(ref, {"ged_person_id": OWNER_GED_ID}) for ref in references]
    batches = len(references) // BATCH
    # Batches two apart at least (the first may be one of them).
    cut = sorted(2 * n for n in rng.sample(range(batches // 2), KILLS))
    restarts = []

    def on_sent(number, attempt):
        if attempt == 0 and number in cut:
            if restarts:  # one restart at a time
                restarts[-1][1].thread.join(60)
            restart = ZEORestart(cluster, rng.uniform(0, 0.3), ZEO_DOWN)
            restarts.append((number, restart))
            restart.start()

    report = send_stream(cluster.url, GED, letters, batch=BATCH, on_sent=on_sent)
    for _number, restart in restarts:
        restart.wait()
    attempts = [(a.batch, a.outcome, a.failed_letters, a.seconds) for a in report.attempts]
    print(f"seed {SEED}, ZEO killed during batches {cut}; GED attempts:", attempts)
    assert [number for number, _restart in restarts] == cut
    # Every ZEO kill held a batch up (Zope waiting for the server) or failed it (sent again).
    held = [a for a in report.attempts if a.seconds >= 2 or not a.succeeded]
    assert len(held) >= KILLS, attempts

    assert report.delivered == references, report.summary()
    assert set(statuses(cluster.url, GED, references).values()) == {"delivered"}
    view = owner_view(cluster.url, cluster.vault_url)
    counted = assert_each_once(view, report, references)
    checked = cluster.assert_checked()
    figures = {
        **counted,
        "checker_problems": len(checked["problems"]),
        "checked": checked.get("checked"),
        "ged": report.summary(),
        "seconds": round(time.monotonic() - started, 1),
    }
    print("ZEO kill figures:", json.dumps(figures))
