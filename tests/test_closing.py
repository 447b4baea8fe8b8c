"""Closing a vault: the owner's request and cancellation, the export, the REST endpoints."""

from AccessControl import Unauthorized
from ccas.vault.api import closing
from ccas.vault.api import documents
from ccas.vault.api.errors import VaultError
from ccas.vault.export import build_export
from ccas.vault.export import safe_name
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from plone import api
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
from zoneinfo import ZoneInfo
import csv
import hashlib
import io
import json
import pytest
import transaction
import zipfile


PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def vault(portal):
    make_agent("accueil")
    return consent_as_owner(open_vault_as("accueil", "jdupont"))


def as_owner(vault):
    return api.env.adopt_user(username=vault.owner_login)


def request_as(login, vault):
    with api.env.adopt_user(username=login):
        return closing.request_closure(vault)


def others(portal):
    """Logins that must never close or export someone else's vault."""
    open_vault_as("accueil", "amartin", first="Alice", last="Martin")
    make_user("gestion", global_roles=["Manager"])
    make_user("admin-site", global_roles=["Site Administrator"])
    return ("accueil", "amartin", "gestion", "admin-site")


# -- request and cancel ------------------------------------------------------


def test_owner_requests_closure_with_the_default_grace_period(vault):
    before = datetime.now(PARIS)
    due = request_as("jdupont", vault)
    assert api.content.get_state(vault) == "closing"
    requested = closing.closure_requested_at(vault)
    assert before <= requested <= datetime.now(PARIS)
    assert requested.tzinfo == due.tzinfo == PARIS
    assert vault.deletion_due == due == requested + timedelta(days=7)
    last = history.entries(vault)[-1]
    assert (last.action, last.actor) == ("close_requested", "jdupont")
    assert datetime.fromisoformat(last.details["deletion_due"]) == due
    assert last.details["grace_days"] == "7"


def test_the_grace_period_comes_from_the_settings(vault):
    api.portal.set_registry_record("ccas.vault.settings.closing_grace_days", 30)
    due = request_as("jdupont", vault)
    assert due == closing.closure_requested_at(vault) + timedelta(days=30)
    assert closing.deletion_due(vault) == due


def test_the_deletion_keeps_the_paris_time_across_a_clock_change(vault, monkeypatch):
    """Asked on 20 October at 10:00 (summer time): deleted from 27 October 10:00 (winter time)."""
    monkeypatch.setattr(closing, "paris_now", lambda: datetime(2026, 10, 20, 10, 0, tzinfo=PARIS))
    due = request_as("jdupont", vault)
    assert (due.date(), due.hour, due.minute) == (date(2026, 10, 27), 10, 0)
    assert closing.deletion_due(vault) == due
    elapsed = due.astimezone(UTC) - closing.closure_requested_at(vault).astimezone(UTC)
    assert elapsed == timedelta(days=7, hours=1)


def test_owner_cancels_during_the_grace_period(vault):
    due = request_as("jdupont", vault)
    with as_owner(vault):
        closing.cancel_closure(vault)
    assert api.content.get_state(vault) == "open"
    assert vault.deletion_due is None
    assert vault.closure_requested_at is None
    last = history.entries(vault)[-1]
    assert (last.action, last.actor) == ("close_cancelled", "jdupont")
    assert datetime.fromisoformat(last.details["deletion_due"]) == due
    deposit_as("jdupont", vault["prive"])  # deposits work again


def test_asking_twice_or_cancelling_nothing_is_refused(vault):
    with as_owner(vault), pytest.raises(VaultError) as refused:
        closing.cancel_closure(vault)
    assert refused.value.code == "not_closing"
    request_as("jdupont", vault)
    with pytest.raises(VaultError) as refused:
        request_as("jdupont", vault)
    assert refused.value.code == "already_closing"
    assert refused.value.message_fr


def test_nobody_else_can_request_or_cancel(vault, portal):
    logins = others(portal)
    for login in logins:
        with pytest.raises(Unauthorized):
            request_as(login, vault)
        assert api.content.get_state(vault) == "open"
    request_as("jdupont", vault)
    for login in logins:
        with api.env.adopt_user(username=login), pytest.raises(Unauthorized):
            closing.cancel_closure(vault)
        assert api.content.get_state(vault) == "closing"


def test_nothing_can_be_deposited_while_closing(vault):
    request_as("jdupont", vault)
    for space in ("prive", "partage"):
        with pytest.raises(Unauthorized):
            deposit_as("jdupont", vault[space])
        assert not vault[space].objectIds()


def test_a_vault_never_consented_can_be_closed_but_not_kept(portal):
    make_agent("accueil")
    vault = open_vault_as("accueil", "jdupont")
    request_as("jdupont", vault)
    assert api.content.get_state(vault) == "closing"
    with as_owner(vault), pytest.raises(VaultError) as refused:
        closing.cancel_closure(vault)
    assert refused.value.code == "no_consent"
    assert api.content.get_state(vault) == "closing"


def test_the_owner_cannot_skip_the_api_through_the_workflow(vault):
    """``@workflow/request_closure`` would skip the dates and the history line: refused."""
    from plone.api.exc import InvalidParameterError

    with as_owner(vault), pytest.raises(InvalidParameterError):
        api.content.transition(obj=vault, transition="request_closure")
    assert api.content.get_state(vault) == "open"


def test_a_closure_without_recorded_dates_takes_them_from_the_workflow_history(vault):
    """A vault put in *closing* by a system script alone still gets a due date."""
    with as_system():
        api.content.transition(obj=vault, transition="request_closure")
    requested = closing.closure_requested_at(vault)
    assert abs(requested - datetime.now(PARIS)) < timedelta(minutes=1)
    assert closing.deletion_due(vault) == requested + timedelta(days=7)


# -- export ------------------------------------------------------------------


def read_zip(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def export_as(login, vault):
    with api.env.adopt_user(username=login):
        return read_zip(build_export(vault))


@pytest.fixture
def filled(vault):
    """Two papers with the same name, one in the shared space, one replaced."""
    first = deposit_as("jdupont", vault["prive"], data=pdf_bytes("un"), filename="attestation.pdf")
    second = deposit_as(
        "jdupont", vault["prive"], data=pdf_bytes("deux"), filename="Attestation.pdf"
    )
    shared = deposit_as(
        "jdupont",
        vault["partage"],
        document_type="avis-imposition",
        data=pdf_bytes("impots"),
        filename="avis.pdf",
        title="Avis d'impôt 2025",
        issued=date(2025, 8, 1),
    )
    with as_owner(vault):
        newer = documents.replace(shared, data=pdf_bytes("impots 2026"), filename="avis.pdf")
    return vault, first, second, shared, newer


def test_export_holds_every_paper_under_its_original_name(filled):
    vault, first, second, shared, newer = filled
    archive = export_as("jdupont", vault)
    names = set(archive.namelist())
    assert names == {
        "index.html",
        "index.csv",
        "historique.csv",
        "historique.json",
        "papiers/prive/attestation.pdf",
        "papiers/prive/Attestation (2).pdf",
        "papiers/partage/avis.pdf",
        "anciennes-versions/partage/avis.pdf",
    }
    assert archive.read("papiers/prive/attestation.pdf") == first.file.data
    assert archive.read("papiers/prive/Attestation (2).pdf") == second.file.data
    assert archive.read("papiers/partage/avis.pdf") == newer.file.data
    assert archive.read("anciennes-versions/partage/avis.pdf") == shared.file.data


def test_export_index_is_readable(filled):
    vault, first, _second, shared, _newer = filled
    archive = export_as("jdupont", vault)
    page = archive.read("index.html").decode("utf-8")
    assert '<html lang="fr">' in page
    assert 'name="viewport"' in page
    assert "Avis d&#x27;impôt 2025" in page
    assert "Attestation CAF" in page  # the type label
    assert "Espace partagé" in page and "Espace privé" in page
    assert "Anciennes versions" in page
    assert first.sha256 in page
    assert 'href="papiers/prive/attestation.pdf"' in page
    assert 'href="papiers/prive/Attestation%20%282%29.pdf"' in page
    assert "Elle contient 3 papiers et 1 ancienne version." in page
    assert "Certifié</dt><dd>non" in page
    assert "01/08/2025" in page  # issue date, French format

    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert len(rows) == 4
    by_file = {row["fichier"]: row for row in rows}
    old = by_file["anciennes-versions/partage/avis.pdf"]
    assert old["version"] == "ancienne"
    assert old["sha256"] == shared.sha256 == hashlib.sha256(shared.file.data).hexdigest()
    assert old["espace"] == "Espace partagé"
    assert old["certifie"] == "non"
    assert by_file["papiers/prive/attestation.pdf"]["type"] == "Attestation CAF"


def test_export_holds_the_history_and_traces_itself(filled):
    vault = filled[0]
    archive = export_as("jdupont", vault)
    last = history.entries(vault)[-1]
    assert (last.action, last.actor, dict(last.details)) == (
        "download",
        "jdupont",
        {"what": "export"},
    )
    exported = json.loads(archive.read("historique.json"))
    assert exported["intact"] is True
    assert [entry["action"] for entry in exported["entries"]] == [
        entry.action for entry in history.entries(vault)
    ]
    table = list(csv.DictReader(io.StringIO(archive.read("historique.csv").decode("utf-8-sig"))))
    assert table[-1]["action"] == "download"
    assert len(table) == len(history.entries(vault))


def test_export_shows_the_certification_and_nested_folders(vault):
    from ccas.vault.content.mail_folder import ensure_mail_folder
    from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID

    ensure_mail_folder(vault)  # the real "Courrier du CCAS" folder
    letter = deposit_as("jdupont", vault["partage"][CCAS_MAIL_FOLDER_ID], filename="decision.pdf")
    make_agent("assistante")
    with as_system():
        vault["partage"].manage_setLocalRoles("assistante", ["VaultCertifier"])
    with api.env.adopt_user(username="assistante"):
        documents.certify(letter)

    archive = export_as("jdupont", vault)
    path = f"papiers/partage/{CCAS_MAIL_FOLDER_ID}/decision.pdf"
    assert archive.read(path) == letter.file.data
    page = archive.read("index.html").decode("utf-8")
    # The seal names the organisation.
    assert "Certifié</dt><dd>oui, par Assistante — CCAS le " in page
    (row,) = csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig")))
    assert (row["fichier"], row["certifie"], row["certifie_par"]) == (path, "oui", "Assistante")
    assert (row["etat"], row["espace"]) == ("Certifié", "Espace partagé")


@pytest.mark.parametrize(
    "hostile",
    [
        "../../../etc/passwd",
        "..\\..\\Windows\\win.ini",
        "/etc/shadow",
        "..",
        "C:\\evil.pdf",
        "a\x00b\u202e.pdf",
        "CON.pdf",
        "x" * 300 + ".pdf",
    ],
)
def test_export_names_cannot_escape_the_archive(vault, hostile):
    document = deposit_as("jdupont", vault["prive"])
    document.file.filename = hostile  # e.g. a name coming from another route than the upload
    archive = export_as("jdupont", vault)
    for name in archive.namelist():
        parts = name.split("/")
        assert not name.startswith("/")
        assert "\\" not in name and ":" not in name
        assert ".." not in parts and "" not in parts
        assert all(part.isprintable() and len(part) <= 120 for part in parts)
    papers = [name for name in archive.namelist() if name.startswith("papiers/")]
    assert len(papers) == 1 and papers[0].startswith("papiers/prive/")
    assert archive.read(papers[0]) == document.file.data


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("attestation.pdf", "attestation.pdf"),
        ("../../x.pdf", "x.pdf"),
        ("..", "document"),
        ("", "document"),
        ("Relevé: janvier?.pdf", "Relevé_ janvier_.pdf"),
        ("nul.txt", "_nul.txt"),
        ("  .hidden  ", "hidden"),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_export_is_offered_while_closing(filled):
    vault = filled[0]
    request_as("jdupont", vault)
    archive = export_as("jdupont", vault)
    assert "papiers/partage/avis.pdf" in archive.namelist()


def test_nobody_else_can_export(filled, portal):
    vault = filled[0]
    for login in others(portal):
        with api.env.adopt_user(username=login), pytest.raises(Unauthorized):
            build_export(vault)
    assert history.entries(vault)[-1].action != "download"


def test_export_requires_the_owner_even_with_the_permission(filled):
    """``Download original`` on the vault is not enough: the export shows the private space."""
    vault = filled[0]
    make_agent("assistante")
    with as_system():
        vault.manage_setLocalRoles("assistante", ["VaultDownloader"])
    with api.env.adopt_user(username="assistante"), pytest.raises(Unauthorized):
        build_export(vault)


# -- REST --------------------------------------------------------------------


@pytest.fixture
def rest_vault(functional_portal):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["prive"], filename="carte.pdf")
    open_vault_as("accueil", "amartin", first="Alice", last="Martin")
    transaction.commit()
    return vault


def session_as(request_factory, login):
    if login == "Manager":
        return request_factory(role="Manager")
    return request_factory(basic_auth=(login, PASSWORD))


def test_rest_owner_requests_reads_and_cancels_closure(rest_vault, request_factory):
    path = f"coffres/{rest_vault.getId()}/@vault-closure"
    owner = session_as(request_factory, "jdupont")

    response = owner.post(path, json={})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "closing"
    due = datetime.fromisoformat(body["deletion_due"])
    assert due - datetime.fromisoformat(body["closure_requested_at"]) == timedelta(days=7)
    assert body["export"].endswith("/@vault-export")

    again = owner.post(path, json={})
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "already_closing"
    assert again.json()["error"]["message_fr"]

    assert owner.get(path).json()["deletion_due"] == body["deletion_due"]

    response = owner.delete(path)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["deletion_due"]) == ("open", None)
    assert owner.delete(path).status_code == 409
    transaction.begin()
    assert api.content.get_state(rest_vault) == "open"
    assert owner.get(path).json()["deletion_due"] is None


@pytest.mark.parametrize("login", ["accueil", "amartin", "Manager"])
def test_rest_others_cannot_close(rest_vault, request_factory, login):
    path = f"coffres/{rest_vault.getId()}/@vault-closure"
    response = session_as(request_factory, login).post(path, json={})
    assert response.status_code in (401, 403)
    assert response.headers["Content-Type"] == "application/json"
    transaction.begin()
    assert api.content.get_state(rest_vault) == "open"


def test_rest_owner_downloads_the_export(rest_vault, request_factory):
    response = session_as(request_factory, "jdupont").get(
        f"coffres/{rest_vault.getId()}/@vault-export"
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="mon-coffre-')
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    archive = read_zip(response.content)
    assert "papiers/prive/carte.pdf" in archive.namelist()
    transaction.begin()
    assert history.entries(rest_vault)[-1].action == "download"


@pytest.mark.parametrize("login", ["accueil", "amartin", "Manager"])
def test_rest_others_cannot_export(rest_vault, request_factory, login):
    response = session_as(request_factory, login).get(f"coffres/{rest_vault.getId()}/@vault-export")
    assert response.status_code in (401, 403)
    assert not response.content.startswith(b"PK")
