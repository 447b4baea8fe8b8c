"""A GED batch survives the loss of the ZEO server: every letter once, none lost.

Real processes, as in production: a ZEO server (``runzeo``) and one Zope
client (``runwsgi``), in a temporary folder.  The GED posts a batch of letters;
as soon as the body is sent, the ZEO server is killed (SIGKILL: no clean
shutdown, possibly in the middle of the batch's commit) and stays down until
the GED client got its first answer, or 15 s.  The Zope client gives up on the
lost server after its ``wait-timeout`` (3 s here, ZEO's ``<clientstorage>``
section); depending on where the kill lands, the GED client sees no answer, a
5xx, some letters answered 5xx, or — when the publisher's own retry outlived the
outage — a normal answer.  The ZEO server is restarted on the same storage; the
GED client — :func:`post_with_retry`, what a real GED should do — sends the
whole batch again until every letter has a final answer.

Afterwards, asked as the connector, every reference says *delivered*; and a
separate Zope process (no HTTP, no Manager) finds exactly one paper per
letter in the vault's "Courrier du CCAS" folder, in the folder and in the
catalog, and one receipt per reference pointing to its own paper.
"""

from ccas.vault.scripts.instance import write_instance
from ccas.vault.scripts.instance import write_zeo
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path
from servers import BIN
from servers import free_port
from servers import run
from servers import tail
from servers import zeo_server
from servers import zope_server
import base64
import json
import os
import pytest
import requests
import signal
import threading
import time


pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
HOST = "127.0.0.1"
SITE_ID = "ccas"
PASSWORD = "Mot-de-passe-long-1"  # tests/vaults.py
LETTERS = 120
RETRY_DEADLINE = 90  # seconds the GED client keeps retrying
ZEO_WAIT_TIMEOUT = 3  # seconds a Zope client waits for a lost ZEO server before failing
ZEO_DOWN = 15  # at most this many seconds with the ZEO server down

SCRIPT = r'''
"""Run in its own Zope process (a ZEO client): ``setup`` or ``count``."""
import json
import sys
import transaction
from ccas.vault.scripts.instance import _open_app
from ccas.vault.scripts.instance import CLASSIC_UI_PROFILES
from zope.component.hooks import setSite


def setup(app, site_id):
    from ccas.vault import roles
    from Products.CMFPlone.factory import addPloneSite
    from vaults import consent_as_owner, make_agent, make_user, open_vault_as

    app.acl_users._doAddUser("admin", "admin", ["Manager"], [])
    site = addPloneSite(
        app, site_id, title="CCAS", profile_id="Products.CMFPlone:plone",
        extension_ids=(*CLASSIC_UI_PROFILES, "ccas.vault:default"),
        default_language="fr", portal_timezone="Europe/Paris",
    )
    transaction.commit()
    setSite(site)
    make_agent("accueil")
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True)
    )
    transaction.commit()
    return {"vault": vault.getId()}


def count(app, site_id, vault_id):
    from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
    from ccas.vault.letters import receipts

    site = app[site_id]
    setSite(site)
    folder = site["coffres"][vault_id]["partage"].get(CCAS_MAIL_FOLDER_ID)
    if folder is None:
        return {"documents": [], "catalog": [], "receipts": {}}
    path = "/".join(folder.getPhysicalPath())
    documents = [o for o in folder.objectValues() if o.portal_type == "VaultDocument"]
    brains = site.portal_catalog.unrestrictedSearchResults(portal_type="VaultDocument", path=path)
    portal_path = "/".join(site.getPhysicalPath())
    found = {}
    for receipt in receipts.all_receipts():
        target = site.unrestrictedTraverse(portal_path + receipt.document_path, None)
        found[receipt.reference] = {
            "status": receipt.status,
            "document": target.getId() if target is not None and receipt.document_path else None,
        }
    return {
        "documents": sorted(d.getId() for d in documents),
        "catalog": sorted(b.getId for b in brains),
        "receipts": found,
    }


if __name__ == "__main__":
    mode, conf = sys.argv[1], sys.argv[2]
    app = _open_app(conf)
    try:
        if mode == "setup":
            result = setup(app, sys.argv[3])
        else:
            result = count(app, sys.argv[3], sys.argv[4])
        print("RESULT " + json.dumps(result))
    finally:
        transaction.abort()
        app._p_jar.db().close()
'''


def script(root, env, *args):
    path = root / "ged_zeo_script.py"
    if not path.exists():
        path.write_text(SCRIPT)
    result = run(str(BIN / "python"), str(path), *args, env={**os.environ, **env}, cwd=root)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    return json.loads(line[len("RESULT ") :])


def pdf(reference):
    """A real PDF of a few kB, its text unique to the letter."""
    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out)
    page.setTitle(f"Courrier {reference}")
    for line in range(40):
        page.drawString(40, 800 - 18 * line, f"{reference} - ligne {line} - attestation du CCAS")
    page.save()
    return out.getvalue()


def letter(reference, vault_id):
    return {
        "ged_reference": reference,
        "person": {"vault": vault_id} if reference.endswith("0") else {"ged_person_id": "GED-42"},
        "document_type": "attestation-domiciliation",
        "title": f"Attestation de domiciliation {reference}",
        "issued": "2026-11-20",
        "file": {
            "filename": f"{reference}.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(pdf(reference)).decode("ascii"),
        },
    }


class Body:
    """A request body that tells (``sent``) when the client has read all of it."""

    def __init__(self, data):
        self.data = data
        self.stream = BytesIO(data)
        self.sent = threading.Event()

    def __len__(self):
        return len(self.data)

    def read(self, size=-1):
        chunk = self.stream.read(size)
        if not chunk:
            self.sent.set()
        return chunk


def failed_letters(response):
    """The references of a batch answer whose result is a 5xx (to send again later)."""
    return [item["ged_reference"] for item in response.json()["results"] if item["status"] >= 500]


def post_with_retry(url, payload, auth, attempts, on_body=None, deadline=RETRY_DEADLINE):
    """What a GED client does: send the whole batch again while the answer is a connection
    error, a 5xx, or a batch where some letter's result is a 5xx (idempotent: safe).

    Each attempt's outcome (a status code, with the number of letters answered 5xx, or an
    exception name) is appended to ``attempts``; ``on_body(body)`` is called with the first
    attempt's body.  Returns the first complete answer.
    """
    data = json.dumps(payload).encode("utf-8")
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    give_up = time.monotonic() + deadline
    pause = 0.5
    while True:
        body = Body(data)
        if on_body is not None and not attempts:
            on_body(body)
        try:
            response = requests.post(url, data=body, headers=headers, auth=auth, timeout=300)
        except requests.RequestException as error:
            attempts.append(type(error).__name__)
        else:
            failed = failed_letters(response) if response.status_code == 200 else []
            attempts.append((response.status_code, len(failed)))
            if response.status_code < 500 and not failed:
                return response
        if time.monotonic() > give_up:
            raise AssertionError(f"the batch was never received: {attempts}")
        time.sleep(pause)
        pause = min(pause * 2, 4)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("ged_zeo")
    data = root / "data"
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    zeo_port = free_port()
    address = f"{HOST}:{zeo_port}"
    zeo_conf = write_zeo(root / "zeo", address, data=data)
    client_home, port = root / "client", free_port()
    write_instance(client_home, data=data, host=HOST, port=port, threads=2, zeo_address=address)
    conf = client_home / "etc" / "zope.conf"
    # ZEO's own <clientstorage> section: it can say how long to wait for a lost server.
    text = conf.read_text().replace("    var $INSTANCE/var\n", "")
    text = text.replace("<zeoclient>", "<clientstorage>").replace(
        "</zeoclient>", "</clientstorage>"
    )
    text = text.replace(
        "shared-blob-dir on", f"shared-blob-dir on\n    wait-timeout {ZEO_WAIT_TIMEOUT}"
    )
    assert "<clientstorage>" in text and "wait-timeout" in text, text
    conf.write_text(text)
    script_home = root / "script"  # the scripts' own ZEO client (cache, logs)
    write_instance(script_home, data=data, zeo_address=address)
    with ExitStack() as stack:
        zeo = stack.enter_context(zeo_server(zeo_conf, zeo_port, env=env))
        made = script(root, env, "setup", str(script_home / "etc" / "zope.conf"), SITE_ID)
        url = stack.enter_context(zope_server(client_home, port, env=env, host=HOST))
        yield {
            "root": root,
            "env": env,
            "stack": stack,
            "zeo": zeo,
            "zeo_conf": zeo_conf,
            "zeo_port": zeo_port,
            "site": f"{url}/{SITE_ID}",
            "vault": made["vault"],
            "count": lambda: script(
                root, env, "count", str(script_home / "etc" / "zope.conf"), SITE_ID, made["vault"]
            ),
            "logs": [
                client_home / "var" / "log" / "event.log",
                root / "zeo" / "var" / "log" / "zeo.log",
            ],
        }


def test_a_batch_cut_by_a_zeo_crash_is_delivered_once_after_a_retry(cluster):
    site, vault_id, ged = cluster["site"], cluster["vault"], ("ged", PASSWORD)
    # Warm the Zope client up (traversal, first letters), so the big batch only does the work.
    warm = post_with_retry(
        f"{site}/@ged-letters/batch", {"letters": [letter("WARM-0", vault_id)]}, ged, []
    )
    assert warm.status_code == 200 and warm.json()["statuses"] == {"201": 1}, warm.text

    references = [f"LOT-{number:04d}" for number in range(LETTERS)]
    batch = {"letters": [letter(reference, vault_id) for reference in references]}
    attempts, bodies, outcome = [], [], {}

    def ged_client():
        try:
            outcome["response"] = post_with_retry(
                f"{site}/@ged-letters/batch", batch, ged, attempts, on_body=bodies.append
            )
        except BaseException as error:  # reported by the main thread
            outcome["error"] = error

    client = threading.Thread(target=ged_client, daemon=True)
    client.start()
    # Kill the ZEO server as soon as the whole batch has reached Zope: the request is in flight.
    deadline = time.monotonic() + 60
    while not bodies and time.monotonic() < deadline:
        time.sleep(0.01)
    assert bodies and bodies[0].sent.wait(60), "the batch was never sent"
    time.sleep(0.2)
    zeo = cluster["zeo"]
    os.kill(zeo.pid, signal.SIGKILL)
    zeo.wait(timeout=10)
    assert zeo.returncode == -signal.SIGKILL
    # The ZEO server stays down until the GED client got its first answer, or ZEO_DOWN seconds.
    deadline = time.monotonic() + ZEO_DOWN
    while not attempts and client.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    cluster["stack"].enter_context(
        zeo_server(cluster["zeo_conf"], cluster["zeo_port"], env=cluster["env"])
    )
    client.join(RETRY_DEADLINE + 300)
    assert not client.is_alive(), f"the GED client is still retrying: {attempts}"
    assert "error" not in outcome, f"{outcome.get('error')}\n{tail(*cluster['logs'])}"

    print("GED client attempts:", attempts)
    # The crash hit the batch while Zope was processing it: the GED client saw a failure
    # (no answer, a 5xx, or letters answered 5xx), or at least Zope lost the server mid-request.
    first = attempts[0]
    seen = isinstance(first, str) or first[0] >= 500 or first[1] > 0
    event_log = cluster["logs"][0].read_text(errors="replace")
    assert seen or "ClientDisconnected" in event_log, attempts
    response = outcome["response"]
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [item["ged_reference"] for item in results] == references
    # 201: delivered by the retry; 200: the crashed attempt had committed it already.
    assert {item["status"] for item in results} <= {200, 201}, response.json()["statuses"]

    # Asked as the connector, every letter is delivered.
    session = requests.Session()
    statuses = {}
    for reference in references:
        answer = session.get(
            f"{site}/@ged-letters/{reference}",
            headers={"Accept": "application/json"},
            auth=ged,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        statuses[reference] = answer.json()["status"]
    assert set(statuses.values()) == {"delivered"}, statuses

    # Counted by another Zope process: one paper per letter, in the folder and the catalog.
    found = cluster["count"]()
    expected = len(references) + 1  # and the warm-up letter
    assert len(found["documents"]) == expected, found["documents"]
    assert found["catalog"] == found["documents"]
    assert set(found["receipts"]) == {*references, "WARM-0"}
    assert {info["status"] for info in found["receipts"].values()} == {"delivered"}
    papers = sorted(info["document"] for info in found["receipts"].values())
    assert papers == found["documents"]  # each receipt its own paper, no paper without receipt
