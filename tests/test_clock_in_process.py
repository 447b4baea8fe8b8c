"""Time passes on the default install: the server runs the clock jobs itself (decision 0032).

One instance is built as a deployer builds it — ``ccas-vault-instance init
--clock-interval 2 --now-file PATH``, ``ccas-vault-instance site --demo``, then
``runwsgi`` on the generated ``zope.ini`` as a subprocess, with nothing of the
test process in its environment — and left running for the whole module.
Time is moved only the documented way, by writing the now-file, and only
forward; everything is observed from outside, over HTTP (REST as the person,
the agent, the GED, the records manager), a real SMTP server and poppler's
``pdfsig``.  The tests run in this file's order, the site's clock going forward
from one to the next.
"""

from ccas.vault.setuphandlers.demo_people import pdf_bytes
from datetime import date
from datetime import datetime
from datetime import timedelta
from real_instance import deployer_env
from real_instance import RealSite
from servers import BIN
from servers import free_port
from servers import run
from servers import tail
from servers import wait_until
from servers import zope_process
from zoneinfo import ZoneInfo
import base64
import csv
import hashlib
import io
import itertools
import pytest
import requests
import shutil
import signal
import subprocess
import sys
import time


pytestmark = pytest.mark.slow

PARIS = ZoneInfo("Europe/Paris")
INTERVAL = 2  # seconds between two ticks of the site's clock
TICKS = 3 * INTERVAL + 2  # long enough for a few ticks
PDFSIG = shutil.which("pdfsig")
ADMIN = ("admin", "admin")
_numbers = itertools.count(1)


class ClockSite(RealSite):
    """The running instance, its server process and its drop folder."""

    def __init__(self, home, base_url, now_file, logs, proc, drop_folder):
        super().__init__(home, base_url, now_file, logs, proc)
        self.drop_folder = drop_folder

    def now(self):
        """The site's clock, computed as the documentation says: the now-file's moment plus
        the time elapsed since it was written, else real time."""
        if not self.now_file.exists() or not self.now_file.read_text().strip():
            return datetime.now(PARIS)
        moment = datetime.fromisoformat(self.now_file.read_text().strip())
        moment = moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment
        return moment + timedelta(seconds=time.time() - self.now_file.stat().st_mtime)

    def move_to(self, moment):
        """Set the site's clock to ``moment`` (Paris), later than it is now."""
        moment = moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment
        assert moment > self.now(), "the tests move the site's clock forward only"
        self.now_file.write_text(moment.replace(tzinfo=None).isoformat())

    def wait_for(self, check, what, timeout=90):
        """Poll ``check()`` once a second until it is true (the clock ticks every 2 s)."""

        def slowly():
            if check():
                return True
            time.sleep(0.8)
            return False

        wait_until(slowly, timeout, what, proc=self.proc, logs=self.logs)

    def event_log(self):
        return (self.home / "var" / "log" / "event.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``make start``'s instance with a 2-second clock, a now-file and a GED drop folder."""
    home = tmp_path_factory.mktemp("clock-site") / "instance"  # its keys: ../ccas-vault-keys
    port = free_port()
    now_file = home.parent / "now"
    drop_folder = home.parent / "depot-ged"
    drop_folder.mkdir()
    tool = str(BIN / "ccas-vault-instance")
    env = deployer_env()
    run(tool, "init", str(home), "--data", str(home / "filestorage"), "--port", str(port),
        "--clock-interval", str(INTERVAL), "--now-file", str(now_file), env=env)  # fmt: skip
    run(tool, "site", str(home), "--demo", env=env)
    env = deployer_env(CCAS_VAULT_GED_DROP_FOLDER=str(drop_folder))
    with zope_process(home, port, env=env, inherit=False) as (proc, url, logs):
        yield ClockSite(home, url, now_file, logs, proc, drop_folder)


@pytest.fixture(scope="module")
def alice_vault(site):
    """The id of Alice Martin's vault (demo: ``GED-1001``, a mandate to ``travailleur``),
    as her social worker's ``@my-vaults`` lists it."""
    answer = site.session("travailleur").get(f"{site.url}/coffres/@my-vaults", timeout=60)
    assert answer.status_code == 200, answer.text
    ids = [item["id"] for item in answer.json()["items"] if item["last_name"] == "Martin"]
    assert len(ids) == 1
    return ids[0]


def b64(data):
    return base64.b64encode(data).decode("ascii")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def open_vault(site, email=None):
    """A vault opened over REST by the reception agent, consented by the person; ``(vault
    URL, login, password)``."""
    number = next(_numbers)
    login, password = f"clock.person{number}", f"Horloge-{number}-secret!"
    body = {
        "first_name": "Camille",
        "last_name": f"Horloge{number}",
        "birth_date": "1990-04-0" + str(number % 9 + 1),
        "login": login,
        "password": password,
        "email": email,
        "contact_channel": "email" if email else "none",
    }
    answer = site.session("accueil").post(
        f"{site.url}/coffres/@vaults", json={k: v for k, v in body.items() if v}, timeout=60
    )
    assert answer.status_code == 201, answer.text
    url = answer.json()["@id"]
    person = site.session(login, password)
    consent = person.post(f"{url}/@consent", json={"method": "electronic"}, timeout=60)
    assert consent.status_code == 200, consent.text
    return url, login, password


def letters_of(site, vault_id):
    """``{title: URL}`` of the letters in the vault's "Courrier du CCAS", read by its owner."""
    folder = f"{site.url}/coffres/{vault_id}/partage/courrier-du-ccas"
    answer = site.session("alice.martin").get(folder, timeout=60)
    assert answer.status_code == 200, answer.text
    urls = [item["@id"] for item in answer.json()["items"]]
    return {paper(site, url)["title"]: url for url in urls}  # the catalog keeps no title


def paper(site, url, login="alice.martin", password="demo"):
    answer = site.session(login, password).get(url, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- before the clock is moved: the signing queue and the drop folder -------------------------


@pytest.mark.skipif(PDFSIG is None, reason="pdfsig (Debian package poppler-utils) is missing")
def test_a_ged_letter_downloaded_by_its_owner_carries_a_valid_pades_signature(site, tmp_path):
    """The acceptance point of issue 17: nobody runs anything, the server signs the letter."""
    data = pdf_bytes("Attestation de domiciliation — lettre du CCAS")
    letter = {
        "ged_reference": "GED-CLOCK-0001",
        "person": {"ged_person_id": "GED-1001"},
        "document_type": "attestation-domiciliation",
        "title": "Attestation signée par l'horloge",
        "issued": site.now().date().isoformat(),
        "file": {
            "filename": "attestation.pdf",
            "content_type": "application/pdf",
            "data": b64(data),
        },
    }
    answer = site.session("ged").post(f"{site.url}/@ged-letters", json=letter, timeout=120)
    assert answer.status_code == 201, answer.text
    delivered = answer.json()
    assert delivered["sha256"] == sha256(data)

    site.wait_for(
        lambda: paper(site, delivered["@id"])["certification"].get("pdf_signed") is True,
        "the letter's PAdES signature by the in-process clock",
    )
    signed = paper(site, delivered["@id"])
    download = site.session("alice.martin").get(f"{delivered['@id']}/@@download/file", timeout=60)
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    assert sha256(download.content) == signed["sha256"] != delivered["sha256"]

    path = tmp_path / "lettre.pdf"
    path.write_bytes(download.content)
    report = subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, timeout=60)
    lines = [line.strip(" -") for line in report.stdout.splitlines()]
    assert "Signature #1:" in lines, report.stdout + report.stderr
    assert "Signature #2:" not in lines
    assert "Signature Validation: Signature is Valid." in lines, report.stdout
    assert "Total document signed" in lines, report.stdout
    assert any(line.startswith("Signer Certificate Common Name: CCAS") for line in lines)
    # The CCAS certificate is its own issuer: pdfsig may not trust it, and says so apart.
    assert all(
        line.startswith("Certificate Validation:")
        for line in lines
        if "Trusted" in line or "Certificate Validation" in line
    )


MANIFEST_HEADER = "ged_reference,ged_person_id,document_type,title,issued,filename\n"


def test_the_drop_folder_is_imported_by_the_server_even_after_a_broken_manifest(site, alice_vault):
    folder = site.drop_folder
    (folder / "avis.pdf").write_bytes(pdf_bytes("Avis du CCAS déposé dans le dossier"))
    # The GED forgot columns: each tick logs the error, and the clock keeps going.
    (folder / "manifest.csv").write_text("ged_reference,filename\nGED-DROP-0001,avis.pdf\n")
    site.wait_for(
        lambda: "GED drop folder of site 'ccas' failed" in site.event_log(),
        "the broken manifest reported in the event log",
    )
    assert "missing columns" in site.event_log()
    assert (folder / "avis.pdf").exists()

    today = site.now().date().isoformat()
    (folder / "manifest.csv").write_text(
        MANIFEST_HEADER
        + f"GED-DROP-0001,GED-1001,attestation-domiciliation,Avis du dossier de dépôt,{today},"
        + "avis.pdf\n"
    )
    site.wait_for(lambda: (folder / "done" / "avis.pdf").exists(), "the letter imported")
    reports = sorted(folder.glob("report-*.csv"))
    assert len(reports) == 1  # one run imported it; the ticks after it found nothing to do
    rows = list(csv.DictReader(io.StringIO(reports[0].read_text(encoding="utf-8"))))
    assert [(row["ged_reference"], row["outcome"]) for row in rows] == [
        ("GED-DROP-0001", "delivered")
    ]
    letters = letters_of(site, alice_vault)
    assert "Avis du dossier de dépôt" in letters
    time.sleep(TICKS)
    assert len(sorted(folder.glob("report-*.csv"))) == 1  # nothing imported twice


# --- the clock moved forward: reminders, closures, mandates ---------------------------------


def set_mail_server(site, port):
    """Plone's mail settings, as an administrator sets them (REST ``@registry``)."""
    settings = {
        "plone.smtp_host": "127.0.0.1",
        "plone.smtp_port": port,
        "plone.email_from_address": "coffre@ccas-demoville.example",
        "plone.email_from_name": "CCAS de Démoville",
    }
    session = site.session(*ADMIN)
    answer = session.patch(f"{site.url}/@registry", json=settings, timeout=60)
    assert answer.status_code == 204, answer.text


REMINDER_SUBJECT = "Un papier ne sera bientôt plus valable"


def reminders_to(inbox, address):
    return [
        message
        for recipients, message in inbox.messages
        if address in recipients and message["Subject"] == REMINDER_SUBJECT
    ]


def test_an_expiry_reminder_is_mailed_when_the_end_comes_near(site, smtp):
    inbox, port = smtp
    set_mail_server(site, port)
    email = "camille.horloge@example.org"
    vault, login, password = open_vault(site, email=email)
    today = site.now().date()
    valid_until = today + timedelta(days=45)  # "avis-imposition": reminded 30 days before
    deposit = site.session(login, password).post(
        f"{vault}/prive/@deposit",
        json={
            "document_type": "avis-imposition",
            "issued": (today - timedelta(days=300)).isoformat(),
            "valid_until": valid_until.isoformat(),
            "file": {
                "filename": "avis.pdf",
                "content_type": "application/pdf",
                "data": b64(pdf_bytes("Avis d'imposition")),
            },
        },
        timeout=60,
    )
    assert deposit.status_code == 201, deposit.text
    time.sleep(TICKS)
    assert reminders_to(inbox, email) == []  # 45 days left: not yet

    site.move_to(site.now() + timedelta(days=20))  # 25 days left
    site.wait_for(lambda: reminders_to(inbox, email), "the reminder in the person's mailbox")
    time.sleep(TICKS)
    [message] = reminders_to(inbox, email)  # once, not at every tick
    body = message.get_content()
    assert "Avis d'imposition" in body
    assert valid_until.strftime("%d/%m/%Y") in body
    assert site.url in body and "nohost" not in body  # the address people reach the site at
    assert paper(site, deposit.json()["@id"], login, password)["review_state"] == "deposited"


def vaults_closed(site, month):
    """The records manager's indicators: vaults closed in ``month`` (all organisations)."""
    answer = site.session("archiviste").get(
        f"{site.url}/@@ccas-indicateurs.csv", params={"from": month, "to": month}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    rows = csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";")
    [row] = [
        r for r in rows if r["indicateur"] == "vaults_closed" and r["organisation"] == "toutes"
    ]
    return int(row["valeur"])


def test_a_vault_whose_closure_was_asked_is_deleted_a_week_later_leaving_a_tombstone(site):
    vault, login, password = open_vault(site)
    person = site.session(login, password)
    answer = person.post(f"{vault}/@vault-closure", json={}, timeout=60)
    assert answer.status_code == 200, answer.text
    time.sleep(TICKS)
    assert person.get(vault, timeout=60).status_code == 200  # the grace period: still there
    admin = site.session(*ADMIN)
    assert admin.get(vault, timeout=60).status_code in (401, 403)  # there, not for the admin

    later = site.now() + timedelta(days=8)
    month = later.strftime("%Y-%m")
    closed_before = vaults_closed(site, month)
    site.move_to(later)
    site.wait_for(lambda: admin.get(vault, timeout=60).status_code == 404, "the vault deleted")
    login_again = requests.post(
        f"{site.url}/@login",
        json={"login": login, "password": password},
        headers={"Accept": "application/json"},
        timeout=60,
    )
    assert login_again.status_code == 401  # the person's account went with the vault
    assert vaults_closed(site, month) >= closed_before + 1  # only its tombstone counts it


def workers_mandate(site, vault_id):
    """Alice's mandate to her social worker, as she reads it (``GET @mandates``)."""
    url = f"{site.url}/coffres/{vault_id}/@mandates"
    answer = site.session("alice.martin").get(url, timeout=60)
    assert answer.status_code == 200, answer.text
    [mandate] = [m for m in answer.json()["items"] if m["agents"][0]["id"] == "travailleur"]
    return mandate


def test_a_mandate_ends_on_its_date_and_its_agent_is_refused_without_a_restart(site, alice_vault):
    mandate = workers_mandate(site, alice_vault)
    assert (mandate["review_state"], mandate["in_force"]) == ("active", True)
    shared = f"{site.url}/coffres/{alice_vault}/partage"
    agent = site.session("travailleur")
    assert agent.get(shared, timeout=60).status_code == 200
    pid = site.proc.pid

    end = date.fromisoformat(mandate["end"])
    site.move_to(datetime.combine(end + timedelta(days=1), datetime.min.time()).replace(hour=9))
    site.wait_for(
        lambda: workers_mandate(site, alice_vault)["review_state"] == "expired",
        "the mandate expired by the in-process clock",
    )
    mandate = workers_mandate(site, alice_vault)
    assert (mandate["review_state"], mandate["in_force"]) == ("expired", False)
    assert agent.get(shared, timeout=60).status_code in (401, 403)
    vaults = agent.get(f"{site.url}/coffres/@my-vaults", timeout=60).json()["items"]
    assert alice_vault not in [item["id"] for item in vaults]
    assert site.proc.poll() is None and site.proc.pid == pid  # the same server, never restarted


# --- processes that do not serve, and the end of the server ---------------------------------


def test_a_script_process_reading_the_same_zope_conf_starts_no_clock(tmp_path):
    """``ccas-vault-*`` scripts open the database with the instance's ``zope.conf``, which
    asks for a clock: they must not run one (they would run the jobs twice, or hold a
    database they are about to close)."""
    home = tmp_path / "instance"
    env = deployer_env()
    run(str(BIN / "ccas-vault-instance"), "init", str(home), "--clock-interval", "1", env=env)
    probe = (
        "import sys, threading, time\n"
        "from ccas.vault.scripts.instance import _open_app\n"
        "app = _open_app(sys.argv[1])\n"
        "time.sleep(3)\n"
        "import os; print(os.environ['CCAS_VAULT_CLOCK_INTERVAL'])\n"
        "print(sorted(thread.name for thread in threading.enumerate()))\n"
    )
    result = run(sys.executable, "-c", probe, str(home / "etc" / "zope.conf"), env=env)
    interval, threads = result.stdout.strip().splitlines()[-2:]
    assert interval == "1"  # zope.conf's environment was read...
    assert "ccas.vault clock" not in threads  # ...and no clock started


def test_the_clock_stops_with_the_server(site):
    """Last: Ctrl-C (SIGINT) stops the server; the clock thread is told to stop and says so."""
    assert "clock: every 2 s in this process" in site.event_log()
    site.proc.send_signal(signal.SIGINT)
    assert site.proc.wait(timeout=60) == 0, tail(*site.logs)
    log = site.event_log()
    assert "clock: stopped after" in log
    assert "the tick failed" not in log
