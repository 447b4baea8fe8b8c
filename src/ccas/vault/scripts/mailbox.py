"""The demo's mailbox: the mails and text messages the demo site sends, kept in a folder.

``ccas-vault-instance mailbox DIR [--port 8025]`` is a small SMTP server on loopback
(aiosmtpd) that sends nothing on: it stores each message it receives as a ``.eml`` file
in ``DIR`` and prints one line per message. ``make start`` runs it in the background
(``var/mailbox``, port ``SMTP_PORT``), points the demo site's mail settings at it
(``ccas-vault-instance site --demo --smtp-port``) and writes the text messages there too
(``ccas-vault-instance init --sms-outbox DIR``: the environment variable
``CCAS_VAULT_SMS_OUTBOX`` of ``zope.conf``, read by the logging SMS gateway,
:mod:`ccas.vault.notifications.sms`). A newcomer reads what the site sent in that folder:
``*.eml`` (any mail reader, or a text editor) and ``*-sms.txt``.

Demonstrations and training only: a real CCAS sets its own mail server in
``@@ccas-settings`` and an SMS provider, never an outbox.
"""

from datetime import datetime
from email import message_from_bytes
from email import policy
from pathlib import Path
import itertools
import os
import signal
import sys
import threading


SMS_OUTBOX_VARIABLE = "CCAS_VAULT_SMS_OUTBOX"
DEFAULT_PORT = 8025
DEMO_SENDER = "ne-pas-repondre@ccas-demoville.example"
DEMO_SENDER_NAME = "CCAS de Démoville"

_counter = itertools.count(1)
_lock = threading.Lock()


def _stamp():
    """A file name prefix that sorts in the order the messages came."""
    with _lock:
        return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{next(_counter):04d}-{os.getpid()}"


def _write(folder, suffix, data):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_stamp()}-{suffix}"
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(data)
    temporary.rename(path)  # a reader never sees half a message
    return path


class Mailbox:
    """aiosmtpd handler: each message received becomes a ``.eml`` file in ``folder``."""

    def __init__(self, folder, out=print):
        self.folder = Path(folder)
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        path = _write(self.folder, "mail.eml", envelope.content)
        message = message_from_bytes(envelope.content, policy=policy.default)
        to = ", ".join(envelope.rcpt_tos)
        self.out(f"mail to {to}: {message.get('Subject', '')} → {path}", flush=True)
        return "250 OK"


def write_sms(folder, phone, text):
    """Keep a text message in the outbox ``folder`` (a ``.txt`` file); returns its path."""
    body = f"SMS\nÀ : {phone}\nLe : {datetime.now().isoformat(timespec='seconds')}\n\n{text}\n"
    return _write(folder, "sms.txt", body.encode("utf-8"))


def serve(folder, host="127.0.0.1", port=DEFAULT_PORT, ready=None):
    """Run the mailbox until SIGINT or SIGTERM."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:  # a production install: the demo's tools are in the "test" extra
        print("The mailbox needs aiosmtpd: pip install 'ccas.vault[test]'", file=sys.stderr)
        return 1

    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(folder), hostname=host, port=port)
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"Mailbox: smtp://{host}:{port}, mails and SMS kept in {folder}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()
    return 0


def add_sms_outbox(zope_conf, folder):
    """Add ``CCAS_VAULT_SMS_OUTBOX folder`` to the ``<environment>`` of ``zope_conf``."""
    zope_conf = Path(zope_conf)
    folder = str(Path(folder).resolve()).replace("$", "$$")  # ZConfig's substitutions
    text = zope_conf.read_text()
    line = f"  {SMS_OUTBOX_VARIABLE} {folder}\n"
    zope_conf.write_text(text.replace("</environment>", line + "</environment>", 1))


def configure_smtp(site, port, host="127.0.0.1"):
    """Point the site's mail settings at the mailbox (a sender address when none is set)."""
    registry = site.portal_registry
    registry["plone.smtp_host"] = host
    registry["plone.smtp_port"] = int(port)
    if not registry.get("plone.email_from_address"):
        registry["plone.email_from_address"] = DEMO_SENDER
    if not registry.get("plone.email_from_name"):
        registry["plone.email_from_name"] = DEMO_SENDER_NAME
