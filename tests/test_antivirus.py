"""Every deposit is scanned by a real ClamAV ``clamd`` when one is configured.

The tests start their own ``clamd`` (Debian ``clamav-daemon``) on a UNIX socket
with a one-line signature database holding the EICAR test signature (no
internet, no freshclam). A virus is refused on every route with a French
message and traced; a configured clamd that does not answer refuses every
deposit (fail closed); no clamd configured: no scan.
"""

from ccas.vault.deposit import antivirus
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.deposit.inspection import inspect_upload
from ccas.vault.history import api as history
from ccas.vault.letters import receipts
from ccas.vault.scripts import ged_import
from io import BytesIO
from pathlib import Path
from PIL import Image
from plone import api
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from servers import process
from servers import wait_until
from test_ged_import import row
from test_ged_import import write_manifest
from test_ged_letters import letter
from test_mandate_services import create as create_mandate
from test_mandate_services import sign as sign_mandate
from test_opening_wizard import error as wizard_error
from test_opening_wizard import PERSON_PASSWORD
from test_opening_wizard import step_of
from test_opening_wizard import vault_of_login
from test_opening_wizard import Wizard
from test_settings_panel import post as post_settings
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import base64
import pytest
import requests
import shutil
import socket
import transaction


CLAMD = "/usr/sbin/clamd"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!H+H*"
SIGNATURE = "Ccas.Test.EICAR"
FOUND = f"{SIGNATURE}.UNOFFICIAL"  # clamd marks signatures of local databases
UNAVAILABLE_FR = (
    "L'antivirus du CCAS ne répond pas : le dépôt est refusé. Prévenez l'administrateur."
)
INFECTED_FR = "L'antivirus a trouvé un virus"
OWNER = ("jdupont", PASSWORD)

pytestmark = pytest.mark.skipif(not Path(CLAMD).exists(), reason="clamav-daemon not installed")


def jpeg(color=(30, 120, 200)):
    out = BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def infected_pdf():
    """A real PDF that carries the EICAR string in a comment after its end."""
    return pdf_bytes("Attestation") + b"\n%" + EICAR + b"\n"


def infected_jpeg():
    """A valid JPEG (it opens) with the EICAR string after its end marker."""
    return jpeg() + EICAR


def start_clamd(folder):
    """A clamd on a UNIX socket in ``folder``, with the EICAR signature only."""
    folder = Path(folder)
    database = folder / "db"
    database.mkdir(parents=True, exist_ok=True)
    (database / "eicar.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    sock = folder / "clamd.sock"
    (folder / "clamd.conf").write_text(
        "\n".join(
            (
                "Foreground yes",
                f"LocalSocket {sock}",
                f"DatabaseDirectory {database}",
                f"PidFile {folder / 'clamd.pid'}",
                f"LogFile {folder / 'clamd.log'}",
                "SelfCheck 0",
                "",
            )
        )
    )
    proc = process(
        [CLAMD, "--foreground", f"--config-file={folder / 'clamd.conf'}"], folder / "console.log"
    )
    return proc, sock


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clamd")
    daemon, sock = start_clamd(folder)
    with daemon as proc:
        scanner = antivirus.Clamd(socket_path=str(sock), timeout=10)
        wait_until(scanner.ping, 60, "clamd", proc, [folder / "console.log", folder / "clamd.log"])
        yield scanner


@pytest.fixture
def stopped_clamd(tmp_path):
    """The socket path of a clamd that ran, then was stopped."""
    daemon, sock = start_clamd(tmp_path)
    with daemon as proc:
        scanner = antivirus.Clamd(socket_path=str(sock), timeout=10)
        wait_until(scanner.ping, 60, "clamd", proc, [tmp_path / "console.log"])
    assert not scanner.ping()
    return scanner


def configure(socket_path="", address="", timeout=10):
    api.portal.set_registry_record("ccas.vault.settings.clamd_socket", socket_path)
    api.portal.set_registry_record("ccas.vault.settings.clamd_address", address)
    api.portal.set_registry_record("ccas.vault.settings.clamd_timeout_seconds", timeout)
    transaction.commit()


# --- the client, against the real clamd ------------------------------------------


def test_clamd_finds_the_test_virus_and_passes_clean_files(clamd):
    assert clamd.scan(pdf_bytes()) == antivirus.Verdict(clean=True)
    assert clamd.scan(jpeg()).clean
    for data in (EICAR, infected_pdf(), infected_jpeg()):
        assert clamd.scan(data) == antivirus.Verdict(clean=False, signature=FOUND)


def test_a_large_file_is_sent_in_chunks(clamd):
    data = b"%PDF-1.4\n" + b"0" * (3 * antivirus.CHUNK + 17) + EICAR
    assert clamd.scan(data).signature == FOUND


def test_a_stopped_clamd_cannot_tell(stopped_clamd):
    with pytest.raises(antivirus.ScannerUnavailable):
        stopped_clamd.scan(pdf_bytes())


def test_a_silent_server_times_out():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        host, port = server.getsockname()
        silent = antivirus.Clamd(address=f"{host}:{port}", timeout=1)
        with pytest.raises(antivirus.ScannerUnavailable):
            silent.scan(pdf_bytes())


def test_a_bad_address_cannot_tell():
    with pytest.raises(antivirus.ScannerUnavailable):
        antivirus.Clamd(address="nowhere").scan(pdf_bytes())


# --- the inspection of every deposit -----------------------------------------------


def test_not_configured_means_no_scan(functional_portal):
    assert antivirus.configured_scanner() is None
    assert antivirus.status() == "off"
    assert inspect_upload(infected_pdf()).content_type == "application/pdf"


def test_the_inspection_refuses_a_virus_in_french(functional_portal, clamd):
    configure(clamd.socket_path)
    assert antivirus.status() == "ok"
    for data in (infected_pdf(), infected_jpeg()):
        with pytest.raises(DepositRefused) as refused:
            inspect_upload(data, filename="a.pdf")
        assert refused.value.code == "infected"
        assert refused.value.message_fr.startswith(INFECTED_FR)
    assert inspect_upload(pdf_bytes()).content_type == "application/pdf"
    assert inspect_upload(jpeg()).content_type == "image/jpeg"


def test_the_inspection_fails_closed(functional_portal, stopped_clamd):
    configure(stopped_clamd.socket_path)
    assert antivirus.status() == "down"
    with pytest.raises(DepositRefused) as refused:
        inspect_upload(pdf_bytes())
    assert refused.value.code == "antivirus_unavailable"
    assert refused.value.message_fr == UNAVAILABLE_FR


def test_the_tcp_address_is_used_when_there_is_no_socket(functional_portal):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        configure(address=f"127.0.0.1:{server.getsockname()[1]}", timeout=1)
        with pytest.raises(DepositRefused) as refused:
            inspect_upload(pdf_bytes())
    assert refused.value.code == "antivirus_unavailable"


# --- every route ------------------------------------------------------------------


@pytest.fixture
def vault(letters_vault):
    return letters_vault


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


def papers(vault):
    """Every paper of the vault, in all its spaces and folders."""
    vault = fresh(vault)
    return [
        brain.getPath()
        for brain in api.portal.get_tool("portal_catalog").unrestrictedSearchResults(
            portal_type="VaultDocument", path="/".join(vault.getPhysicalPath())
        )
    ]


def refusals(vault):
    return [
        entry.details.get("code")
        for entry in history.entries(fresh(vault))
        if entry.action == "refused"
    ]


def b64(data):
    return base64.b64encode(data).decode("ascii")


def rest(vault, path, **kwargs):
    url = f"{api.portal.get().absolute_url()}/++api++/coffres/{vault.getId()}/{path}"
    return requests.post(url, auth=OWNER, headers={"Accept": "application/json"}, **kwargs)


def rest_deposit(vault, data):
    return rest(
        vault,
        "prive/@deposit",
        json={
            "document_type": "attestation-caf",
            "file": {"filename": "a.pdf", "content_type": "application/pdf", "data": b64(data)},
        },
        timeout=60,
    )


def assert_refused(response, code, french):
    assert response.status_code == 400, response.text[:2000]
    error = response.json()["error"]
    assert error["type"] == code or code in str(error), error
    assert french in str(error)


def test_rest_deposit(vault, clamd, stopped_clamd):
    configure(clamd.socket_path)
    assert_refused(rest_deposit(vault, infected_pdf()), "infected", INFECTED_FR)
    assert papers(vault) == [] and refusals(vault) == ["infected"]
    configure(stopped_clamd.socket_path)
    assert_refused(rest_deposit(vault, pdf_bytes()), "antivirus_unavailable", UNAVAILABLE_FR)
    assert papers(vault) == [] and refusals(vault) == ["infected", "antivirus_unavailable"]
    configure(clamd.socket_path)
    assert rest_deposit(vault, pdf_bytes()).status_code == 201
    assert len(papers(vault)) == 1


def test_rest_replace(vault, clamd, stopped_clamd):
    document = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    path = f"prive/{document.getId()}/@replace"
    configure(clamd.socket_path)
    files = {"file": ("a.jpg", infected_jpeg(), "image/jpeg")}
    assert_refused(rest(vault, path, files=files, timeout=60), "infected", INFECTED_FR)
    configure(stopped_clamd.socket_path)
    files = {"file": ("a.jpg", jpeg(), "image/jpeg")}
    answer = rest(vault, path, files=files, timeout=60)
    assert_refused(answer, "antivirus_unavailable", UNAVAILABLE_FR)
    assert len(papers(vault)) == 1
    assert refusals(vault) == ["infected", "antivirus_unavailable"]


def staff_form(vault, data):
    url = f"{fresh(vault)['prive'].absolute_url()}/@@deposit"
    token = form_token(requests.get(url, auth=OWNER, timeout=60).text)
    return requests.post(
        url,
        data={"form.submitted": "1", "_authenticator": token, "document_type": "attestation-caf"},
        files={"file": ("a.pdf", data, "application/pdf")},
        auth=OWNER,
        allow_redirects=False,
        timeout=60,
    )


def test_staff_deposit_form(vault, clamd, stopped_clamd):
    configure(clamd.socket_path)
    answer = staff_form(vault, infected_pdf())
    assert answer.status_code == 400 and INFECTED_FR in unescaped(answer.text)
    configure(stopped_clamd.socket_path)
    answer = staff_form(vault, pdf_bytes())
    assert answer.status_code == 400 and UNAVAILABLE_FR in unescaped(answer.text)
    assert papers(vault) == [] and refusals(vault) == ["infected", "antivirus_unavailable"]


def skin_add(session, portal, **files):
    token = form_token(session.get(skin(portal, "ajouter"), timeout=60).text)
    return session.post(
        skin(portal, "ajouter"),
        data={
            "form.submitted": "1",
            "_authenticator": token,
            "document_type": "cni",
            "space": "prive",
        },
        files=[(name, value) for name, values in files.items() for value in values],
        timeout=60,
        allow_redirects=False,
    )


def unescaped(html):
    return html.replace("&#x27;", "'").replace("&#39;", "'").replace("&nbsp;", " ")


def test_skin_upload_and_camera_photos(vault, functional_portal, clamd, stopped_clamd):
    session = skin_session(functional_portal, "jdupont")
    configure(clamd.socket_path)
    answer = skin_add(session, functional_portal, file=[("a.pdf", infected_pdf())])
    assert answer.status_code == 400 and INFECTED_FR in unescaped(answer.text)
    photos = [("p1.jpg", jpeg()), ("p2.jpg", infected_jpeg())]
    answer = skin_add(session, functional_portal, photos=photos)
    assert answer.status_code == 400 and INFECTED_FR in unescaped(answer.text)
    configure(stopped_clamd.socket_path)
    answer = skin_add(session, functional_portal, photos=[("p1.jpg", jpeg())])
    assert answer.status_code == 400 and UNAVAILABLE_FR in unescaped(answer.text)
    assert papers(vault) == []
    assert refusals(vault) == ["infected", "infected", "antivirus_unavailable"]
    configure(clamd.socket_path)
    answer = skin_add(session, functional_portal, photos=[("p1.jpg", jpeg())])
    assert answer.status_code == 303, unescaped(answer.text)[-3000:]
    assert len(papers(vault)) == 1


def ged(path, body):
    url = f"{api.portal.get().absolute_url()}/++api++/{path}"
    return requests.post(
        url, json=body, auth=("ged", PASSWORD), headers={"Accept": "application/json"}, timeout=60
    )


def test_ged_letters_single_and_batch(vault, clamd, stopped_clamd, caplog):
    """The GED gets the refusal in its answer; the server's log keeps the trace."""
    caplog.set_level("WARNING", logger="ccas.vault.deposit")
    configure(clamd.socket_path)
    answer = ged("@ged-letters", letter("AV-1", data=infected_pdf()))
    assert answer.status_code == 400 and INFECTED_FR in str(answer.json())
    configure(stopped_clamd.socket_path)
    answer = ged("@ged-letters", letter("AV-2"))
    assert answer.status_code == 400 and UNAVAILABLE_FR in str(answer.json())
    configure(clamd.socket_path)
    batch = [letter("AV-3", data=infected_pdf()), letter("AV-4", data=pdf_bytes("propre"))]
    results = ged("@ged-letters/batch", {"letters": batch}).json()["results"]
    assert [result["status"] for result in results] == [400, 201]
    assert INFECTED_FR in str(results[0]["body"])
    assert len(papers(vault)) == 1
    assert sorted(receipt.reference for receipt in receipts.all_receipts()) == ["AV-4"]
    assert f"the antivirus found {FOUND}" in caplog.text
    assert "antivirus unavailable" in caplog.text


def test_drop_folder(vault, clamd, stopped_clamd, tmp_path):
    (tmp_path / "sain.pdf").write_bytes(pdf_bytes("sain"))
    (tmp_path / "virus.pdf").write_bytes(infected_pdf())
    write_manifest(tmp_path, [row("DF-1", "sain.pdf"), row("DF-2", "virus.pdf")])
    configure(clamd.socket_path)
    rows = ged_import.import_folder(tmp_path, "ged")
    assert [line["outcome"] for line in rows] == ["delivered", "refused"] or [
        line["status"] for line in rows
    ] == [201, 400], rows
    assert INFECTED_FR in rows[1]["detail"]
    assert (tmp_path / "error" / "virus.pdf").exists()
    shutil.copy(tmp_path / "done" / "sain.pdf", tmp_path / "encore.pdf")
    write_manifest(tmp_path, [row("DF-3", "encore.pdf")])
    configure(stopped_clamd.socket_path)
    (line,) = ged_import.import_folder(tmp_path, "ged")
    assert line["status"] == 400 and UNAVAILABLE_FR in line["detail"]
    assert len(papers(vault)) == 1


def as_file(data, filename="accord.pdf"):
    return {"filename": filename, "content_type": "application/pdf", "data": b64(data)}


def test_scanned_consent_and_mandate_forms_through_the_api(
    functional_portal, request_factory, clamd, stopped_clamd
):
    make_agent("accueil")
    make_agent("travailleur")
    waiting = open_vault_as("accueil", "jdupont")
    transaction.commit()

    def http(login):
        return request_factory(basic_auth=(login, PASSWORD))

    consent = f"coffres/{waiting.getId()}/@consent"
    configure(clamd.socket_path)
    answer = http("accueil").post(
        consent, json={"method": "paper", "form": as_file(infected_pdf())}
    )
    assert_refused(answer, "infected", INFECTED_FR)
    configure(stopped_clamd.socket_path)
    answer = http("accueil").post(consent, json={"method": "paper", "form": as_file(pdf_bytes())})
    assert_refused(answer, "antivirus_unavailable", UNAVAILABLE_FR)
    vault = fresh(waiting)
    assert api.content.get_state(vault) == "awaiting_consent" and not vault.consents
    assert refusals(vault) == ["infected", "antivirus_unavailable"]

    configure(clamd.socket_path)
    answer = http("accueil").post(consent, json={"method": "paper", "form": as_file(pdf_bytes())})
    assert answer.status_code == 200, answer.text
    item = create_mandate(http, vault)
    body = {"method": "paper", "form": as_file(infected_jpeg(), "mandat.jpg")}
    answer = sign_mandate(http, vault, item["id"], "travailleur", body)
    assert_refused(answer, "infected", INFECTED_FR)
    assert fresh(vault)[item["id"]].person_signature is None
    assert refusals(vault)[-1] == "infected"


def test_the_opening_wizard(functional_portal, clamd, stopped_clamd):
    api.portal.set_registry_record("plone.default_language", "fr")
    make_agent("accueil")
    transaction.commit()
    wizard = Wizard(functional_portal)
    wizard.open()
    configure(clamd.socket_path)
    infected = ("accord.pdf", infected_pdf(), "application/pdf")
    page = wizard.vault_step("consent", {"method": "paper"}, files={"consent_form": infected})
    assert step_of(page) == "consent"
    assert INFECTED_FR in unescaped(wizard_error(page, "consent_form"))
    vault = vault_of_login("lmartin")
    assert api.content.get_state(vault) == "awaiting_consent"
    assert refusals(vault) == ["infected"]
    wizard.consent()
    mandate = {
        "agents:list": "accueil",
        "scopes:list": ["consult", "deposit"],
        "end": "2027-06-30",
        "method": "paper",
        "mandate_password": PERSON_PASSWORD,
    }
    assert step_of(wizard.vault_step("mandate", mandate)) == "mandate-paper"
    page = wizard.vault_step("mandate-paper", files={"mandate_form": infected})
    assert step_of(page) == "mandate-paper"
    assert INFECTED_FR in unescaped(wizard_error(page, "mandate_form"))
    clean = ("mandat.pdf", pdf_bytes("Mandat"), "application/pdf")
    assert step_of(wizard.vault_step("mandate-paper", files={"mandate_form": clean})) == "deposit"
    cni = {"document_type": "cni"}
    page = wizard.vault_step("deposit", cni, files={"file": ("cni.jpg", infected_jpeg())})
    assert page.status_code == 400 and INFECTED_FR in unescaped(wizard_error(page, "file"))
    configure(stopped_clamd.socket_path)
    page = wizard.vault_step("deposit", cni, files={"file": ("cni.jpg", jpeg())})
    assert page.status_code == 400 and UNAVAILABLE_FR in unescaped(wizard_error(page, "file"))
    assert papers(vault) == []
    assert refusals(vault) == ["infected", "infected", "infected", "antivirus_unavailable"]
    configure(clamd.socket_path)
    page = wizard.vault_step("deposit", cni, files={"file": ("cni.jpg", jpeg())})
    assert step_of(page) == "done"
    assert len(papers(vault)) == 1


def test_agent_home_tells_when_the_antivirus_is_down(vault, functional_portal, stopped_clamd):
    url = f"{functional_portal.absolute_url()}/@@accueil-agent"
    configure(stopped_clamd.socket_path)
    page = requests.get(url, auth=("accueil", PASSWORD), timeout=60)
    assert page.status_code == 200
    assert 'id="home-antivirus-down"' in page.text
    configure()
    page = requests.get(url, auth=("accueil", PASSWORD), timeout=60)
    assert 'id="home-antivirus-down"' not in page.text


def test_the_settings_panel_saves_the_antivirus_fields(functional_portal, clamd):
    make_user("archiviste", ["RecordsManager"])
    transaction.commit()
    http = requests.Session()
    http.auth = ("archiviste", PASSWORD)
    answer = post_settings(
        http,
        {
            "form.widgets.clamd_socket": clamd.socket_path,
            "form.widgets.clamd_address": "",
            "form.widgets.clamd_timeout_seconds": "12",
        },
    )
    assert answer.status_code == 200 and "Antivirus" in answer.text
    transaction.begin()
    api.portal.get().REQUEST.other.pop("_plone_registry_cache", None)
    assert antivirus.configured_scanner() == antivirus.Clamd(
        socket_path=clamd.socket_path, timeout=12
    )
    assert antivirus.status() == "ok"
