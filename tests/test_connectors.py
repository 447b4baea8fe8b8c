"""Connectors (issue 23, decision 0051): the framework, the consent, API Particulier's family
quotient against a local server that follows its published description (never the real API),
the scheduled refresh, and the rules of who may run a connector.
"""

from AccessControl import Unauthorized
from api_particulier_server import FakeApiParticulier
from api_particulier_server import SIRET
from api_particulier_server import TOKEN
from ccas.vault.certification.verification import verify_bytes
from ccas.vault.check import check_site
from ccas.vault.checklists import checklist_status
from ccas.vault.connectors import api_particulier
from ccas.vault.connectors import consent
from ccas.vault.connectors import run
from ccas.vault.connectors import schedule
from ccas.vault.connectors import settings
from ccas.vault.connectors.interfaces import ConnectorDisabled
from ccas.vault.connectors.interfaces import ConnectorError
from ccas.vault.connectors.interfaces import ConsentMissing
from ccas.vault.connectors.interfaces import IConnector
from ccas.vault.connectors.interfaces import IPullConnector
from ccas.vault.history import api as history
from ccas.vault.printouts.templates import information_notice
from datetime import date
from datetime import datetime
from io import BytesIO
from plone import api
from pypdf import PdfReader
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
from zope.component import getUtility
import json
import pytest
import transaction


NAME = api_particulier.NAME
PERSON = {"sexe": "f", "code_commune_naissance": "59350", "code_pays_naissance": ""}


@pytest.fixture
def fake_api():
    server = FakeApiParticulier().start()
    yield server
    server.stop()


@pytest.fixture
def waits(monkeypatch):
    """The waits the client makes (Retry-After), recorded instead of slept."""
    done = []
    monkeypatch.setattr(api_particulier, "sleep", done.append)
    return done


def switch_on(base_url, token=TOKEN, recipient=SIRET):
    settings.set_enabled(NAME, True)
    settings.set_settings(NAME, {"base_url": base_url, "token": token, "recipient": recipient})


@pytest.fixture
def vault(functional_portal, frozen, fake_api):
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("consultant")
    make_agent("autre")
    vault = consent_as_owner(
        open_vault_as(
            "accueil", "jdupont", first="Jeanne", last="Lefebvre", born=date(1982, 12, 27)
        )
    )
    active_mandate(vault, agents=("travailleur",), scopes=("consult", "deposit"))
    active_mandate(vault, agents=("consultant",), scopes=("consult",))
    switch_on(fake_api.url)
    transaction.commit()
    return vault


def agree(vault, values=PERSON, scheduled=True):
    connector = settings.get_connector(NAME)
    with acting_as(vault.owner_login):
        return consent.give(vault, connector, values, scheduled=scheduled)


def papers(vault):
    return [d for d in vault["partage"].objectValues() if d.portal_type == "VaultDocument"]


def fetch_as(login, vault):
    with acting_as(login):
        return run.run_connector(vault, NAME)


def set_name(vault, name):
    with acting_as(vault.owner_login):
        consent.give(vault, settings.get_connector(NAME), {**PERSON, "nom_naissance": name})


# --- the framework ----------------------------------------------------------------------


def test_the_connector_is_a_named_utility_listed_with_what_it_needs(functional_portal):
    connector = getUtility(IConnector, name=NAME)
    assert IPullConnector.providedBy(connector)
    assert (NAME, connector) in settings.connectors()
    assert connector.document_types == ("attestation-caf",)
    assert {f.name for f in connector.person_fields} >= {"sexe", "code_commune_naissance"}
    assert [f.name for f in connector.settings_fields if f.secret] == ["token"]


def test_the_token_is_kept_encrypted_in_the_registry(vault):
    stored = settings.stored_value(NAME, "token")
    assert stored.startswith("enc:") and TOKEN not in stored
    assert settings.get_settings(NAME)["token"] == TOKEN
    # left empty in the form: the secret is kept, never erased by a save
    settings.set_settings(NAME, {"token": "", "recipient": SIRET})
    assert settings.get_settings(NAME)["token"] == TOKEN


def test_a_connector_switched_off_or_not_configured_refuses(vault):
    agree(vault)
    settings.set_enabled(NAME, False)
    with pytest.raises(ConnectorDisabled, match="off"):
        fetch_as("travailleur", vault)
    settings.set_enabled(NAME, True)
    settings.set_settings(NAME, {"recipient": ""})
    with pytest.raises(ConnectorDisabled) as refused:
        fetch_as("travailleur", vault)
    assert "SIRET" in refused.value.message_fr
    assert papers(vault) == []


# --- consent ----------------------------------------------------------------------------


def test_without_consent_the_connector_refuses_and_asks_nothing(vault, fake_api):
    with pytest.raises(ConsentMissing) as refused:
        fetch_as("travailleur", vault)
    assert "accord" in refused.value.message_fr
    assert fake_api.requests == [] and papers(vault) == []


def test_consent_is_recorded_in_the_vault_and_the_history(vault):
    record = agree(vault)
    assert record["given_by"] == vault.owner_login
    assert record["connector"] == NAME
    assert record["data_categories"] == ("quotient_familial", "composition_familiale", "adresse")
    assert "CAF ou la MSA" in record["notice"] and "quotient familial" in record["notice"]
    assert dict(record["person"]) == {
        "sexe": "F",
        "code_commune_naissance": "59350",
        "code_pays_naissance": "",
        "nom_naissance": "",
    }
    last = history.entries(vault)[-1]
    assert last.action == "connector_consent" and last.details["connector"] == NAME
    assert last.details["data"] == "quotient_familial, composition_familiale, adresse"


def test_only_the_person_consents_or_revokes(vault):
    connector = settings.get_connector(NAME)
    for login in ("travailleur", "accueil", "autre"):
        with acting_as(login), pytest.raises(Unauthorized):
            consent.give(vault, connector, PERSON)
    agree(vault)
    for login in ("travailleur", "accueil", "autre"):
        with acting_as(login), pytest.raises(Unauthorized):
            consent.revoke(vault, NAME)
    assert consent.consent_of(vault, NAME) is not None


def test_bad_person_data_gives_a_french_message_and_records_nothing(vault):
    connector = settings.get_connector(NAME)
    with acting_as(vault.owner_login), pytest.raises(ConnectorError) as refused:
        consent.give(vault, connector, {**PERSON, "sexe": "X"})
    assert "bonne forme" in refused.value.message_fr
    assert consent.consent_of(vault, NAME) is None


def test_revoked_consent_refuses_again(vault):
    agree(vault)
    with acting_as(vault.owner_login):
        assert consent.revoke(vault, NAME)
    with pytest.raises(ConsentMissing):
        fetch_as("travailleur", vault)
    assert history.entries(vault)[-1].action == "connector_consent_revoked"


# --- API Particulier ----------------------------------------------------------------------


def test_an_agent_with_the_deposit_scope_fetches_a_certified_family_quotient(vault, fake_api):
    agree(vault)
    [(document, created)] = fetch_as("travailleur", vault)
    assert created
    asked = fake_api.requests[-1]
    assert asked["path"] == "/v3/dss/quotient_familial/identite"
    assert asked["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert asked["query"]["recipient"] == [SIRET]
    assert asked["query"]["nomNaissance"] == ["LEFEBVRE"]
    assert asked["query"]["prenoms[]"] == ["JEANNE"]
    assert asked["query"]["anneeDateNaissance"] == ["1982"]
    assert asked["query"]["codeCogInseeCommuneNaissance"] == ["59350"]
    assert asked["query"]["codeCogInseePaysNaissance"] == ["99100"]
    assert document.document_type == "attestation-caf"
    assert document.origin == "partner"
    assert document.title == (
        "Attestation de quotient familial (source : CAF, via API Particulier, le 23/11/2026)"
    )
    assert document.issued == date(2026, 11, 23)
    assert document.valid_until == date(2027, 2, 23)  # the type's 3 months
    assert api.content.get_state(document) == "certified"
    seal = document.certification
    assert seal["by"] == "connecteur:api-particulier-qf"
    assert seal["by_fullname"] == "CAF, via API Particulier : quotient familial, le 23/11/2026"
    verified = verify_bytes(document.file.data)
    assert verified["certified"]
    assert verified["seals"][0]["by_fullname"] == seal["by_fullname"]
    assert document.file.data.startswith(b"%PDF")
    [answer] = document.connector_files
    assert json.loads(answer.data)["data"]["quotient_familial"]["valeur"] == 2550
    assert answer.raw().startswith(b"CCASENC1")  # encrypted like the paper
    assert document.connector_info["source"] == "CAF"
    actions = [e.action for e in history.entries(vault)]
    assert "connector_delivery" in actions and "certify" in actions


def test_msa_is_named_as_the_source(vault):
    set_name(vault, "ROUX")
    [(document, _created)] = fetch_as("travailleur", vault)
    assert "source : MSA" in document.title
    assert document.certification["by_fullname"].startswith("MSA, via")


def test_the_same_answer_again_stores_nothing_new(vault):
    agree(vault)
    [(first, _)] = fetch_as("travailleur", vault)
    [(again, created)] = fetch_as("travailleur", vault)
    assert again == first and not created
    assert len(papers(vault)) == 1


def test_the_person_fetches_for_themselves(vault):
    agree(vault)
    [(document, created)] = fetch_as(vault.owner_login, vault)
    assert created and api.content.get_state(document) == "certified"


@pytest.mark.parametrize(
    "login",
    ["consultant", "accueil", "autre", None],
    ids=["consult-scope", "no-mandate", "other", "anonymous"],
)
def test_only_the_deposit_scope_or_the_person_runs_a_connector(vault, fake_api, login):
    agree(vault)
    with acting_as(login), pytest.raises(Unauthorized):
        run.run_connector(vault, NAME)
    assert fake_api.requests == [] and papers(vault) == []


ERRORS = [
    ("INCONNU", "unknown_person", "ne trouvent pas de dossier allocataire"),
    ("NONHABILITE", "not_entitled", "habilitation API Particulier du CCAS"),
    ("PRESSE", "rate_limited", "trop de demandes du CCAS. Réessayez dans 60 minutes"),
    ("PANNE", "api_down", "ne répond pas en ce moment"),
    ("DELAI", "api_down", "ne répond pas en ce moment"),
]


@pytest.mark.parametrize(("name", "code", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_api_error_gives_its_message_and_stores_nothing(vault, waits, name, code, message):
    set_name(vault, name)
    before = len(history.entries(vault))
    with pytest.raises(ConnectorError) as failed:
        fetch_as("travailleur", vault)
    assert failed.value.code == code
    assert message in failed.value.message_fr
    assert "Rien n'a été enregistré" in failed.value.message_fr
    assert papers(vault) == []
    added = history.entries(vault)[before:]
    assert [e.action for e in added] == ["connector_failed"]
    assert added[0].details["code"] == code
    assert waits == []  # an hour is not waited: it is told


def test_an_expired_token_is_told_to_the_records_manager(vault):
    agree(vault)
    settings.set_settings(NAME, {"token": "jeton-expire"})
    with pytest.raises(ConnectorError) as failed:
        fetch_as("travailleur", vault)
    assert failed.value.code == "token_invalid"
    assert "jeton API Particulier du CCAS" in failed.value.message_fr
    assert papers(vault) == []


def test_an_api_out_of_reach_is_told(vault):
    agree(vault)
    settings.set_settings(NAME, {"base_url": "http://127.0.0.1:9"})
    with pytest.raises(ConnectorError) as failed:
        fetch_as("travailleur", vault)
    assert failed.value.code == "api_down" and papers(vault) == []


def test_a_short_retry_after_is_waited_then_the_call_made_again(vault, fake_api, waits):
    set_name(vault, "PRESSEBREF")
    [(_document, created)] = fetch_as("travailleur", vault)
    assert created and waits == [1]
    assert len(fake_api.requests) == 2


def test_retry_after_as_an_http_date():
    now = datetime(2026, 11, 23, 9, 0, tzinfo=api_particulier.UTC)
    assert api_particulier.retry_after_seconds("Mon, 23 Nov 2026 09:02:00 GMT", now) == 120
    assert api_particulier.retry_after_seconds("120") == 120
    assert api_particulier.retry_after_seconds("demain") is None


def test_a_person_born_in_france_needs_the_commune_code(vault, fake_api):
    agree(vault, {"sexe": "M"})
    with pytest.raises(ConnectorError) as failed:
        fetch_as("travailleur", vault)
    assert "code INSEE de la commune" in failed.value.message_fr
    assert fake_api.requests == []


# --- the scheduled refresh ----------------------------------------------------------------


def test_the_monthly_refresh_runs_before_the_paper_expires_and_stops_once_revoked(
    vault, fake_api, frozen
):
    agree(vault, scheduled=True)
    fetch_as("travailleur", vault)
    assert schedule.refresh_due() == {"refreshed": 0, "failed": 0}  # valid for 3 months
    # a month later the paper ends within 60 days: refreshed (a new answer, a new paper)
    frozen(datetime(2026, 12, 24, 3, 0))
    counts = schedule.refresh_due()
    assert counts == {"refreshed": 1, "failed": 0}
    assert len(fake_api.requests) == 2
    assert schedule.refresh_due() == {"refreshed": 0, "failed": 0}  # once a day at most
    with acting_as(vault.owner_login):
        consent.revoke(vault, NAME)
    frozen(datetime(2026, 12, 26, 3, 0))
    assert schedule.refresh_due() == {"refreshed": 0, "failed": 0}
    assert len(fake_api.requests) == 2  # nothing asked any more


def test_a_refresh_replaces_the_older_paper(vault, fake_api, frozen):
    agree(vault, scheduled=True)
    [(first, _)] = fetch_as("travailleur", vault)
    set_name(vault, "ROUX")  # another answer (MSA): another reference
    agree(vault, {**PERSON, "nom_naissance": "ROUX"}, scheduled=True)
    frozen(datetime(2026, 12, 24, 3, 0))
    assert schedule.refresh_due() == {"refreshed": 1, "failed": 0}
    states = sorted(api.content.get_state(d) for d in papers(vault))
    assert states == ["certified", "superseded"]
    assert first.replaced_by


def test_without_scheduled_consent_nothing_is_refreshed(vault, fake_api, frozen):
    agree(vault, scheduled=False)
    frozen(datetime(2027, 3, 1, 3, 0))
    assert schedule.refresh_due() == {"refreshed": 0, "failed": 0}
    assert fake_api.requests == []


def test_a_rate_limited_refresh_waits_for_retry_after(vault, fake_api, frozen):
    set_name(vault, "PRESSE")
    agree(vault, {**PERSON, "nom_naissance": "PRESSE"}, scheduled=True)
    assert schedule.refresh_due() == {"refreshed": 0, "failed": 1}
    record = consent.consent_of(vault, NAME)
    assert record["not_before"].startswith("2026-11-23T11:00")
    frozen(datetime(2026, 11, 24, 10, 30))
    assert schedule.refresh_due() == {"refreshed": 0, "failed": 1}  # next day, after the hour
    assert papers(vault) == []


def test_the_paper_counts_in_the_checklists_like_an_attestation_caf(vault):
    agree(vault)
    [(document, _)] = fetch_as("travailleur", vault)
    with acting_as("travailleur"):
        status = checklist_status(vault["partage"], "demande-logement-social")
    [income] = [s for s in status.items if "attestation-caf" in s.item.type_ids]
    assert income.state == "valid"
    assert income.document.UID() == document.UID()


def test_the_integrity_checker_finds_nothing_wrong_after_fetches_and_failures(vault, waits):
    agree(vault, scheduled=True)
    fetch_as("travailleur", vault)
    set_name(vault, "PANNE")
    with pytest.raises(ConnectorError):
        fetch_as("travailleur", vault)
    report = check_site(api.portal.get())
    assert report.ok, report.problems


def pdf_text(data):
    return " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages).split())


def test_the_printed_information_notice_says_what_is_fetched_and_from_whom(vault):
    text = pdf_text(information_notice())
    assert "Des papiers que le CCAS peut demander pour vous" in text
    assert "quotient familial" in text and "la CAF ou la MSA" in text
    settings.set_enabled(NAME, False)
    assert "peut demander pour vous" not in pdf_text(information_notice())


def test_the_attestation_pdf_says_its_source_and_date(vault):
    agree(vault)
    [(document, _)] = fetch_as("travailleur", vault)
    text = pdf_text(document.file.data)
    assert (
        "Attestation de quotient familial (source : CAF, via API Particulier, le 23/11/2026)"
        in text
    )
    assert "2550" in text and "LEFEBVRE" in text
