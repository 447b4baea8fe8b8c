"""E-mail through Plone's MailHost, sent only after the transaction committed.

Plone's default (``immediate=False``) is transactional, but its direct
delivery connects to the SMTP server while the transaction *votes*: an SMTP
outage would abort the transaction — a whole GED batch lost for a
notification.  So the message is handed to MailHost (``immediate=True``) by an
after-commit hook: an aborted transaction sends nothing, a failing SMTP server
loses a notification (logged), never a letter.
"""

from email.message import EmailMessage
from email.utils import formataddr
from plone import api
import logging
import transaction


logger = logging.getLogger("ccas.vault.notifications")


def _send_after_commit(succeeded, mailhost, message):
    if not succeeded:
        return
    try:
        mailhost.send(message, immediate=True)
    except Exception:  # the commit is done: log, never raise
        logger.exception("Notification e-mail to %s not sent", message["To"])


def send_mail(to, subject, body):
    """Send a plain-text message to ``to`` once the current transaction has committed."""
    sender = api.portal.get_registry_record("plone.email_from_address", default=None)
    if not sender:
        logger.warning("No sender address (plone.email_from_address): e-mail not sent")
        return False
    name = api.portal.get_registry_record("plone.email_from_name", default="") or ""
    message = EmailMessage()
    message["From"] = formataddr((name, sender))
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    mailhost = api.portal.get_tool("MailHost")
    transaction.get().addAfterCommitHook(_send_after_commit, args=(mailhost, message))
    return True
