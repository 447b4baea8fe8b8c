"""Partners' drop folders (issue 23 part 4, decision 0055): PDFs and a manifest in one folder
per partner, delivered once as papers of origin ``partner`` naming the partner, through the
GED letters' machinery (validation, receipts, parking) and the connectors' framework.

In-process tests against the functional layer; ``test_real_instance_partner_drop.py`` runs
the console script and the server of a built instance.
"""

from ccas.vault import roles
from ccas.vault.check import check_site
from ccas.vault.connectors import consent
from ccas.vault.connectors import settings as connector_settings
from ccas.vault.connectors.interfaces import IPushConnector
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.history import api as history
from ccas.vault.letters import parking
from ccas.vault.letters import persons
from ccas.vault.letters import receipts
from ccas.vault.letters.delivery import receive_letter
from ccas.vault.organisations import add_organisation
from ccas.vault.organisations import set_enabled
from ccas.vault.partners import CONNECTOR
from ccas.vault.partners import source as partner_source
from ccas.vault.scripts import partner_import
from contextlib import contextmanager
from plone import api
from test_ged_letters import letter as ged_letter
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
from zope.interface.verify import verifyObject
import csv
import pytest
import re
import requests
import shutil
import transaction


HEADER = ["reference", "vault", "ged_person_id", "document_type", "title", "issued",
          "valid_until", "filename"]  # fmt: skip


def write_manifest(folder, rows, header=HEADER):
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def row(reference, filename, ged_person_id="GED-42", vault="", **changes):
    values = {
        "reference": reference,
        "vault": vault,
        "ged_person_id": ged_person_id,
        "document_type": "attestation-caf",
        "title": "Attestation de paiement",
        "issued": "2026-11-20",
        "valid_until": "",
        "filename": filename,
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def read_report(folder):
    (path,) = sorted(folder.glob("report-*.csv"))[-1:]
    with path.open(newline="", encoding="utf-8") as report:
        return list(csv.DictReader(report))


def shared_papers(portal, vault_id):
    transaction.begin()
    space = portal["coffres"][vault_id][SHARED_SPACE_ID]
    return [d for d in space.objectValues() if getattr(d, "origin", None) == "partner"]


@pytest.fixture
def partner_vault(functional_portal):
    """An open vault (GED id GED-42) whose owner consented to the partners' papers;
    the connector switched on."""
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"]))
    connector_settings.set_enabled(CONNECTOR, True)
    with api.env.adopt_user(username="jdupont"):
        consent.give(vault, connector_settings.get_connector(CONNECTOR), {})
    transaction.commit()
    return vault


@pytest.fixture
def script_app(functional_app, monkeypatch):
    @contextmanager
    def fake_opened_app(zope_conf):
        yield functional_app

    monkeypatch.setattr(partner_import, "_opened_app", fake_opened_app)


def run_script(root):
    return partner_import.main([str(root), "--site", "plone"])


def test_the_connector_is_listed_as_a_push_connector(functional_portal):
    names = [name for name, _c in connector_settings.connectors()]
    assert CONNECTOR in names
    connector = connector_settings.get_connector(CONNECTOR)
    assert verifyObject(IPushConnector, connector)
    assert connector.kind == "push" and connector.needs_consent
    assert "attestation-caf" in connector.document_types
    assert not connector_settings.is_enabled(CONNECTOR)  # off until the records manager says


def test_a_partner_paper_is_delivered_once_naming_the_partner(
    functional_portal, partner_vault, script_app, tmp_path
):
    caf = tmp_path / "caf"
    (caf / "a.pdf").parent.mkdir()
    (caf / "a.pdf").write_bytes(pdf_bytes("CAF A"))
    write_manifest(caf, [row("CAF-2026-1", "a.pdf")])
    assert run_script(tmp_path) == 0
    (line,) = read_report(caf)
    assert (line["reference"], line["outcome"], line["status"]) == (
        "CAF-2026-1",
        "delivered",
        "201",
    )
    assert (caf / "done" / "a.pdf").exists() and not (caf / "a.pdf").exists()

    (paper,) = shared_papers(functional_portal, partner_vault.getId())
    assert paper.origin == "partner"
    assert paper.connector_info["source"] == "CAF"
    assert paper.connector_info["connector"] == CONNECTOR
    assert paper.document_type == "attestation-caf"
    assert paper.certification and "CAF" in paper.certification["by_fullname"]
    (entry,) = [e for e in history.entries(partner_vault) if e.action == "connector_delivery"]
    assert entry.details["source"] == "CAF" and entry.details["partner"] == "caf"
    assert entry.details["partner_reference"] == "CAF-2026-1"
    receipt = receipts.get_receipt("partner~caf~CAF-2026-1")
    assert receipt.status == "delivered" and receipt.source == "partner:caf"
    assert receipt.document_uid == paper.UID()

    # The same manifest and PDF dropped again: nothing delivered twice.
    shutil.copy(caf / "done" / "a.pdf", caf / "a.pdf")
    assert run_script(tmp_path) == 0
    assert [r["outcome"] for r in read_report(caf)] == ["duplicate"]
    # And once more, the file already in done/.
    assert run_script(tmp_path) == 0
    assert [r["outcome"] for r in read_report(caf)] == ["already_done"]
    assert len(shared_papers(functional_portal, partner_vault.getId())) == 1
    deliveries = [e for e in history.entries(partner_vault) if e.action == "connector_delivery"]
    assert len(deliveries) == 1
    assert not check_site(functional_portal).problems


def test_a_reference_is_unique_per_partner_not_across_partners(
    functional_portal, partner_vault, script_app, tmp_path
):
    add_organisation("departement", title="Département du Nord", kind="departement")
    transaction.commit()
    for partner in ("caf", "departement"):
        (tmp_path / partner).mkdir()
        (tmp_path / partner / "x.pdf").write_bytes(pdf_bytes(partner))
        write_manifest(tmp_path / partner, [row("REF-1", "x.pdf")])
    assert run_script(tmp_path) == 0
    sources = sorted(
        p.connector_info["source"] for p in shared_papers(functional_portal, partner_vault.getId())
    )
    assert sources == ["CAF", "Département du Nord"]
    # A GED letter of the same reference is another letter still.
    assert receipts.get_receipt("REF-1") is None


def test_partners_letters_of_one_type_stand_side_by_side(
    functional_portal, partner_vault, script_app, tmp_path
):
    """A partner's letter is no refresh: neither another partner's letter of the same type
    nor its own second one supersedes the first (only a pull connector's refresh does)."""
    add_organisation("departement", title="Département du Nord", kind="departement")
    transaction.commit()
    (tmp_path / "caf").mkdir()
    (tmp_path / "caf" / "a.pdf").write_bytes(pdf_bytes("CAF A"))
    (tmp_path / "caf" / "b.pdf").write_bytes(pdf_bytes("CAF B"))
    write_manifest(tmp_path / "caf", [row("CAF-1", "a.pdf"), row("CAF-2", "b.pdf")])
    (tmp_path / "departement").mkdir()
    (tmp_path / "departement" / "c.pdf").write_bytes(pdf_bytes("Departement C"))
    write_manifest(tmp_path / "departement", [row("DEP-1", "c.pdf")])
    assert run_script(tmp_path) == 0
    papers = shared_papers(functional_portal, partner_vault.getId())
    assert len(papers) == 3
    assert {api.content.get_state(p) for p in papers} == {"certified"}
    assert not [e for e in history.entries(partner_vault) if e.action == "replace"]


def test_bad_input_is_reported_in_french_and_nothing_is_lost(
    functional_portal, partner_vault, script_app, tmp_path
):
    caf = tmp_path / "caf"
    caf.mkdir()
    files = {
        "ok.pdf": pdf_bytes("OK"),
        "inconnu.pdf": pdf_bytes("Inconnu"),
        "casse.pdf": b"%PDF-1.4 broken",
        "image.pdf": b"\x89PNG\r\n\x1a\n not a pdf",
        "type.pdf": pdf_bytes("Type"),
        "sante.pdf": pdf_bytes("Sante"),
        "titre.pdf": pdf_bytes("Titre"),
        "autre.pdf": pdf_bytes("Autres octets"),
    }
    for name, data in files.items():
        (caf / name).write_bytes(data)
    write_manifest(
        caf,
        [
            row("R-OK", "ok.pdf"),
            row("R-UNKNOWN", "inconnu.pdf", ged_person_id="PERSONNE"),
            row("R-BROKEN", "casse.pdf"),
            row("R-IMAGE", "image.pdf"),
            row("R-TYPE", "type.pdf", document_type="passeport-martien"),
            row("R-HEALTH", "sante.pdf", document_type="document-sante"),
            row("R-TITLE", "titre.pdf", title=""),
            row("R-OK", "autre.pdf"),  # the same reference, other bytes
            row("R-MISSING", "absent.pdf"),
            row("", "ok.pdf"),
        ],
    )
    assert run_script(tmp_path) == 1
    lines = {(r["reference"], r["filename"]): r for r in read_report(caf)}
    outcome = {key: (r["outcome"], r["detail"]) for key, r in lines.items()}
    assert outcome[("R-OK", "ok.pdf")][0] == "delivered"
    assert outcome[("R-UNKNOWN", "inconnu.pdf")] == (
        "parked",
        "Aucun coffre-fort ne correspond à cette personne. (unknown_person)",
    )
    assert outcome[("R-BROKEN", "casse.pdf")][0] == "invalid"
    assert "fichier" in outcome[("R-BROKEN", "casse.pdf")][1]
    assert outcome[("R-IMAGE", "image.pdf")] == (
        "invalid",
        "fichier : ce fichier n'est pas un PDF.",
    )
    assert outcome[("R-TYPE", "type.pdf")] == (
        "invalid",
        "document_type: Ce type de papier n'existe pas.",
    )
    assert outcome[("R-HEALTH", "sante.pdf")][0] == "invalid"
    assert outcome[("R-TITLE", "titre.pdf")] == (
        "invalid",
        "title: Cette information est obligatoire.",
    )
    assert outcome[("R-OK", "autre.pdf")] == (
        "conflict",
        "Cette référence GED a déjà été reçue avec un autre fichier.",
    )
    assert outcome[("R-MISSING", "absent.pdf")][0] == "missing_file"
    assert outcome[("", "ok.pdf")][0] == "already_done"
    # Nothing lost: every file is in done/ or error/, the unknown person's paper is parked.
    assert sorted(p.name for p in (caf / "done").iterdir()) == ["inconnu.pdf", "ok.pdf"]
    assert sorted(p.name for p in (caf / "error").iterdir()) == [
        "autre.pdf", "casse.pdf", "image.pdf", "sante.pdf", "titre.pdf", "type.pdf"]  # fmt: skip
    parked = parking.get_parked("partner~caf~R-UNKNOWN")
    assert parked.source == "partner:caf" and parked.reason == persons.UNKNOWN_PERSON
    assert len(shared_papers(functional_portal, partner_vault.getId())) == 1


def test_a_missing_column_or_an_unknown_partner_touches_no_file(
    functional_portal, partner_vault, script_app, tmp_path
):
    add_organisation("asso-secours", title="Secours de Démoville", kind="association")
    set_enabled("asso-secours", False)
    transaction.commit()
    columns = [h for h in HEADER if h != "document_type"]
    folders = {
        "caf": (columns, [["C-1", "", "GED-42", "Titre", "2026-11-20", "", "a.pdf"]]),
        "inconnu": (HEADER, [row("I-1", "a.pdf")]),
        "ccas": (HEADER, [row("G-1", "a.pdf")]),
        "asso-secours": (HEADER, [row("S-1", "a.pdf")]),
    }
    for name, (header, rows) in folders.items():
        write_manifest(tmp_path / name, rows, header)
        (tmp_path / name / "a.pdf").write_bytes(pdf_bytes(name))
    assert run_script(tmp_path) == 1
    details = {name: read_report(tmp_path / name)[0]["detail"] for name in folders}
    assert details["caf"] == "manifest.csv : il manque les colonnes document_type."
    assert "aucun organisme partenaire n'a cet identifiant" in details["inconnu"]
    assert "le CCAS dépose ses courriers par la GED" in details["ccas"]
    assert "est désactivé" in details["asso-secours"]
    for name in folders:
        assert (tmp_path / name / "a.pdf").exists()
        assert not (tmp_path / name / "done").exists()
        assert not (tmp_path / name / "error").exists()
    assert shared_papers(functional_portal, partner_vault.getId()) == []


def test_only_the_partners_the_records_manager_allowed(
    functional_portal, partner_vault, script_app, tmp_path
):
    connector_settings.set_settings(CONNECTOR, {"partners": "departement"})
    transaction.commit()
    write_manifest(tmp_path / "caf", [row("C-1", "a.pdf")])
    (tmp_path / "caf" / "a.pdf").write_bytes(pdf_bytes("C"))
    assert run_script(tmp_path) == 1
    assert "n'est pas parmi les partenaires autorisés" in read_report(tmp_path / "caf")[0]["detail"]
    assert (tmp_path / "caf" / "a.pdf").exists()


def test_nothing_runs_while_the_connector_is_off(
    functional_portal, partner_vault, script_app, tmp_path, capsys
):
    connector_settings.set_enabled(CONNECTOR, False)
    transaction.commit()
    write_manifest(tmp_path / "caf", [row("C-1", "a.pdf")])
    (tmp_path / "caf" / "a.pdf").write_bytes(pdf_bytes("C"))
    assert run_script(tmp_path) == 1
    assert "n'est pas activé" in capsys.readouterr().err
    assert (tmp_path / "caf" / "a.pdf").exists()
    assert not list((tmp_path / "caf").glob("report-*.csv"))


def test_without_consent_the_paper_waits_and_is_delivered_on_consent(
    functional_portal, script_app, tmp_path
):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "mlefort", ged_person_ids=["GED-7"]))
    connector_settings.set_enabled(CONNECTOR, True)
    transaction.commit()
    write_manifest(tmp_path / "caf", [row("C-7", "a.pdf", ged_person_id="GED-7")])
    (tmp_path / "caf" / "a.pdf").write_bytes(pdf_bytes("C7"))
    assert run_script(tmp_path) == 0
    (line,) = read_report(tmp_path / "caf")
    assert line["outcome"] == "parked"
    assert line["detail"].startswith("La personne n'a pas accepté de recevoir les papiers")
    assert shared_papers(functional_portal, vault.getId()) == []
    # The CCAS's agents see it waiting, with its source.
    with api.env.adopt_user(username="accueil"):
        (item,) = parking.list_parked()
    assert item["source"] == "partner:caf" and item["reason"] == "no_connector_consent"

    transaction.begin()
    vault = functional_portal["coffres"][vault.getId()]
    with api.env.adopt_user(username="mlefort"):
        consent.give(vault, connector_settings.get_connector(CONNECTOR), {})
    transaction.commit()
    (paper,) = shared_papers(functional_portal, vault.getId())
    assert paper.connector_info["source"] == "CAF"
    assert parking.get_parked("partner~caf~C-7") is None
    assert receipts.get_receipt("partner~caf~C-7").status == "delivered"


def test_a_failure_mid_import_stores_nothing_of_that_line(
    functional_portal, partner_vault, script_app, tmp_path, monkeypatch
):
    caf = tmp_path / "caf"
    caf.mkdir()
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        (caf / name).write_bytes(pdf_bytes(name))
    write_manifest(caf, [row("F-1", "a.pdf"), row("F-2", "b.pdf"), row("F-3", "c.pdf")])
    calls = []
    notify = partner_source.notify_person

    def failing_notify(vault, key):  # after the paper was deposited and sealed
        calls.append(key)
        if len(calls) == 2:
            raise OSError("the mail queue's disk failed")
        return notify(vault, key)

    monkeypatch.setattr(partner_source, "notify_person", failing_notify)
    catalog_before = len(api.content.find(portal_type="VaultDocument", unrestricted=True))
    assert run_script(tmp_path) == 1
    lines = read_report(caf)
    assert [r["outcome"] for r in lines] == ["delivered", "failed", "delivered"]
    assert "rien n'a été enregistré" in lines[1]["detail"]
    assert (caf / "b.pdf").exists()  # kept for the next run
    transaction.begin()
    assert receipts.get_receipt("partner~caf~F-2") is None
    papers = shared_papers(functional_portal, partner_vault.getId())
    assert sorted(p.connector_info["reference"] for p in papers) == [
        "partner~caf~F-1", "partner~caf~F-3"]  # fmt: skip
    assert len(api.content.find(portal_type="VaultDocument", unrestricted=True)) == (
        catalog_before + 2
    )
    vault = functional_portal["coffres"][partner_vault.getId()]
    refs = [e.details.get("partner_reference") for e in history.entries(vault)]
    assert "F-2" not in refs
    assert not check_site(functional_portal).problems

    monkeypatch.setattr(partner_source, "notify_person", notify)
    assert run_script(tmp_path) == 0
    assert [r["outcome"] for r in read_report(caf)] == ["already_done", "delivered", "already_done"]
    assert len(shared_papers(functional_portal, partner_vault.getId())) == 3
    assert not check_site(functional_portal).problems


def test_ged_letters_and_partner_papers_do_not_share_references(functional_portal, partner_vault):
    transaction.begin()
    letter = {
        "ged_reference": "SAME-1",
        "person": {"ged_person_id": "GED-42"},
        "document_type": "attestation-caf",
        "title": "Courrier",
        "issued": "2026-11-20",
        "file": pdf_bytes("GED"),
        "filename": "g.pdf",
    }
    assert receive_letter(letter, "ged").status_code in (201, 202)
    partner = dict(letter, file=pdf_bytes("Partner"))
    assert (
        receive_letter(partner, "connecteur:partner-drop-folder", "partner:caf").status_code == 201
    )
    assert receipts.get_receipt("SAME-1").source == "ged"
    assert receipts.get_receipt("partner~caf~SAME-1").source == "partner:caf"
    transaction.abort()


def test_mes_papiers_and_the_history_name_the_partner(
    functional_portal, partner_vault, script_app, tmp_path
):
    api.portal.set_registry_record("plone.available_languages", ["fr", "en"])
    api.portal.set_registry_record("plone.default_language", "fr")
    transaction.commit()
    (tmp_path / "caf").mkdir()
    (tmp_path / "caf" / "a.pdf").write_bytes(pdf_bytes("QF"))
    write_manifest(tmp_path / "caf", [row("CAF-9", "a.pdf", title="Attestation de paiement")])
    assert run_script(tmp_path) == 0
    (paper,) = shared_papers(functional_portal, partner_vault.getId())

    def page(path):
        answer = requests.get(
            f"{functional_portal.absolute_url()}/mon-coffre/{path}",
            auth=("jdupont", PASSWORD),
            timeout=60,
        )
        assert answer.status_code == 200, path
        return answer.text

    assert "Partenaire : CAF" in page("papiers")
    one = page(f"papier/{paper.UID()}")
    assert "Partenaire : CAF" in one
    assert "CAF, via" in one  # the seal names the partner
    assert "CAF, partenaire du CCAS, vous a envoyé" in page("historique")


def test_the_person_agrees_in_the_skin_and_the_waiting_paper_arrives(
    functional_portal, script_app, tmp_path
):
    api.portal.set_registry_record("plone.available_languages", ["fr", "en"])
    api.portal.set_registry_record("plone.default_language", "fr")
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "mlefort", ged_person_ids=["GED-8"]))
    connector_settings.set_enabled(CONNECTOR, True)
    transaction.commit()
    write_manifest(tmp_path / "caf", [row("C-8", "a.pdf", ged_person_id="GED-8")])
    (tmp_path / "caf" / "a.pdf").write_bytes(pdf_bytes("C8"))
    assert run_script(tmp_path) == 0
    assert read_report(tmp_path / "caf")[0]["outcome"] == "parked"

    session = requests.Session()
    session.auth = ("mlefort", PASSWORD)
    url = f"{functional_portal.absolute_url()}/mon-coffre/connecteurs"
    assert "connecteurs" in session.get(url.replace("connecteurs", "ajouter"), timeout=60).text
    page = session.get(url, timeout=60)
    assert page.status_code == 200
    assert "Papiers déposés par les partenaires" in page.text
    assert "le CCAS demande vos attestations, notifications et décisions à ses partenaires" in (
        page.text
    )
    assert f'id="fetch-{CONNECTOR}"' not in page.text  # nobody asks a push connector
    token = re.search(r'name="_authenticator" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        url, data={"_authenticator": token, "connector": CONNECTOR, "consent": "1"}, timeout=60
    )
    assert answer.status_code == 200 and "Vous avez donné votre accord" in answer.text
    (paper,) = shared_papers(functional_portal, vault.getId())
    assert paper.connector_info["source"] == "CAF"
    assert receipts.get_receipt("partner~caf~C-8").status == "delivered"


def test_the_ged_can_neither_read_nor_take_a_partner_reference(
    functional_portal, partner_vault, script_app, tmp_path, request_factory
):
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    transaction.commit()
    (tmp_path / "caf").mkdir()
    (tmp_path / "caf" / "a.pdf").write_bytes(pdf_bytes("X"))
    write_manifest(tmp_path / "caf", [row("X-1", "a.pdf")])
    assert run_script(tmp_path) == 0
    ged = request_factory(basic_auth=("ged", PASSWORD))
    status = ged.get("@ged-letters/partner~caf~X-1")
    assert status.status_code == 404 and status.json()["error"]["type"] == "unknown_letter"
    taken = ged.post("@ged-letters", json=ged_letter("partner~caf~X-1"))
    assert taken.status_code == 400 and "ged_reference" in taken.json()["error"]["fields"]
    own = ged.post("@ged-letters", json=ged_letter("X-1"))  # the GED's own X-1: another letter
    assert own.status_code in (201, 202), own.text
    transaction.begin()
    assert receipts.get_receipt("partner~caf~X-1").source == "partner:caf"
    assert receipts.get_receipt("X-1").source == "ged"


def test_once_the_person_withdraws_her_agreement_papers_wait_again(
    functional_portal, partner_vault, script_app, tmp_path
):
    transaction.begin()
    vault = functional_portal["coffres"][partner_vault.getId()]
    with api.env.adopt_user(username="jdupont"):
        assert consent.revoke(vault, CONNECTOR)
    transaction.commit()
    (tmp_path / "caf").mkdir()
    (tmp_path / "caf" / "a.pdf").write_bytes(pdf_bytes("Après"))
    write_manifest(tmp_path / "caf", [row("AFTER-1", "a.pdf")])
    assert run_script(tmp_path) == 0
    (line,) = read_report(tmp_path / "caf")
    assert (line["outcome"], line["detail"].split(" (")[-1]) == (
        "parked",
        "no_connector_consent)",
    )
    assert shared_papers(functional_portal, partner_vault.getId()) == []
