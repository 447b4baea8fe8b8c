"""Appointments in the vault (decision 0020): who may record them, the reminder the day
before on the person's channel, the REST endpoints and the intranet page."""

from ccas.vault import clock
from ccas.vault.account.notices import notices
from ccas.vault.api import appointments
from ccas.vault.api import closing
from ccas.vault.api import mandates
from ccas.vault.api.errors import VaultError
from ccas.vault.appointments.reminders import send_appointment_reminders
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from datetime import date
from datetime import datetime
from plone import api
from servers import wait_until
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import logging
import pytest
import requests
import transaction


# The frozen clock says Monday 23/11/2026 10:00 (Paris).
TOMORROW_2_30 = datetime(2026, 11, 24, 14, 30, tzinfo=clock.PARIS)
IN_A_WEEK = datetime(2026, 11, 30, 9, 0, tzinfo=clock.PARIS)
PLACE = "CCAS, 3 rue de la Mairie"


def people(**open_kw):
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("sans-mandat")
    make_agent("ancien")
    make_user("chef", global_roles=["Manager"])
    make_user("admin-site", global_roles=["Site Administrator"])
    dupont = consent_as_owner(open_vault_as("accueil", "jdupont", **open_kw))
    martin = consent_as_owner(open_vault_as("accueil", "pmartin", first="Paul", last="Martin"))
    active_mandate(dupont, agents=("travailleur",), scopes=("deposit",))
    active_mandate(dupont, agents=("ancien",), scopes=("consult",), end=date(2026, 11, 30))
    return dupont, martin


@pytest.fixture
def vaults(portal, frozen):
    return people()


def add(login, vault, start=TOMORROW_2_30, place=PLACE, purpose="Dossier RSA", **kw):
    with acting_as(login):
        return appointments.add_appointment(vault, start=start, place=place, purpose=purpose, **kw)


def actions(vault):
    return [entry.action for entry in history.entries(vault)]


# --- who may record and see them -------------------------------------------------------


def test_an_agent_with_a_mandate_in_force_records_an_appointment(vaults):
    dupont, _martin = vaults
    item = add("travailleur", dupont, with_whom="Mme Leroy, conseillère")
    assert item["start"] == TOMORROW_2_30
    assert item["start"].tzinfo is not None
    assert (item["place"], item["purpose"], item["with_whom"]) == (
        PLACE,
        "Dossier RSA",
        "Mme Leroy, conseillère",
    )
    assert item["created_by"] == "travailleur"
    assert item["cancelled"] is False and item["reminded"] is False
    assert actions(dupont)[-1] == "appointment_added"
    assert history.entries(dupont)[-1].actor == "travailleur"
    with acting_as("jdupont"):  # the person sees it
        assert [i["id"] for i in appointments.list_appointments(dupont)] == [item["id"]]


def test_the_person_records_their_own_appointment_and_a_naive_time_is_paris_time(vaults):
    dupont, _martin = vaults
    item = add("jdupont", dupont, start=datetime(2026, 11, 30, 9, 0))
    assert item["start"] == IN_A_WEEK
    assert item["created_by"] == "jdupont"


@pytest.mark.parametrize(
    "login, code",
    [
        (None, "unauthorized"),  # anonymous
        ("pmartin", "forbidden"),  # another beneficiary
        ("sans-mandat", "forbidden"),  # an agent without a mandate
        ("accueil", "forbidden"),  # the agent who opened the vault, without a mandate
        ("chef", "forbidden"),  # Manager
        ("admin-site", "forbidden"),  # Site Administrator
    ],
)
def test_everybody_else_is_refused_in_french(vaults, login, code):
    dupont, _martin = vaults
    add("travailleur", dupont)
    with pytest.raises(VaultError) as refusal:
        add(login, dupont, start=IN_A_WEEK)
    assert refusal.value.code == code
    assert "rendez-vous" in refusal.value.message_fr
    with acting_as(login), pytest.raises(VaultError):
        appointments.list_appointments(dupont)
    with acting_as(login), pytest.raises(VaultError):
        appointments.next_appointment(dupont)
    with acting_as("jdupont"):
        (only,) = appointments.list_appointments(dupont)
    with acting_as(login), pytest.raises(VaultError):
        appointments.cancel_appointment(dupont, only["id"])
    with acting_as("jdupont"):
        assert appointments.list_appointments(dupont)[0]["cancelled"] is False


def test_an_agent_whose_mandate_ended_is_refused(vaults, frozen):
    dupont, _martin = vaults
    add("ancien", dupont)  # in force until 30/11/2026
    frozen(datetime(2026, 12, 1, 8, 0))
    with pytest.raises(VaultError) as refusal:
        add("ancien", dupont, start=datetime(2026, 12, 3, 9, 0, tzinfo=clock.PARIS))
    assert refusal.value.code == "forbidden"


def test_a_revoked_mandate_ends_the_right_at_once(vaults):
    dupont, _martin = vaults
    (mandate,) = [m for m in mandates.mandates_of(dupont) if "travailleur" in m.agents]
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    with pytest.raises(VaultError):
        add("travailleur", dupont)


def test_a_closing_vault_takes_no_appointment_and_cancels_none(vaults):
    dupont, _martin = vaults
    item = add("travailleur", dupont)
    with acting_as("jdupont"):
        closing.request_closure(dupont)
    with pytest.raises(VaultError) as refusal:
        add("jdupont", dupont, start=IN_A_WEEK)
    assert refusal.value.code == "vault_not_open"
    assert "pas ouvert" in refusal.value.message_fr
    with acting_as("travailleur"), pytest.raises(VaultError):
        appointments.cancel_appointment(dupont, item["id"])


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"start": datetime(2026, 11, 23, 9, 0, tzinfo=clock.PARIS)}, "déjà passé"),
        ({"start": datetime(2030, 1, 1, 9, 0, tzinfo=clock.PARIS)}, "deux ans"),
        ({"start": "2026-11-24 14:30"}, "date et l'heure"),
        ({"place": "  "}, "Lieu"),
        ({"purpose": ""}, "Objet"),
        ({"purpose": "x" * 201}, "trop long"),
    ],
)
def test_bad_input_gets_a_french_message_and_stores_nothing(vaults, fields, expected):
    dupont, _martin = vaults
    with pytest.raises(VaultError) as refusal:
        add("travailleur", dupont, **fields)
    assert expected in refusal.value.message_fr
    with acting_as("jdupont"):
        assert appointments.list_appointments(dupont) == []
    assert "appointment_added" not in actions(dupont)


def test_list_next_and_cancel(vaults, frozen):
    dupont, _martin = vaults
    later = add("travailleur", dupont, start=IN_A_WEEK, purpose="Logement")
    sooner = add("jdupont", dupont, purpose="CAF")
    with acting_as("travailleur"):
        assert [i["id"] for i in appointments.list_appointments(dupont)] == [
            sooner["id"],
            later["id"],
        ]
        assert appointments.next_appointment(dupont)["id"] == sooner["id"]
        cancelled = appointments.cancel_appointment(dupont, sooner["id"])
        assert cancelled["cancelled"] is True
        assert appointments.next_appointment(dupont)["id"] == later["id"]
        assert [i["id"] for i in appointments.list_appointments(dupont, upcoming_only=True)] == [
            later["id"]
        ]
        assert len(appointments.list_appointments(dupont)) == 2  # kept, marked cancelled
        with pytest.raises(VaultError) as again:
            appointments.cancel_appointment(dupont, sooner["id"])
        assert again.value.code == "already_cancelled"
        with pytest.raises(VaultError) as unknown:
            appointments.cancel_appointment(dupont, "rdv-nothere")
        assert unknown.value.code == "not_found"
    assert actions(dupont).count("appointment_cancelled") == 1
    frozen(datetime(2026, 12, 1, 8, 0))  # both past
    with acting_as("jdupont"):
        assert appointments.next_appointment(dupont) is None


def test_nothing_is_stored_outside_the_vault(vaults):
    dupont, _martin = vaults
    add("travailleur", dupont, purpose="Dossier RSA très personnel")
    directory = dupont.aq_parent
    from ccas.vault.appointments.storage import DAY_INDEX

    index = getattr(directory, DAY_INDEX)
    assert {day: list(ids) for day, ids in index.items()} == {
        "2026-11-24": [dupont.getId()]
    }  # a random vault id and a day, nothing of the person


# --- the reminder the day before ---------------------------------------------------------


def run(portal):
    with as_system():
        return clock.run_clock(portal)


def reminders_of(vault):
    return [
        dict(e.details) for e in history.entries(vault) if e.action == "appointment_reminder_sent"
    ]


def test_a_notice_the_day_before_exactly_once(vaults, portal, frozen):
    dupont, _martin = vaults
    item = add("travailleur", dupont, start=IN_A_WEEK)  # Monday 30/11 at 9:00
    frozen(datetime(2026, 11, 28, 3, 15))  # two days before: nothing
    assert "appointment_reminders" not in run(portal)
    frozen(datetime(2026, 11, 29, 3, 15))  # the day before
    assert run(portal)["appointment_reminders"] == 1
    assert "appointment_reminders" not in run(portal)  # the same night, again
    frozen(datetime(2026, 11, 29, 22, 0))
    assert send_appointment_reminders(portal) == 0
    (notice,) = notices(dupont)
    assert notice["text"] == f"Rappel : rendez-vous demain à 9 h 00, {PLACE}."
    assert notice["kind"] == "reminder"
    assert "RSA" not in notice["text"]  # the purpose stays in the vault
    assert reminders_of(dupont) == [{"appointment": item["id"], "channel": "notice"}]
    with acting_as("jdupont"):
        assert appointments.list_appointments(dupont)[0]["reminded"] is True


def test_the_summary_line_counts_the_reminders():
    counts = {"expired": 0, "renewed": 0, "closed": 0, "appointment_reminders": 2}
    assert clock.summary(counts).endswith(", 2 appointment reminders sent")


def test_no_reminder_for_a_cancelled_or_past_appointment_or_a_closing_vault(portal, frozen):
    dupont, martin = people()
    cancelled = add("jdupont", dupont)
    with acting_as("jdupont"):
        appointments.cancel_appointment(dupont, cancelled["id"])
    add("pmartin", martin)
    with acting_as("pmartin"):
        closing.request_closure(martin)
    frozen(datetime(2026, 11, 25, 3, 15))  # the appointments are past
    assert send_appointment_reminders(portal) == 0
    frozen(datetime(2026, 11, 23, 23, 0))  # the evening before
    assert send_appointment_reminders(portal) == 0
    assert notices(dupont) == [] and notices(martin) == []


def test_english_speakers_get_english(portal, frozen):
    dupont, _martin = people(preferred_language="en")
    add("jdupont", dupont)
    assert send_appointment_reminders(portal) == 1
    (notice,) = notices(dupont)
    assert notice["text"] == f"Reminder: appointment tomorrow at 14:30, {PLACE}."


def test_sms_through_the_logging_gateway_after_commit(functional_portal, frozen, caplog):
    dupont, _martin = people(contact_channel="sms", phone="0612345678")
    add("travailleur", dupont)
    transaction.commit()
    with caplog.at_level(logging.INFO, logger="ccas.vault.sms"):
        assert send_appointment_reminders(functional_portal) == 1
        assert "Rappel" not in caplog.text  # nothing before the commit
        transaction.commit()
    sent = f"Rappel : rendez-vous demain à 14 h 30, {PLACE}."
    assert f"SMS to …78 ({len(sent)} characters)" in caplog.text
    assert sent not in caplog.text  # only the length is logged
    assert notices(dupont) == []
    assert reminders_of(dupont)[0]["channel"] == "sms"
    assert send_appointment_reminders(functional_portal) == 0


def test_email_through_a_real_smtp_server(mail_site, smtp, frozen):
    inbox, _port = smtp
    dupont, _martin = people(contact_channel="email", email="jean@example.org")
    add("travailleur", dupont)
    transaction.commit()
    run(mail_site)
    transaction.commit()
    run(mail_site)  # a second run, committed: nothing more
    transaction.commit()
    wait_until(lambda: inbox.messages, timeout=30, what="the reminder e-mail")
    ((recipients, message),) = inbox.messages
    assert recipients == ["jean@example.org"]
    assert message["Subject"] == "Rappel de rendez-vous"
    text = message.get_content()
    assert f"Rappel : rendez-vous demain à 14 h 30, {PLACE}." in text
    assert "RSA" not in text
    assert reminders_of(dupont)[0]["channel"] == "email"


# --- REST and pages (functional) ---------------------------------------------------------


@pytest.fixture
def site(functional_portal, frozen):
    dupont, martin = people()
    transaction.commit()
    return functional_portal, dupont, martin


def call(method, url, login=None, **kw):
    auth = (login, PASSWORD) if login else None
    headers = {"Accept": "application/json", **kw.pop("headers", {})}
    return requests.request(
        method, url, auth=auth, headers=headers, allow_redirects=False, timeout=60, **kw
    )


def stored(vault):
    transaction.begin()
    vault = api.portal.get().unrestrictedTraverse(vault.getPhysicalPath())
    with acting_as(vault.owner_login):
        return appointments.list_appointments(vault)


BODY = {"start": "2026-11-24T14:30", "place": PLACE, "purpose": "Dossier RSA"}


def test_rest_record_list_and_cancel(site):
    _portal, dupont, _martin = site
    url = f"{dupont.absolute_url()}/@appointments"
    created = call("POST", url, "travailleur", json={**BODY, "with_whom": "Mme Leroy"})
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["start"] == "2026-11-24T14:30:00+01:00"
    assert (item["place"], item["created_by"], item["cancelled"]) == (PLACE, "travailleur", False)
    listed = call("GET", url, "jdupont")
    assert listed.status_code == 200, listed.text
    assert [i["id"] for i in listed.json()["items"]] == [item["id"]]
    assert listed.headers["Cache-Control"] == "private, no-store"
    cancelled = call("DELETE", f"{url}/{item['id']}", "jdupont")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelled"] is True
    assert call("GET", url, "travailleur", params={"upcoming": "true"}).json()["items"] == []
    assert call("DELETE", f"{url}/rdv-nothere", "jdupont").status_code == 404
    assert stored(dupont)[0]["cancelled"] is True


def test_rest_bad_input_is_a_400_in_french(site):
    _portal, dupont, _martin = site
    url = f"{dupont.absolute_url()}/@appointments"
    missing = call("POST", url, "travailleur", json={"start": "demain"})
    assert missing.status_code == 400
    fields = missing.json()["error"]["fields"]
    assert set(fields) == {"start", "place", "purpose"}
    assert fields["start"]["fr"].startswith("Écrivez la date et l'heure")
    past = call("POST", url, "travailleur", json={**BODY, "start": "2026-11-22T10:00"})
    assert past.status_code == 400
    assert "déjà passé" in past.json()["error"]["message_fr"]
    assert stored(dupont) == []


@pytest.mark.parametrize(
    "login, status",
    [(None, 401), ("pmartin", 403), ("sans-mandat", 403), ("chef", 403), ("admin-site", 403)],
)
def test_rest_refuses_everybody_else(site, login, status):
    _portal, dupont, _martin = site
    with acting_as("jdupont"):
        item = appointments.add_appointment(dupont, start=IN_A_WEEK, place=PLACE, purpose="RSA")
    transaction.commit()
    url = f"{dupont.absolute_url()}/@appointments"
    listed = call("GET", url, login)
    assert listed.status_code == status
    assert PLACE not in listed.text and "RSA" not in listed.text
    assert listed.json()["error"]["message_fr"]
    assert call("POST", url, login, json=BODY).status_code == status
    assert call("DELETE", f"{url}/{item['id']}", login).status_code == status
    assert [(i["id"], i["cancelled"]) for i in stored(dupont)] == [(item["id"], False)]


def authenticator(page):
    import re

    return re.search(r'name="_authenticator" value="([^"]+)"', page).group(1)


def test_the_intranet_page_lists_adds_and_cancels(site):
    _portal, dupont, _martin = site
    url = f"{dupont.absolute_url()}/@@rendez-vous"
    page = call("GET", url, "travailleur", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert 'id="appointments-empty"' in page.text
    form = {
        "_authenticator": authenticator(page.text),
        "day": "2026-11-24",
        "time": "14:30",
        "place": PLACE,
        "purpose": "",
        "add": "1",
    }
    refused = call("POST", url, "travailleur", data=form)
    assert refused.status_code == 400
    assert "Indiquez « Objet »" in refused.text
    assert f'value="{PLACE}"' in refused.text  # nothing typed is lost
    added = call("POST", url, "travailleur", data={**form, "purpose": "Dossier RSA"})
    assert added.status_code == 200, added.text
    assert "24/11/2026 à 14 h 30" in added.text
    (item,) = stored(dupont)
    forged = call("POST", url, "travailleur", data={"cancel": "1", "appointment": item["id"]})
    assert forged.status_code == 403  # no authenticator: plone.protect refuses
    assert stored(dupont)[0]["cancelled"] is False
    cancel = {"_authenticator": form["_authenticator"], "cancel": "1", "appointment": item["id"]}
    assert call("POST", url, "travailleur", data=cancel).status_code == 200
    assert stored(dupont)[0]["cancelled"] is True


@pytest.mark.parametrize("login", [None, "pmartin", "sans-mandat", "chef", "admin-site"])
def test_the_intranet_page_is_refused_to_everybody_else(site, login):
    _portal, dupont, _martin = site
    with acting_as("jdupont"):
        appointments.add_appointment(dupont, start=IN_A_WEEK, place=PLACE, purpose="RSA")
    transaction.commit()
    response = call("GET", f"{dupont.absolute_url()}/@@rendez-vous", login)
    assert response.status_code in (302, 401, 403), response.status_code
    assert PLACE not in response.text


def test_the_persons_page_in_the_public_skin(site):
    portal, dupont, _martin = site
    url = f"{portal.absolute_url()}/mon-coffre/rendez-vous"
    page = call("GET", url, "jdupont", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert "Mes rendez-vous" in page.text
    assert "Vous n'avez pas de rendez-vous à venir." in page.text
    assert 'aria-current="page"' in page.text  # the menu entry
    form = {
        "_authenticator": authenticator(page.text),
        "day": "2026-11-24",
        "time": "",
        "place": PLACE,
        "purpose": "Logement",
        "add": "1",
    }
    refused = call("POST", url, "jdupont", data=form)
    assert refused.status_code == 400
    assert "Écrivez l'heure." in refused.text
    assert 'value="Logement"' in refused.text
    added = call("POST", url, "jdupont", data={**form, "time": "14:30"})
    assert added.status_code == 303
    assert added.headers["Location"].endswith("/mon-coffre/rendez-vous?fait=ajoute")
    shown = call("GET", added.headers["Location"], "jdupont", headers={"Accept": "text/html"})
    assert "Le rendez-vous est noté." in shown.text
    assert "24 novembre 2026 à 14 h 30" in shown.text
    (item,) = stored(dupont)
    assert item["created_by"] == "jdupont"
    cancel = {"_authenticator": form["_authenticator"], "cancel": "1", "appointment": item["id"]}
    assert call("POST", url, "jdupont", data=cancel).status_code == 303
    assert stored(dupont)[0]["cancelled"] is True


@pytest.mark.parametrize("login", ["travailleur", "chef", "admin-site"])
def test_the_persons_page_is_theirs_only(site, login):
    portal, dupont, _martin = site
    with acting_as("jdupont"):
        appointments.add_appointment(dupont, start=IN_A_WEEK, place=PLACE, purpose="RSA")
    transaction.commit()
    response = call("GET", f"{portal.absolute_url()}/mon-coffre/rendez-vous", login)
    assert response.status_code in (302, 401, 403), response.status_code
    assert PLACE not in response.text
