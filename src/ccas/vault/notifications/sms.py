"""SMS through a gateway utility (``ISMSGateway``), sent only after a successful commit.

The default gateway only logs (the number masked): a deployment registers its
own utility (e.g. in an ``overrides.zcml``) that speaks to its SMS provider.
"""

from zope.component import getUtility
from zope.interface import implementer
from zope.interface import Interface
import logging
import transaction


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
    """The default gateway: writes the message (number masked) to the log."""

    def send(self, phone, text):
        logger.info("SMS to %s: %s", masked(phone), text)


def _send_after_commit(succeeded, phone, text):
    if not succeeded:
        return
    try:
        getUtility(ISMSGateway).send(phone, text)
    except Exception:  # the commit is done: log, never raise
        logger.exception("SMS to %s not sent", masked(phone))


def send_sms_after_commit(phone, text):
    transaction.get().addAfterCommitHook(_send_after_commit, args=(phone, text))
