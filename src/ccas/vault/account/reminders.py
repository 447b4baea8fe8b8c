"""Expiry reminders: before a paper's validity ends, the person is told, once per delay.

The delays come from the paper's document type (``reminder_days``, e.g. 30
then 7 days before ``valid_until``).  The clock job (``ccas-vault-clock``)
calls :func:`send_reminders` every night:

* a paper (*deposited* or *certified*, in an *open* vault) whose end is
  ``d`` days away or less, for a delay ``d`` not reminded yet, gives one
  message — several delays due at once (a missed night) give one message,
  for the nearest;
* what was sent is kept on the vault (``(paper UID, end date, delay)``), so
  a second run sends nothing; a new end date starts the reminders again;
* the message goes on the person's channel: e-mail (after commit), SMS
  (after commit), or — no channel, no address — a notice shown at the next
  login.  It names the paper's *type* and the end date, never the title the
  person typed nor anything of the document (a phone may be seen by others).
"""

from Acquisition import aq_base
from BTrees.OOBTree import OOBTree
from ccas.vault import _
from ccas.vault import clock
from ccas.vault.document_types import get_document_type
from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from ccas.vault.security import as_system
from datetime import datetime
from plone import api
from zope.i18n import translate
from zope.i18nmessageid import Message


SENT = "_ccas_reminders_sent"  # on a vault: "uid|valid until|delay" -> when
VALID_STATES = ("deposited", "certified")

SUBJECT = _("A paper will soon expire")
SENTENCE = _(
    'Your paper "${type}" will no longer be valid on ${date}. Think of renewing it, '
    "then add the new one to your vault."
)


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def reminder_text(type_id, valid_until, language="fr"):
    """The reminder sentence, in the person's language: the type and the date only."""
    language = language if language in ("fr", "en") else "fr"
    info = get_document_type(type_id)
    label = info.label(language) if info is not None else type_id
    day = valid_until.strftime("%d/%m/%Y") if language == "fr" else valid_until.isoformat()
    sentence = Message(SENTENCE, mapping={"type": label, "date": day})
    return translate(sentence, domain="ccas.vault", target_language=language)


def _sent(vault):
    tree = getattr(aq_base(vault), SENT, None)
    if tree is None:
        tree = OOBTree()
        setattr(vault, SENT, tree)
    return tree


def due_delays(type_id, valid_until, today):
    """The reminder delays of ``type_id`` already reached on ``today`` (largest first)."""
    info = get_document_type(type_id)
    if info is None or valid_until is None or valid_until < today:
        return []
    left = (valid_until - today).days
    return [delay for delay in info.reminder_days if left <= delay]


def tell(vault, text):
    """Send ``text`` on the person's channel; return the channel used (``notice`` at login)."""
    from ccas.vault.account.notices import add_notice
    from ccas.vault.notifications.mail import send_mail
    from ccas.vault.notifications.sms import send_sms_after_commit

    channel = getattr(vault, "contact_channel", "none")
    language = getattr(vault, "preferred_language", "fr")
    if channel == "email" and getattr(vault, "email", None):
        subject = translate(SUBJECT, domain="ccas.vault", target_language=language)
        site = api.portal.get().absolute_url()
        if send_mail(vault.email, subject, f"{text}\n{site}\n"):
            return "email"
    if channel == "sms" and getattr(vault, "phone", None):
        send_sms_after_commit(vault.phone, text)
        return "sms"
    add_notice(vault, text, kind="reminder")
    return "notice"


def send_reminders(portal, now=None):
    """Clock job: send the reminders due on the day of ``now``; return how many were sent."""
    today = clock.paris_now(now).date()
    brains = portal.portal_catalog.unrestrictedSearchResults(
        portal_type="VaultDocument", review_state=list(VALID_STATES)
    )
    sent_count = 0
    with as_system():
        for brain in brains:
            document = brain._unrestrictedGetObject()
            valid_until = _as_date(getattr(document, "valid_until", None))
            due = due_delays(getattr(document, "document_type", ""), valid_until, today)
            if not due:
                continue
            vault = vault_of(document)
            if vault is None or api.content.get_state(vault) != "open":
                continue
            sent = _sent(vault)
            prefix = f"{document.UID()}|{valid_until.isoformat()}|"
            new = [delay for delay in due if prefix + str(delay) not in sent]
            if not new:
                continue
            for delay in due:
                sent[prefix + str(delay)] = today.isoformat()
            text = reminder_text(
                document.document_type, valid_until, getattr(vault, "preferred_language", "fr")
            )
            channel = tell(vault, text)
            history.record(
                vault,
                "reminder_sent",
                actor=clock.CLOCK_ACTOR,
                target=document,
                details={"delay": str(min(new)), "channel": channel},
            )
            sent_count += 1
    return sent_count
