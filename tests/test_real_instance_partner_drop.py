"""The partners' drop folder on an instance built as a deployer builds it (decision 0055).

``ccas-vault-instance init`` + ``site --demo``; the records manager's switch and Alice's
consent are set by a script on the instance; the operator runs
``ccas-vault-partner-import``; a run killed in the middle (``SIGKILL``) leaves nothing
half-stored (``ccas-vault-check`` finds no problem) and the next run finishes it without
delivering anything twice; then the server is started, its clock imports the next drop,
and Alice reads her papers over HTTP.
"""

from real_instance import CLOCK_INTERVAL
from real_instance import deployer_env
from real_instance import SITE_ID
from servers import BIN
from servers import free_port
from servers import run
from servers import wait_until
from servers import zope_process
from vaults import pdf_bytes
import csv
import pytest
import requests
import signal
import subprocess
import sys


pytestmark = pytest.mark.slow

PERSON = "alice.martin"  # demo: GED id GED-1001, open vault
PAPERS = 16

SETUP = """
from ccas.vault.scripts import instance
from zope.component.hooks import setSite
from plone import api
import sys, transaction
app = instance._open_app(sys.argv[1])
setSite(app["ccas"])
from ccas.vault.connectors import consent, settings
from ccas.vault.api.vaults import vault_of
settings.set_enabled("partner-drop-folder", True)
vault = vault_of("alice.martin")
with api.env.adopt_user(username="alice.martin"):
    consent.give(vault, settings.get_connector("partner-drop-folder"), {})
transaction.commit()
print(vault.getId())
"""

HEADER = ["reference", "ged_person_id", "document_type", "title", "issued", "filename"]


def write_drop(folder, count):
    folder.mkdir(parents=True)
    rows = []
    for number in range(1, count + 1):
        name = f"attestation-{number}.pdf"
        (folder / name).write_bytes(pdf_bytes(f"Attestation CAF {number}"))
        rows.append([f"CAF-{number}", "GED-1001", "attestation-caf", f"Attestation {number}",
                     "2026-11-20", name])  # fmt: skip
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    rows.append(["CAF-BAD", "GED-1001", "attestation-caf", "Cassé", "2026-11-20", "broken.pdf"])
    (folder / "stranger.pdf").write_bytes(pdf_bytes("Personne"))
    rows.append(["CAF-WHO", "GED-9999", "attestation-caf", "Inconnu", "2026-11-20",
                 "stranger.pdf"])  # fmt: skip
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)


def reports(folder):
    found = []
    for path in sorted(folder.glob("report-*.csv")):
        with path.open(newline="", encoding="utf-8") as report:
            found.append(list(csv.DictReader(report)))
    return found


def done(folder):
    path = folder / "done"
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []


def test_partner_drop_folder_on_a_built_instance(tmp_path_factory):
    home = tmp_path_factory.mktemp("instance")
    port = free_port()
    env = deployer_env()
    tool = str(BIN / "ccas-vault-instance")
    run(tool, "init", str(home), "--data", str(home / "filestorage"), "--port", str(port),
        "--clock-interval", CLOCK_INTERVAL, env=env)  # fmt: skip
    run(tool, "site", str(home), "--demo", env=env)
    conf = str(home / "etc" / "zope.conf")
    vault_id = run(sys.executable, "-c", SETUP, conf, env=env).stdout.strip().splitlines()[-1]

    root = tmp_path_factory.mktemp("partenaires")
    caf = root / "caf"
    write_drop(caf, PAPERS)
    script = [str(BIN / "ccas-vault-partner-import"), str(root), "--zope-conf", conf]

    # The operator's first run is killed in the middle of the folder.
    proc = subprocess.Popen(script, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: len(done(caf)) >= 2 or proc.poll() is not None, 300, "first papers")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    moved = done(caf)
    assert 2 <= len(moved) < PAPERS, "the run ended before it could be killed mid-way"
    assert reports(caf) == []  # killed: no report written

    # Nothing half-stored: catalog, files, receipts, histories hold.
    check = subprocess.run([str(BIN / "ccas-vault-check"), conf], env=env, capture_output=True,
                           text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr

    # The next run finishes the folder; nothing is delivered twice.
    again = subprocess.run(script, env=env, capture_output=True, text=True)
    assert again.returncode == 1, again.stdout + again.stderr  # the broken PDF
    (report,) = reports(caf)
    outcomes = {line["reference"]: line["outcome"] for line in report}
    assert outcomes["CAF-BAD"] == "invalid" and outcomes["CAF-WHO"] == "parked"
    delivered = [r for r, o in outcomes.items() if o == "delivered"]
    already = [r for r, o in outcomes.items() if o in ("already_done", "duplicate")]
    assert len(delivered) + len(already) == PAPERS
    assert len(already) >= len(moved)
    assert (caf / "error" / "broken.pdf").exists()
    assert len(done(caf)) == PAPERS + 1  # and the parked one
    check = subprocess.run([str(BIN / "ccas-vault-check"), conf], env=env, capture_output=True,
                           text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    # Dropping the same manifest and PDF again delivers nothing.
    (caf / "attestation-1.pdf").write_bytes((caf / "done" / "attestation-1.pdf").read_bytes())
    third = subprocess.run(script, env=env, capture_output=True, text=True)
    assert "1 duplicate" in third.stdout, third.stdout + third.stderr

    # The server's clock imports what the partner drops next (CCAS_VAULT_PARTNER_DROP_FOLDER).
    (caf / "clock.pdf").write_bytes(pdf_bytes("Par l'horloge"))
    with (caf / "manifest.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerow(["CAF-CLOCK", "GED-1001", "attestation-caf", "Par l'horloge",
                         "2026-11-20", "clock.pdf"])  # fmt: skip
    served = deployer_env(CCAS_VAULT_PARTNER_DROP_FOLDER=str(root))

    # Alice reads her papers over HTTP, on the server as shipped.
    with zope_process(home, port, env=served, inherit=False) as (proc, base, logs):
        wait_until(lambda: (caf / "done" / "clock.pdf").exists(), 300, "the clock's import",
                   proc, logs)  # fmt: skip
        assert [line["outcome"] for line in reports(caf)[-1]] == ["delivered"]
        session = requests.Session()
        session.auth = (PERSON, "demo")
        session.headers["Accept"] = "application/json"
        shared = session.get(f"{base}/{SITE_ID}/coffres/{vault_id}/partage", timeout=120)
        assert shared.status_code == 200, shared.text[:300]
        papers = {}
        for item in shared.json()["items"]:
            paper = session.get(item["@id"], timeout=120).json()
            papers[paper["title"]] = paper
        partner = [p for p in papers.values() if "partner" in str(p.get("origin"))]
        assert len(partner) == PAPERS + 1  # and the clock's
        paper = papers["Attestation 1"]
        item = {"@id": paper["@id"]}
        pdf = session.get(f"{item['@id']}/@@download/file", timeout=120)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        page = session.get(
            f"{base}/{SITE_ID}/mon-coffre/papiers", headers={"Accept": "text/html"}, timeout=60
        )
        # A newer paper of the same partner connector and type replaces the older (decision
        # 0051): « Mes papiers » lists the newest, the older ones are its earlier versions.
        assert page.status_code == 200 and "horloge" in page.text
        assert "Partenaire : CAF" in page.text
