"""Expiry reminders: once per delay of the paper's type, on the person's channel; the clock
job may run twice (decision 0016)."""

from ccas.vault import clock
from ccas.vault.account.notices import notices
from ccas.vault.account.reminders import send_reminders
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import update_document_type
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from datetime import date
from datetime import datetime
from servers import wait_until
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
import transaction


END = date(2026, 12, 23)  # 30 days after the frozen 23/11/2026


def run(portal):
    with as_system():
        return clock.run_clock(portal)


def set_delays(delays, type_id="attestation-caf"):
    update_document_type(type_id, reminder_days=list(delays))
    assert get_document_type(type_id).reminder_days == tuple(sorted(delays, reverse=True))


def paper_of(login, valid_until=END, **open_kw):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", login, **open_kw))
    return vault, deposit_as(
        login, vault["prive"], title="Attestation CAF janvier", valid_until=valid_until
    )


def reminders_of(vault):
    return [dict(e.details) for e in history.entries(vault) if e.action == "reminder_sent"]


def test_once_per_delay_and_idempotent(portal, frozen):
    set_delays([30, 7])
    vault, _paper = paper_of("jdupont")
    run(portal)
    run(portal)  # the same night, again
    assert [n["kind"] for n in notices(vault)] == ["reminder"]
    frozen(datetime(2026, 11, 24, 3, 0))
    run(portal)  # 29 days left: the 30-day reminder was sent
    frozen(datetime(2026, 12, 16, 3, 0))  # 7 days left
    run(portal)
    run(portal)
    assert [r["delay"] for r in reminders_of(vault)] == ["30", "7"]
    assert len(notices(vault)) == 2
    frozen(datetime(2026, 12, 24, 3, 0))  # expired: no more reminders
    run(portal)
    assert len(reminders_of(vault)) == 2


def test_a_missed_night_gives_one_message_for_the_nearest_delay(portal, frozen):
    set_delays([30, 7])
    vault, _paper = paper_of("jdupont", valid_until=date(2026, 11, 28))  # 5 days left
    assert send_reminders(portal) == 1
    assert send_reminders(portal) == 0
    assert [r["delay"] for r in reminders_of(vault)] == ["7"]


def test_a_new_end_date_starts_the_reminders_again(portal, frozen):
    set_delays([30])
    _vault, paper = paper_of("jdupont")
    assert send_reminders(portal) == 1
    with as_system():
        paper.valid_until = date(2026, 12, 20)
        paper.reindexObject()
    assert send_reminders(portal) == 1


def test_no_reminder_without_delays_or_end_date_or_for_a_closing_vault(portal, frozen):
    set_delays([])
    paper_of("jdupont")
    assert send_reminders(portal) == 0
    set_delays([30])
    _vault, _paper = paper_of("amartin", valid_until=None, first="Alice", last="Martin")
    assert send_reminders(portal) == 1  # only jdupont's paper
    assert notices(_vault) == []


def test_the_notice_names_the_type_and_date_only(portal, frozen):
    set_delays([30])
    vault, _paper = paper_of("jdupont")
    send_reminders(portal)
    (notice,) = notices(vault)
    assert notice["text"] == (
        "Votre papier « Attestation CAF » ne sera plus valable le 23/12/2026. "
        "Pensez à le renouveler, puis ajoutez le nouveau dans votre coffre."
    )
    assert "janvier" not in notice["text"]


def test_english_speakers_get_english(portal, frozen):
    set_delays([30])
    vault, _paper = paper_of("jdupont", preferred_language="en")
    send_reminders(portal)
    (notice,) = notices(vault)
    assert notice["text"].startswith("Your paper")
    assert "2026-12-23" in notice["text"]


def test_sms_after_commit_only(functional_portal, frozen, sms):
    set_delays([30])
    vault, _paper = paper_of("jdupont", contact_channel="sms", phone="0612345678")
    transaction.commit()
    run(functional_portal)
    transaction.abort()  # an aborted run sends nothing and marks nothing
    assert sms.sent == []
    run(functional_portal)
    assert sms.sent == []
    transaction.commit()
    ((phone, text),) = sms.sent
    assert phone == "0612345678"
    assert text.startswith("Votre papier « Attestation CAF » ne sera plus valable le 23/12/2026.")
    assert notices(vault) == []
    assert reminders_of(vault) == [{"delay": "30", "channel": "sms"}]


def test_email_through_a_real_smtp_server(mail_site, smtp, frozen):
    inbox, _port = smtp
    set_delays([30, 7])
    _vault, _paper = paper_of("jdupont", contact_channel="email", email="jean@example.org")
    transaction.commit()
    run(mail_site)
    transaction.commit()
    run(mail_site)  # a second run, committed: nothing more
    transaction.commit()
    wait_until(lambda: inbox.messages, timeout=30, what="the reminder e-mail")
    ((recipients, message),) = inbox.messages
    assert recipients == ["jean@example.org"]
    assert message["Subject"] == "Un papier ne sera bientôt plus valable"
    text = message.get_content()
    assert "« Attestation CAF »" in text and "23/12/2026" in text
    assert "janvier" not in text
    assert not list(message.iter_attachments())


def test_the_banner_is_shown_once_at_next_login(portal, frozen):
    from ccas.vault.account.notices import take_notices

    set_delays([30])
    vault, _paper = paper_of("jdupont")
    send_reminders(portal)
    assert len(take_notices(vault)) == 1
    assert take_notices(vault) == []
