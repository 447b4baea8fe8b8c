"""The reminder of an appointment, the day before, on the person's channel.

The clock job (``ccas-vault-clock``, :func:`ccas.vault.clock.run_clock`)
calls :func:`send_appointment_reminders` every night: each appointment of the
next day (Europe/Paris), not cancelled, in an *open* vault, gives one message
— "Rappel : rendez-vous demain à 14 h 30, CCAS, 3 rue …" in the person's
language.  The appointment is then marked ``reminded``: a second run sends
nothing.  The message gives the time and the place only, never the purpose
(a phone may be seen by others).  A missed night sends nothing late: the
message would say "tomorrow" on the day itself.
"""

from ccas.vault import _
from ccas.vault import clock
from ccas.vault.account.reminders import tell
from ccas.vault.appointments import storage
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from ccas.vault.setuphandlers.install import VAULT_DIRECTORY_ID
from datetime import timedelta
from plone import api
from zope.i18n import translate
from zope.i18nmessageid import Message


SUBJECT = _("Appointment reminder")
SENTENCE = _("Reminder: appointment tomorrow at ${time}, ${place}.")


def time_text(start, language="fr"):
    """``14 h 30`` in French, ``14:30`` in English."""
    start = start.astimezone(clock.PARIS)
    return f"{start:%H:%M}" if language == "en" else f"{start.hour} h {start:%M}"


def reminder_text(start, place, language="fr"):
    language = language if language in ("fr", "en") else "fr"
    sentence = Message(SENTENCE, mapping={"time": time_text(start, language), "place": place})
    return translate(sentence, domain="ccas.vault", target_language=language)


def _tell(vault, text):
    """Like :func:`ccas.vault.account.reminders.tell`, with an appointment subject for e-mail."""
    from ccas.vault.notifications.mail import send_mail

    language = getattr(vault, "preferred_language", "fr")
    if getattr(vault, "contact_channel", "none") == "email" and getattr(vault, "email", None):
        subject = translate(SUBJECT, domain="ccas.vault", target_language=language)
        site = api.portal.get().absolute_url()
        if send_mail(vault.email, subject, f"{text}\n{site}\n"):
            return "email"
    return tell(vault, text)


def send_appointment_reminders(portal, now=None):
    """Clock job: remind the appointments of the day after ``now``; return how many were sent."""
    moment = clock.paris_now(now)
    tomorrow = moment.date() + timedelta(days=1)
    directory = portal.get(VAULT_DIRECTORY_ID)
    if directory is None:
        return 0
    sent = 0
    with as_system():
        for vault_id in storage.vaults_on(directory, tomorrow):
            vault = directory.get(vault_id)
            if vault is None or api.content.get_state(vault) != "open":
                continue
            for record in storage.records(vault):
                item = storage.as_dict(record)
                if item["cancelled"] or item["reminded"]:
                    continue
                if item["start"].date() != tomorrow or item["start"] <= moment:
                    continue
                record["reminded"] = True
                language = getattr(vault, "preferred_language", "fr")
                channel = _tell(vault, reminder_text(item["start"], item["place"], language))
                history.record(
                    vault,
                    "appointment_reminder_sent",
                    actor=clock.CLOCK_ACTOR,
                    details={"appointment": item["id"], "channel": channel},
                )
                sent += 1
        storage.forget_days_before(directory, moment.date())
    return sent
