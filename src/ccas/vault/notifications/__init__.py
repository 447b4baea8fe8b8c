"""Telling a person that something arrived in their vault, on their channel.

Messages never carry a paper's content, title or type: only a fixed sentence
and the site's address (a phone or a mailbox may be seen by others).  E-mails
go through Plone's MailHost, whose default delivery is transactional (sent at
commit, never when the transaction aborts); SMS go through the ``ISMSGateway``
utility after a successful commit.  One message per vault and transaction.
"""

from ccas.vault import _
from plone import api
from zope.i18n import translate
import logging
import transaction


logger = logging.getLogger("ccas.vault.notifications")

MESSAGES = {
    "new_ccas_letter": (
        _("New letter from the CCAS"),
        _("You have received a new letter from the CCAS in your vault."),
    ),
    # A partner's drop folder (decision 0055): says neither the partner nor the paper.
    "new_partner_paper": (
        _("New paper in your vault"),
        _("A partner of the CCAS has sent a new paper to your vault."),
    ),
}

_SENT_KEY = object()  # key of the per-transaction set of messages sent


def message_texts(message_key, language="fr"):
    """``(subject, body)`` of a message, in the person's language."""
    subject, sentence = MESSAGES[message_key]
    language = language if language in ("fr", "en") else "fr"
    site_url = api.portal.get().absolute_url()
    subject = translate(subject, domain="ccas.vault", target_language=language)
    sentence = translate(sentence, domain="ccas.vault", target_language=language)
    return subject, f"{sentence}\n{site_url}\n"


def _already_sent(vault, message_key):
    """Record (per transaction) that ``vault`` got ``message_key``; ``True`` if it had."""
    txn = transaction.get()
    try:
        sent = txn.data(_SENT_KEY)
    except KeyError:
        sent = set()
        txn.set_data(_SENT_KEY, sent)
    key = ("/".join(vault.getPhysicalPath()), message_key)
    if key in sent:
        return True
    sent.add(key)
    return False


def notify_person(vault, message_key):
    """Tell the owner of ``vault`` on their channel; returns the channel used (or ``None``)."""
    channel = getattr(vault, "contact_channel", "none")
    if channel not in ("email", "sms"):
        return None
    if _already_sent(vault, message_key):
        return channel
    subject, body = message_texts(message_key, getattr(vault, "preferred_language", "fr"))
    if channel == "email" and vault.email:
        from ccas.vault.notifications.mail import send_mail

        send_mail(vault.email, subject, body)
        return channel
    if channel == "sms" and vault.phone:
        from ccas.vault.notifications.sms import send_sms_after_commit

        send_sms_after_commit(vault.phone, body)
        return channel
    return None
