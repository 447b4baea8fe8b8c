"""SMS through a gateway utility (``ISMSGateway``), sent only after a successful commit.

The default utility (:class:`ConfiguredSMSGateway`) follows the ``sms_gateway``
setting of ``@@ccas-settings``: ``"log"`` (the default) only logs the masked number
and the message's length — never its text, which may hold a reset code — and, on a
demonstration site, keeps the message in the outbox folder named by the environment
variable ``CCAS_VAULT_SMS_OUTBOX`` (``ccas-vault-instance init --sms-outbox``, the demo's
mailbox: :mod:`ccas.vault.scripts.mailbox`); ``"http"`` posts ``{to, text, sender}``
as JSON, with the provider's key as a bearer token, to the provider's address.  A
deployment may still register its own utility (e.g. in an ``overrides.zcml``).
"""

from zope.component import getUtility
from zope.interface import implementer
from zope.interface import Interface
import json
import logging
import os
import transaction
import urllib.request


logger = logging.getLogger("ccas.vault.sms")


class ISMSGateway(Interface):
    """Something that sends a text message to a phone number."""

    def send(phone, text):
        """Send ``text`` to ``phone``; raise on failure."""


def masked(phone):
    digits = "".join(c for c in phone if c.isdigit())
    return "…" + digits[-2:] if digits else "…"


@implementer(ISMSGateway)
class LoggingSMSGateway:
    """The default gateway: logs that a message went (number masked, length only); with an
    outbox folder (``CCAS_VAULT_SMS_OUTBOX``, demonstrations), keeps the message there."""

    def send(self, phone, text):
        outbox = os.environ.get("CCAS_VAULT_SMS_OUTBOX", "").strip()
        if outbox:
            from ccas.vault.scripts.mailbox import write_sms

            path = write_sms(outbox, phone, text)
            logger.info("SMS to %s (%d characters) kept in %s", masked(phone), len(text), path)
        else:
            logger.info(
                "SMS to %s (%d characters), not sent: no SMS provider", masked(phone), len(text)
            )


class SMSGatewayError(Exception):
    """The SMS provider refused the message or could not be reached."""


@implementer(ISMSGateway)
class HTTPSMSGateway:
    """POST ``{"to", "text", "sender"}`` (JSON) to ``url`` with ``Authorization: Bearer``."""

    def __init__(self, url, token="", sender="", timeout=10):
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, phone, text):
        if not self.url.startswith(("https://", "http://")):
            raise SMSGatewayError(f"No valid SMS provider address: {self.url!r}")
        body = json.dumps({"to": phone, "text": text, "sender": self.sender}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status = answer.status
        except Exception as error:  # HTTPError (4xx/5xx), refused connection, timeout
            raise SMSGatewayError(f"SMS to {masked(phone)} refused: {error}") from error
        if not 200 <= status < 300:
            raise SMSGatewayError(f"SMS to {masked(phone)} refused: HTTP {status}")
        logger.info("SMS to %s sent through %s", masked(phone), self.url)


@implementer(ISMSGateway)
class ConfiguredSMSGateway:
    """The default utility: the gateway chosen in the settings (logging unless "http")."""

    def gateway(self):
        from ccas.vault.settings import get_setting

        try:
            chosen = get_setting("sms_gateway")
        except Exception:  # no site (a script without one): the safe default
            logger.warning("SMS settings unreadable: the message is only logged")
            chosen = "log"
        if chosen == "http":
            return HTTPSMSGateway(
                (get_setting("sms_gateway_url") or "").strip(),
                (get_setting("sms_gateway_token") or "").strip(),
                (get_setting("sms_sender") or "").strip(),
            )
        return LoggingSMSGateway()

    def send(self, phone, text):
        self.gateway().send(phone, text)


def _send_after_commit(succeeded, phone, text):
    if not succeeded:
        return
    try:
        getUtility(ISMSGateway).send(phone, text)
    except Exception:  # the commit is done: log, never raise
        logger.exception("SMS to %s not sent", masked(phone))


def send_sms_after_commit(phone, text):
    transaction.get().addAfterCommitHook(_send_after_commit, args=(phone, text))
