"""The demo's mailbox: what ``make start`` runs, and where a newcomer reads what the site sent.

The instance is built with the project's commands in ``make start``'s order (issue 20,
item 9): ``ccas-vault-instance init --sms-outbox var/mailbox``, ``ccas-vault-instance
mailbox var/mailbox --port P`` in the background, ``ccas-vault-instance site --demo
--smtp-port P``, then ``runwsgi``. Over HTTP, an e-mail reset for the demo person with an
address sends a mail, and a CCAS letter for a person told by SMS sends a text message:
both end up as files in the mailbox folder, and the SMS's text is not in the server's log.
"""

from datetime import date
from pathlib import Path
from real_instance import deployer_env
from real_instance import RealSite
from servers import BIN
from servers import free_port
from servers import port_open
from servers import process
from servers import run
from servers import wait_until
from servers import zope_server
import base64
import email
import email.policy
import io
import pytest
import requests


pytestmark = pytest.mark.slow

TOOL = str(BIN / "ccas-vault-instance")
PHONE = "06 12 34 56 78"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``make start`` in a temporary folder: ``(site, mailbox folder, mailbox log)``."""
    home = tmp_path_factory.mktemp("demo-mailbox")
    instance, mailbox, data = home / "instance", home / "mailbox", home / "filestorage"
    port, smtp_port = free_port(), free_port()
    env = deployer_env()
    run(TOOL, "init", str(instance), "--data", str(data), "--port", str(port),
        "--sms-outbox", str(mailbox), env=env)  # fmt: skip
    log = home / "mailbox.log"
    with process([TOOL, "mailbox", str(mailbox), "--port", str(smtp_port)], log, env=env,
                 inherit=False) as catcher:  # fmt: skip
        wait_until(lambda: port_open(smtp_port), 60, "the mailbox", catcher, [log])
        run(TOOL, "site", str(instance), "--demo", "--smtp-port", str(smtp_port), env=env)
        with zope_server(instance, port, env=env, inherit=False) as url:
            logs = [instance / "var" / "log" / name for name in ("console.log", "event.log")]
            yield RealSite(instance, url, instance / "var" / "now", logs), mailbox, log


def test_the_zope_conf_names_the_outbox(demo):
    site, mailbox, _log = demo
    conf = (site.home / "etc" / "zope.conf").read_text()
    assert f"CCAS_VAULT_SMS_OUTBOX {mailbox.resolve()}" in conf


def test_a_password_reset_mail_lands_in_the_mailbox(demo):
    site, mailbox, log = demo
    answer = requests.post(
        f"{site.url}/@password-reset",
        json={"route": "email", "login": "alice.martin"},
        headers={"Accept": "application/json"},
        timeout=60,
    )
    assert answer.status_code == 202, answer.text
    site.wait_for(lambda: list(mailbox.glob("*-mail.eml")), "the reset mail in the mailbox")
    (kept,) = mailbox.glob("*-mail.eml")
    message = email.message_from_bytes(kept.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "alice.martin@example.org"
    assert message["From"].addresses[0].addr_spec == "ne-pas-repondre@ccas-demoville.example"
    body = message.get_body(("plain", "html")).get_content()
    assert "/mon-coffre/nouveau-mot-de-passe?jeton=" in body
    wait_until(lambda: "mail to alice.martin@example.org" in log.read_text(), 30, "its line")


def pdf():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 280), "white").save(out, format="PDF")
    return out.getvalue()


def test_a_text_message_lands_in_the_mailbox_not_in_the_log(demo):
    site, mailbox, _log = demo
    # A person told by SMS, opened at the counter (REST, as the opening wizard does)
    login, password = "camille.sms", "Coffre-SMS-2026!"
    opened = site.session("accueil").post(
        f"{site.url}/coffres/@vaults",
        json={
            "first_name": "Camille",
            "last_name": "Texto",
            "birth_date": "1990-04-02",
            "login": login,
            "password": password,
            "phone": PHONE,
            "contact_channel": "sms",
            "receive_ccas_letters": True,
            "ged_person_ids": ["GED-SMS-1"],
        },
        timeout=60,
    )
    assert opened.status_code == 201, opened.text
    consent = site.session(login, password).post(
        f"{opened.json()['@id']}/@consent", json={"method": "electronic"}, timeout=60
    )
    assert consent.status_code == 200, consent.text
    # The CCAS's software sends a letter: the person is told by SMS
    letter = {
        "ged_reference": "GED-SMS-0001",
        "person": {"ged_person_id": "GED-SMS-1"},
        "document_type": "attestation-domiciliation",
        "title": "Votre attestation",
        "issued": date.today().isoformat(),
        "file": {
            "filename": "attestation.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(pdf()).decode("ascii"),
        },
    }
    answer = site.session("ged").post(f"{site.url}/@ged-letters", json=letter, timeout=120)
    assert answer.status_code == 201, answer.text
    site.wait_for(lambda: list(mailbox.glob("*-sms.txt")), "the SMS in the mailbox")
    (kept,) = mailbox.glob("*-sms.txt")
    text = kept.read_text(encoding="utf-8")
    assert f"À : {PHONE}" in text
    message = text.split("\n\n", 1)[1].strip()
    assert site.url in message
    logged = "\n".join(Path(path).read_text(errors="replace") for path in site.logs)
    assert "SMS to …78" in logged
    assert message.splitlines()[0] not in logged  # the text stays out of the log
