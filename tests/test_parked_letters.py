"""Letters that cannot be delivered yet are parked, shown to agents without their content,
delivered automatically once the vault opens and consents, or discarded with a reason."""

from AccessControl import Unauthorized
from ccas.vault import roles
from ccas.vault.api.errors import VaultError
from ccas.vault.api.vaults import vault_directory
from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.history import api as history
from ccas.vault.letters import parking
from ccas.vault.letters import receipts
from ccas.vault.letters.delivery import receive_letter
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.namedfile.file import NamedBlobFile
from test_ged_letters import letter
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
from zope.event import notify
from zope.lifecycleevent import ObjectModifiedEvent
import pytest
import transaction


@pytest.fixture
def agents(portal):
    make_agent("accueil")
    make_user("archiviste", global_roles=[roles.RECORDS_MANAGER])


def letters_in(vault):
    folder = vault["partage"].get(CCAS_MAIL_FOLDER_ID)
    return [] if folder is None else list(folder.objectValues())


def site_trace():
    return [(e.action, dict(e.details)) for e in history.entries(vault_directory())]


def test_a_letter_for_an_unknown_person_waits_then_lands_when_the_vault_consents(agents):
    result = receive_letter(letter(), "ged")
    assert (result.status_code, result.body["reason"]) == (202, "unknown_person")
    parked = parking.get_parked("GED-2026-0001")
    assert parked.file.data.startswith(b"%PDF")
    assert (
        "letter_parked",
        {"ged_reference": "GED-2026-0001", "person": "ged:ged-42", "reason": "unknown_person"},
    ) in site_trace()

    vault = open_vault_as(
        "accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True
    )
    assert parking.get_parked("GED-2026-0001").reason == "vault_not_open"
    assert receipts.get_receipt("GED-2026-0001").status_info()["reason"] == "vault_not_open"
    assert letters_in(vault) == []

    consent_as_owner(vault)
    (document,) = letters_in(vault)
    assert document.origin == "ged" and document.deposited_by == "ged"
    assert api.content.get_state(document) == "certified"
    assert parking.get_parked("GED-2026-0001") is None
    receipt = receipts.get_receipt("GED-2026-0001")
    assert receipt.status == "delivered" and receipt.delivered_at
    assert receipt.document_uid == document.UID()
    assert site_trace()[-1][0] == "letter_delivered"
    # the GED sending it again now gets the delivered answer
    again = receive_letter(letter(), "ged")
    assert again.status_code == 200 and again.body["@id"] == document.absolute_url()


def test_a_letter_delivered_at_once_is_traced_in_its_vault_not_in_the_site_trace(agents):
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", receive_ccas_letters=True))
    before = site_trace()
    result = receive_letter(letter(person={"vault": vault.getId()}), "ged")
    assert result.status_code == 201
    assert site_trace() == before  # no shared hot spot for concurrent batches
    actions = [entry.action for entry in history.entries(vault)]
    assert actions[-2:] == ["deposit", "certify"]
    assert receipts.get_receipt("GED-2026-0001").vault_id == vault.getId()


def test_a_letter_for_a_vault_id_waits_for_consent(agents):
    vault = open_vault_as("accueil", "jdupont", receive_ccas_letters=True)
    result = receive_letter(letter(person={"vault": vault.getId()}), "ged")
    assert (result.status_code, result.body["reason"]) == (202, "vault_not_open")
    consent_as_owner(vault)
    assert len(letters_in(vault)) == 1


def test_a_person_who_accepts_the_letters_later_receives_them(agents):
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"]))
    result = receive_letter(letter(), "ged")
    assert (result.status_code, result.body["reason"]) == (202, "no_letter_consent")
    # the person's choice is changed (edit form): the vault is modified
    vault.receive_ccas_letters = True
    notify(ObjectModifiedEvent(vault))
    assert len(letters_in(vault)) == 1
    assert receipts.get_receipt("GED-2026-0001").status == "delivered"


def test_a_ged_id_added_to_an_open_vault_delivers(agents):
    vault = open_vault_as("accueil", "jdupont", receive_ccas_letters=True)
    consent_as_owner(vault)
    receive_letter(letter(), "ged")
    assert letters_in(vault) == []
    vault.ged_person_ids = ["GED-42"]
    notify(ObjectModifiedEvent(vault))
    assert len(letters_in(vault)) == 1


def test_a_ged_id_shared_by_two_vaults_is_not_guessed(agents):
    for login, first in (("jdupont", "Jean"), ("jdupont2", "Jeanne")):
        consent_as_owner(
            open_vault_as(
                "accueil", login, first=first, ged_person_ids=["GED-42"], receive_ccas_letters=True
            )
        )
    result = receive_letter(letter(), "ged")
    assert (result.status_code, result.body["reason"]) == (202, "ambiguous_person")


def test_agents_list_parked_letters_without_their_content(agents):
    receive_letter(letter(), "ged")
    for login in ("accueil", "archiviste"):
        with api.env.adopt_user(username=login):
            (item,) = parking.list_parked()
        assert item == {
            "ged_reference": "GED-2026-0001",
            "person": {"ged_person_id": "GED-42"},
            "document_type": "attestation-domiciliation",
            "issued": "2026-11-20",
            "parked_at": item["parked_at"],
            "reason": "unknown_person",
        }


def test_a_discarded_letter_is_traced_and_its_file_dropped(agents):
    receive_letter(letter(), "ged")
    with api.env.adopt_user(username="accueil"):
        with pytest.raises(VaultError):
            parking.discard("GED-2026-0001", "  ")
        parking.discard("GED-2026-0001", "Personne inconnue du CCAS")
        assert parking.list_parked() == []
    status = receipts.get_receipt("GED-2026-0001").status_info()
    assert status["status"] == "discarded"
    assert status["discard_reason"] == "Personne inconnue du CCAS"
    action, details = site_trace()[-1]
    assert action == "letter_discarded"
    assert details["reason"] == "Personne inconnue du CCAS"
    assert history.entries(vault_directory())[-1].actor == "accueil"
    # a vault opening later does not resurrect it
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True)
    )
    assert letters_in(vault) == []
    assert receive_letter(letter(), "ged").body["status"] == "discarded"


@pytest.mark.parametrize("login", ["jdupont", "ged", SITE_OWNER_NAME])
def test_others_neither_list_nor_discard(agents, login):
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    open_vault_as("accueil", "jdupont")
    receive_letter(letter(), "ged")
    with api.env.adopt_user(username=login):
        with pytest.raises(Unauthorized):
            parking.list_parked()
        with pytest.raises(Unauthorized):
            parking.discard("GED-2026-0001", "no")
    assert parking.get_parked("GED-2026-0001") is not None


# --- REST and the intranet page --------------------------------------------------


@pytest.fixture
def site(functional_portal):
    make_agent("accueil")
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    make_user("archiviste", global_roles=[roles.RECORDS_MANAGER])
    receive_letter(letter(), "ged")
    transaction.commit()
    return functional_portal


def session(request_factory, login, api_=True):
    if login is None:
        return request_factory(api=api_)
    if login == SITE_OWNER_NAME:
        return request_factory(role="Manager", api=api_)
    return request_factory(basic_auth=(login, PASSWORD), api=api_)


def test_rest_listing_and_discard(site, request_factory):
    agent = session(request_factory, "accueil")
    listing = agent.get("@parked-letters")
    assert listing.status_code == 200, listing.text
    (item,) = listing.json()["items"]
    assert item["ged_reference"] == "GED-2026-0001"
    assert "title" not in item and "file" not in item

    missing = agent.post("@parked-letters/GED-2026-0001/discard", json={})
    assert missing.status_code == 400
    assert "reason" in missing.json()["error"]["fields"]
    unknown = agent.post("@parked-letters/NOPE/discard", json={"reason": "x"})
    assert unknown.status_code == 404
    done = agent.post("@parked-letters/GED-2026-0001/discard", json={"reason": "Doublon"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "discarded"
    assert agent.get("@parked-letters").json()["items"] == []

    status = session(request_factory, "ged").get("@ged-letters/GED-2026-0001").json()
    assert (status["status"], status["discard_reason"]) == ("discarded", "Doublon")


@pytest.mark.parametrize("login, code", [(None, 401), ("ged", 403), (SITE_OWNER_NAME, 403)])
def test_rest_refuses_others(site, request_factory, login, code):
    client = session(request_factory, login)
    assert client.get("@parked-letters").status_code == code
    response = client.post("@parked-letters/GED-2026-0001/discard", json={"reason": "x"})
    assert response.status_code == code
    transaction.begin()
    assert parking.get_parked("GED-2026-0001") is not None


def test_the_intranet_page(site, request_factory):
    # The real site is French by default (scripts/instance.py); so is this one.
    api.portal.set_registry_record("plone.available_languages", ["fr", "en"])
    api.portal.set_registry_record("plone.default_language", "fr")
    transaction.commit()
    browser = session(request_factory, "accueil", api_=False)
    page = browser.get(f"{site.absolute_url()}/@@courriers-en-attente")
    assert page.status_code == 200
    assert "GED-2026-0001" in page.text
    assert "Aucun coffre-fort pour cette personne" in page.text
    assert "Lettre du CCAS" not in page.text  # the letter's file never appears
    token = page.text.split('name="_authenticator" value="')[1].split('"')[0]
    posted = browser.post(
        f"{site.absolute_url()}/@@courriers-en-attente",
        data={
            "ged_reference": "GED-2026-0001",
            "reason": "Erreur de la GED",
            "discard": "1",
            "_authenticator": token,
        },
    )
    assert posted.status_code == 200
    assert "Erreur de la GED" in posted.text
    transaction.begin()
    assert parking.get_parked("GED-2026-0001") is None


@pytest.mark.parametrize("login", [None, "ged", "jdupont"])
def test_the_intranet_page_is_for_agents_only(site, request_factory, login):
    if login == "jdupont":
        open_vault_as("accueil", "jdupont")
        transaction.commit()
    browser = session(request_factory, login, api_=False)
    page = browser.get(f"{site.absolute_url()}/@@courriers-en-attente", allow_redirects=False)
    assert page.status_code in (302, 401, 403)
    assert "GED-2026-0001" not in page.text


def test_pdf_of_a_parked_letter_is_kept_as_a_blob(agents):
    data = pdf_bytes("Courrier")
    receive_letter(letter(data=data), "ged")
    parked = parking.get_parked("GED-2026-0001")
    assert isinstance(parked.file, NamedBlobFile)  # an EncryptedBlobFile (decision 0025)


def test_a_closure_cancelled_delivers_what_waited(agents):
    from ccas.vault.api import closing

    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True)
    )
    with api.env.adopt_user(username="jdupont"):
        closing.request_closure(vault)
    assert receive_letter(letter(), "ged").body["reason"] == "vault_not_open"
    with api.env.adopt_user(username="jdupont"):
        closing.cancel_closure(vault)
    assert len(letters_in(vault)) == 1


def test_deliveries_come_after_the_consent_in_the_history(agents):
    receive_letter(letter(), "ged")
    vault = open_vault_as(
        "accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True
    )
    consent_as_owner(vault)
    actions = [entry.action for entry in history.entries(vault)]
    assert actions.index("consent") < actions.index("deposit") < actions.index("certify")
