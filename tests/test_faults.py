"""Faults on a real instance, each followed by the integrity checker (issue 18, decision 0041).

One ZEO server and one Zope client of the demo site, built by the project's
own commands (:class:`faults.Cluster`), the blob directory on a small
``tmpfs`` the test mounts.  The GED is another program (:mod:`ged_client`):
it sends its letters over HTTP and sends a batch again, with the same
references, while its answer does not arrive.  After each fault, from
outside only: the person sees every letter exactly once (:func:`faults.owner_view`)
and ``ccas-vault-check`` (a separate process, on the client's ``zope.conf``)
reports no problem.

* a Zope client SIGKILLed in the middle of a batch, then started again;
* a full disk while writing blobs: ``507 insufficient_storage``, nothing
  stored, nothing lost; the same request succeeds once space is freed;
* a ZEO restart during a person's upload, during a closure request and
  during the clock's deletion of a closed vault.
"""

from datetime import datetime
from datetime import timedelta
from faults import assert_each_once
from faults import Cluster
from faults import GED
from faults import MountRefused
from faults import OWNER
from faults import OWNER_GED_ID
from faults import owner_view
from faults import ZEORestart
from ged_client import Body
from ged_client import letter
from ged_client import pdf
from ged_client import send_stream
from ged_client import statuses
import base64
import hashlib
import html
import json
import os
import pytest
import random
import re
import requests
import threading
import time


pytestmark = pytest.mark.slow

BLOB_FS_SIZE = "48m"
SEED = int(os.environ.get("CCAS_FAULTS_SEED") or time.time())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    home = tmp_path_factory.mktemp("faults")
    made = Cluster(home, blob_fs_size=BLOB_FS_SIZE)
    try:
        try:
            made.build()
        except MountRefused as refused:
            made.close()
            made = Cluster(tmp_path_factory.mktemp("faults-no-mount"))
            made.mount_refused = str(refused)
            made.build()
        made.vault_url = made.owner_vault()
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def figures():
    """Per test: letters sent, delivered once, doubled, lost, checker problems, seconds."""
    found = {}
    yield found
    print(f"\nfault figures (seed {SEED}):")
    for name, values in found.items():
        print(f"  {name}: {json.dumps(values)}")


def to_owner(reference):
    return letter(reference, {"ged_person_id": OWNER_GED_ID})


def finish(cluster, figures, name, started, references, report):
    """The end of every fault test: the person sees each letter once, the GED was told
    each is delivered, the checker finds nothing."""
    view = owner_view(cluster.url, cluster.vault_url)
    counted = assert_each_once(view, report, references) if references else {}
    told = statuses(cluster.url, GED, references)
    assert set(told.values()) <= {"delivered"}, told
    checked = cluster.assert_checked()
    figures[name] = {
        **counted,
        "checker_problems": len(checked["problems"]),
        "checker_seconds": checked["seconds"],
        "seconds": round(time.monotonic() - started, 1),
        **({"ged": report.summary()} if report is not None else {}),
    }
    return view


def test_the_instance_is_sound_before_any_fault(cluster, figures):
    """The demo site as built: the checker finds nothing (else every later test would)."""
    started = time.monotonic()
    checked = cluster.assert_checked()
    figures["before"] = {"checker_problems": 0, "checked": checked.get("checked"),
                         "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


def test_a_zope_client_killed_mid_batch_then_restarted(cluster, figures):
    """SIGKILL of the only Zope client while it receives a batch; the GED gets no answer,
    sends the batch again while the client restarts, and every letter lands once."""
    started, rng = time.monotonic(), random.Random(SEED)
    references = [f"KILL-{number:04d}" for number in range(100)]
    killed = threading.Event()

    def restart():
        cluster.kill_zope()
        killed.set()
        cluster.start_zope()

    def on_sent(number, attempt):
        # The third batch's body has left: kill the client 0–600 ms later (before,
        # during or after its commit, or once it answered), once.
        if number == 2 and attempt == 0 and not killed.is_set():
            timer = threading.Timer(rng.uniform(0, 0.6), restart)
            timer.daemon = True
            timer.start()
        elif number > 2 and attempt == 0:
            # on an idle machine the last batches take less than 600 ms: a later batch,
            # its body sent, waits for the kill (then it is the batch that gets no answer)
            killed.wait(timeout=30)

    letters = [to_owner(r) for r in references]
    report = send_stream(cluster.url, GED, letters, on_sent=on_sent)
    assert killed.is_set()
    attempts = [(a.batch, a.outcome) for a in report.attempts]
    print("GED attempts:", attempts)
    # The batch in flight (or the next one, if the kill came after its answer) got no answer.
    assert report.resent_batches >= 1, f"the kill never hit a batch: {attempts}"
    assert report.delivered == references
    # The GED sends the first batch once more: each letter answered already delivered
    # (200, "delivered"), naming the paper its first delivery made.
    again = send_stream(cluster.url, GED, letters[:20])
    assert again.already_delivered == references[:20] and again.delivered_now == []
    assert again.papers() == {ref: report.papers()[ref] for ref in references[:20]}
    finish(cluster, figures, "zope_client_killed", started, references, report)


def fill(path):
    """Fill the filesystem of ``path`` with one file, to the last byte; return the file."""
    filler = path / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):  # megabytes, then the last blocks
            try:
                while os.write(descriptor, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(descriptor)
    assert os.statvfs(path).f_bavail == 0
    return filler


def deposit(session, space_url, title, data):
    return session.post(
        f"{space_url}/@deposit",
        json={
            "document_type": "justificatif-domicile",
            "title": title,
            "file": {
                "filename": "justificatif.pdf",
                "content_type": "application/pdf",
                "data": base64.b64encode(data).decode("ascii"),
            },
        },
        timeout=120,
    )


def papers_titled(session, folder_url, title):
    """The papers of ``folder_url`` whose title is ``title``, as the person sees them."""
    listing = session.get(folder_url, params={"b_size": 100000}, timeout=60)
    assert listing.status_code == 200, listing.text[:2000]
    found = []
    for item in listing.json()["items"]:
        paper = session.get(item["@id"], timeout=60)
        assert paper.status_code == 200, item["@id"]
        if paper.json()["title"] == title:
            found.append(paper.json())
    return found


def owner_session():
    session = requests.Session()
    session.auth = OWNER
    session.headers["Accept"] = "application/json"
    return session


def skin_session(cluster):
    """The person logged in through their pages (``/mon-coffre/connexion``), as in a browser."""
    session = requests.Session()
    answer = session.post(
        f"{cluster.url}/mon-coffre/connexion",
        data={"__ac_name": OWNER[0], "__ac_password": OWNER[1], "form.submitted": "1"},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:2000]
    return session


def add_through_the_pages(cluster, session, title, data):
    """The person adds a paper with the form of ``/mon-coffre/ajouter``."""
    page = session.get(f"{cluster.url}/mon-coffre/ajouter", timeout=60)
    token = re.search(r'name="_authenticator" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{cluster.url}/mon-coffre/ajouter",
        data={
            "form.submitted": "1",
            "_authenticator": token,
            "document_type": "justificatif-domicile",
            "title": title,
            "issued": "2026-10-31",
            "space": "prive",
        },
        files=[("file", ("justificatif.pdf", data, "application/pdf"))],
        headers={"Accept": "text/html"},
        timeout=120,
        allow_redirects=False,
    )


def assert_disk_full_answer(response):
    assert response.status_code == 507, response.text[:3000]
    error = response.json()["error"]
    assert error["type"] == "insufficient_storage", error
    assert error["message"] and error["message_fr"]
    assert "traceback" not in response.text.lower()


def test_a_full_disk_stores_nothing_half_and_the_same_request_succeeds_later(cluster, figures):
    if getattr(cluster, "mount_refused", None):
        pytest.skip(f"no small filesystem for the blobs on this machine: {cluster.mount_refused}")
    started = time.monotonic()
    # Letters already delivered, and one the person can open: they must survive the full disk.
    before = [f"AVANT-{n:02d}" for n in range(5)]
    first = send_stream(cluster.url, GED, [to_owner(r) for r in before])
    assert first.delivered_now == before
    kept_url = first.answers[before[0]][1]["@id"]
    session = owner_session()
    kept = session.get(f"{kept_url}/@@download/file", timeout=60)
    assert kept.status_code == 200
    kept_sha = hashlib.sha256(kept.content).hexdigest()

    filler = fill(cluster.blobs)
    try:
        # The GED's batch: refused whole, nothing stored, no receipt.
        references = [f"PLEIN-{n:02d}" for n in range(5)]
        letters = [to_owner(r) for r in references]
        answer = requests.post(
            f"{cluster.url}/@ged-letters/batch",
            json={"letters": letters},
            headers={"Accept": "application/json"},
            auth=GED,
            timeout=120,
        )
        assert_disk_full_answer(answer)
        assert answer.headers.get("Retry-After")
        assert set(statuses(cluster.url, GED, references).values()) == {None}  # unknown
        # A person's upload: refused, nothing stored.
        data = pdf("TELEVERSEMENT-PLEIN", lines=45)
        private = f"{cluster.vault_url}/prive"
        upload = deposit(session, private, "Justificatif disque plein", data)
        assert_disk_full_answer(upload)
        assert papers_titled(session, private, "Justificatif disque plein") == []
        # The same through the person's pages: a page saying so (not Plone's error page).
        pages = skin_session(cluster)
        page_data = pdf("PAGES-PLEIN", lines=45)
        added = add_through_the_pages(cluster, pages, "Ajouté disque plein", page_data)
        assert added.status_code == 507, added.text[:2000]
        assert "Le serveur n'a plus d'espace disque" in html.unescape(added.text)
        assert "traceback" not in added.text.lower()
        assert papers_titled(session, private, "Ajouté disque plein") == []
        # What was stored before is still there, intact.
        again = session.get(f"{kept_url}/@@download/file", timeout=60)
        assert again.status_code == 200
        assert hashlib.sha256(again.content).hexdigest() == kept_sha
    finally:
        filler.unlink()

    # Space freed: the same requests succeed.
    report = send_stream(cluster.url, GED, letters)
    assert report.delivered_now == references
    upload = deposit(session, private, "Justificatif disque plein", data)
    assert upload.status_code == 201, upload.text[:2000]
    (stored,) = papers_titled(session, private, "Justificatif disque plein")
    assert stored["sha256"] == hashlib.sha256(data).hexdigest()
    added = add_through_the_pages(cluster, pages, "Ajouté disque plein", page_data)
    assert added.status_code == 303, added.text[:2000]
    (stored,) = papers_titled(session, private, "Ajouté disque plein")
    assert stored["sha256"] == hashlib.sha256(page_data).hexdigest()
    first.answers.update(report.answers)
    first.attempts += report.attempts
    first.sent += report.sent
    finish(cluster, figures, "disk_full", started, before + references, first)


def post_during_zeo_restart(cluster, session, url, payload, delay, down=4):
    """POST ``payload`` and kill the ZEO server ``delay`` s after the body left; the
    outcome (a status code or an exception name) once the server is back."""
    restart = ZEORestart(cluster, delay, down)
    body = Body(json.dumps(payload).encode("utf-8"), on_sent=restart.start)
    try:
        response = session.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=120
        )
        outcome = response.status_code
    except requests.RequestException as error:
        response, outcome = None, type(error).__name__
    restart.wait()
    return outcome, response


def test_a_zeo_restart_during_an_upload(cluster, figures):
    """The upload is there once, whole (its SHA-256), or cleanly absent and sent again."""
    started, rng = time.monotonic(), random.Random(SEED + 1)
    session = owner_session()
    private = f"{cluster.vault_url}/prive"
    outcomes = []
    for number in range(3):
        title = f"Justificatif pendant une panne {number}"
        data = pdf(title, lines=45)
        payload = {
            "document_type": "justificatif-domicile",
            "title": title,
            "file": {
                "filename": "justificatif.pdf",
                "content_type": "application/pdf",
                "data": base64.b64encode(data).decode("ascii"),
            },
        }
        outcome, _response = post_during_zeo_restart(
            cluster, session, f"{private}/@deposit", payload, rng.uniform(0, 0.3)
        )
        found = papers_titled(session, private, title)
        if outcome == 201:
            assert len(found) == 1, found
        else:
            assert found == [], f"{outcome}: a paper stored though the upload failed: {found}"
            retried = deposit(session, private, title, data)
            assert retried.status_code == 201, retried.text[:2000]
            found = papers_titled(session, private, title)
        assert [paper["sha256"] for paper in found] == [hashlib.sha256(data).hexdigest()]
        download = session.get(found[0]["@id"] + "/@@download/file", timeout=60)
        assert download.content == data
        outcomes.append(outcome)
    print("upload outcomes:", outcomes)
    finish(cluster, figures, "zeo_restart_upload", started, [], None)
    figures["zeo_restart_upload"]["outcomes"] = outcomes


#: The demo's people in *closing* once ``mbenali`` asked: (last name, first name, birth date).
CLOSING = {
    "mbenali": ("Benali", "Mohamed", "1962-07-21"),
    "lfontaine": ("Fontaine", "Lucie", "1972-04-18"),
}


def vaults_of(cluster, person):
    """The vault ids an agent of the CCAS finds for a person (``GET /coffres/@vaults``)."""
    last, first, birth = person
    answer = requests.get(
        f"{cluster.url}/coffres/@vaults",
        params={"last_name": last, "first_name": first, "birth_date": birth},
        headers={"Accept": "application/json"},
        auth=("accueil", "demo"),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:2000]
    return [item["id"] for item in answer.json()["items"]]


def test_a_zeo_restart_during_a_closure_request_and_during_the_deletion(cluster, figures):
    """The person asks to close their vault while the ZEO server restarts: the vault is
    *closing* or still open (and the request succeeds again).  Then the clock deletes
    it — ``ccas-vault-clock`` as cron runs it — while the ZEO server restarts: the vault
    is gone, or the clock failed and its next run deletes it; once."""
    started, rng = time.monotonic(), random.Random(SEED + 2)
    person = ("mbenali", "demo")
    session = requests.Session()
    session.auth = person
    session.headers["Accept"] = "application/json"
    found = session.get(f"{cluster.url}/@search", params={"portal_type": "Vault"}, timeout=60)
    (vault_url,) = [item["@id"] for item in found.json()["items"]]
    vault_id = vault_url.rsplit("/", 1)[1]
    outcome, _response = post_during_zeo_restart(
        cluster, session, f"{vault_url}/@vault-closure", {}, rng.uniform(0, 0.1)
    )
    state = session.get(f"{vault_url}/@vault-closure", timeout=60).json()["state"]
    print("closure request:", outcome, state)
    if outcome == 200:
        assert state == "closing"
    else:
        assert state == "open", state
        again = session.post(f"{vault_url}/@vault-closure", json={}, timeout=60)
        assert again.status_code == 200, again.text[:2000]
    due = session.get(f"{vault_url}/@vault-closure", timeout=60).json()["deletion_due"]
    cluster.assert_checked()

    # The deletion, by the clock inside the Zope server (``make start``'s default) a day
    # after it is due: the operator gives the client a clock and a now-file with the
    # project's command, and the ZEO server is killed 0–0.3 s after the clock destroyed a
    # closing vault's data key (its log line): in the middle of the deletion or its commit.
    assert vaults_of(cluster, CLOSING["mbenali"]) == [vault_id]
    assert len(vaults_of(cluster, CLOSING["lfontaine"])) == 1
    others = vaults_of(cluster, ("Martin", "Alice", "1985-03-12"))
    now_file = cluster.home / "now"
    now_file.write_text(
        (datetime.fromisoformat(due).replace(tzinfo=None) + timedelta(days=1)).isoformat()
    )
    cluster.reconfigure("--clock-interval", "2", "--now-file", str(now_file))
    event_log = cluster.client / "var" / "log" / "event.log"

    def log_count(text):
        return event_log.read_text(errors="replace").count(text)

    shredded = log_count("destroyed")
    restart = ZEORestart(
        cluster, rng.uniform(0, 0.3), 4, when=lambda: log_count("destroyed") > shredded
    )
    restart.start()
    cluster.restart_zope()
    restart.wait()
    deadline = time.monotonic() + 120
    while any(vaults_of(cluster, person) for person in CLOSING.values()):
        assert time.monotonic() < deadline, cluster.log()
        time.sleep(1)
    assert vaults_of(cluster, ("Martin", "Alice", "1985-03-12")) == others
    summaries = [
        line
        for line in event_log.read_text(errors="replace").splitlines()
        if "vaults closed" in line or "vault closed" in line
    ]
    closed = [int(line.split(" mandate")[1].rsplit(",", 1)[1].split()[0]) for line in summaries]
    failed = log_count("clock jobs of site")
    print("clock:", summaries[-3:], "failed ticks:", failed)
    # Deleted once: the two vaults counted once over the clock's ticks (one tombstone each).
    assert sum(closed) == len(CLOSING), summaries
    finish(cluster, figures, "zeo_restart_closure", started, [], None)
    figures["zeo_restart_closure"]["request"] = outcome
    figures["zeo_restart_closure"]["failed_clock_ticks"] = failed
