"""``ccas-vault-ged-import``: a drop folder of PDFs and a manifest, the same semantics as the API.

``main()`` runs against the functional layer; a slow test runs the installed
console script in a subprocess on a real instance, including a re-run after a
crash between a commit and the file's move.
"""

from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.letters import parking
from ccas.vault.letters import receipts
from ccas.vault.scripts import ged_import
from contextlib import contextmanager
from servers import BIN
from servers import run
from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
from vaults import pdf_bytes
import csv
import pytest
import shutil
import subprocess
import sys
import transaction


HEADER = [
    "ged_reference",
    "vault",
    "ged_person_id",
    "document_type",
    "title",
    "issued",
    "valid_until",
    "filename",
]


def write_manifest(folder, rows):
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)


def row(reference, filename, ged_person_id="GED-42", vault="", **changes):
    values = {
        "ged_reference": reference,
        "vault": vault,
        "ged_person_id": ged_person_id,
        "document_type": "attestation-domiciliation",
        "title": "Attestation de domiciliation",
        "issued": "2026-11-20",
        "valid_until": "",
        "filename": filename,
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def read_report(path):
    with open(path, newline="", encoding="utf-8") as report:
        return list(csv.DictReader(report))


@pytest.fixture
def drop(tmp_path):
    (tmp_path / "a.pdf").write_bytes(pdf_bytes("A"))
    (tmp_path / "b.pdf").write_bytes(pdf_bytes("B"))
    (tmp_path / "c.pdf").write_bytes(b"MZ\x90 not a pdf")
    (tmp_path / "d.pdf").write_bytes(pdf_bytes("D"))
    (tmp_path / "e.pdf").write_bytes(pdf_bytes("E"))
    write_manifest(
        tmp_path,
        [
            row("IMP-1", "a.pdf"),
            row("IMP-2", "b.pdf", ged_person_id="INCONNU"),
            row("IMP-3", "c.pdf"),
            row("IMP-4", "d.pdf", title=""),
            row("IMP-5", "absent.pdf"),
            row("IMP-6", "../etc/passwd"),
            row("IMP-1", "e.pdf"),  # same reference, other bytes
        ],
    )
    return tmp_path


@pytest.fixture
def script_app(functional_app, monkeypatch):
    @contextmanager
    def fake_opened_app(zope_conf):
        yield functional_app

    monkeypatch.setattr(ged_import, "_opened_app", fake_opened_app)


@pytest.fixture
def committed_vault(functional_portal):
    make_agent("accueil")
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True)
    )
    transaction.commit()
    return vault


def test_main_imports_moves_and_reports(
    functional_portal, committed_vault, script_app, drop, capsys
):
    status = ged_import.main([str(drop), "--site", "plone", "--zope-conf", "/srv/zope.conf"])
    out = capsys.readouterr().out
    assert status == 1  # some letters went to error/
    assert "1 delivered" in out and "1 parked" in out
    (report,) = drop.glob("report-*.csv")
    rows = read_report(report)
    assert [(r["ged_reference"], r["outcome"], r["status"]) for r in rows] == [
        ("IMP-1", "delivered", "201"),
        ("IMP-2", "parked", "202"),
        ("IMP-3", "invalid", "400"),
        ("IMP-4", "invalid", "400"),
        ("IMP-5", "missing_file", "400"),
        ("IMP-6", "invalid", "400"),
        ("IMP-1", "conflict", "409"),
    ]
    assert "titre" in rows[3]["detail"].lower() or "obligatoire" in rows[3]["detail"]
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["a.pdf", "b.pdf"]
    assert sorted(p.name for p in (drop / "error").iterdir()) == ["c.pdf", "d.pdf", "e.pdf"]
    transaction.begin()
    vault = functional_portal["coffres"][committed_vault.getId()]
    (document,) = vault["partage"][CCAS_MAIL_FOLDER_ID].objectValues()
    assert document.deposited_by == "ged-import"
    assert receipts.get_receipt("IMP-1").status == "delivered"
    assert parking.get_parked("IMP-2") is not None

    # Running again: done files are skipped, nothing is delivered twice.
    assert ged_import.main([str(drop), "--site", "plone"]) == 1
    reports = sorted(drop.glob("report-*.csv"))
    second = read_report(reports[-1])
    assert [r["outcome"] for r in second[:2]] == ["already_done", "already_done"]
    transaction.begin()
    assert len(vault["partage"][CCAS_MAIL_FOLDER_ID].objectIds()) == 1


def test_a_file_committed_but_not_moved_is_a_duplicate(
    functional_portal, committed_vault, script_app, drop
):
    ged_import.main([str(drop), "--site", "plone"])
    # the state a crash between the commit and the move leaves
    shutil.copy(drop / "done" / "a.pdf", drop / "a.pdf")
    ged_import.main([str(drop), "--site", "plone"])
    rows = read_report(sorted(drop.glob("report-*.csv"))[-1])
    assert (rows[0]["outcome"], rows[0]["status"]) == ("duplicate", "200")
    assert not (drop / "a.pdf").exists()
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["a.2.pdf", "a.pdf", "b.pdf"]
    transaction.begin()
    vault = functional_portal["coffres"][committed_vault.getId()]
    assert len(vault["partage"][CCAS_MAIL_FOLDER_ID].objectIds()) == 1


def test_a_manifest_without_the_needed_columns_is_refused(functional_portal, script_app, tmp_path):
    (tmp_path / "manifest.csv").write_text("ged_reference,filename\nX,a.pdf\n")
    with pytest.raises(SystemExit):
        ged_import.main([str(tmp_path), "--site", "plone"])
    assert not list(tmp_path.glob("report-*.csv"))


def test_no_manifest(tmp_path):
    with pytest.raises(SystemExit):
        ged_import.main([str(tmp_path)])


# --- the console script on a real instance ----------------------------------------

SETUP_VAULT = """
from ccas.vault.scripts import instance
from zope.component.hooks import setSite
from plone import api
import sys, transaction
app = instance._open_app(sys.argv[1])
setSite(app["ccas"])
from ccas.vault import roles
from ccas.vault.accounts import ensure_account, ensure_group
from ccas.vault.api import vaults
from datetime import date
ensure_group("ccas-agents", "Agents", [roles.VAULT_AGENT])
ensure_account("accueil", "Mot-de-passe-long-1", "Accueil", groups=["ccas-agents"])
with api.env.adopt_user(username="accueil"):
    vault = vaults.open_vault(first_name="Jean", last_name="Dupont", birth_date=date(1980, 5, 17),
        login="jdupont", password="Mot-de-passe-long-1", ged_person_ids=["GED-42"],
        receive_ccas_letters=True)
with api.env.adopt_user(username="jdupont"):
    vaults.record_consent(vault, method="electronic")
transaction.commit()
print(vault.getId())
"""

COUNT = """
from ccas.vault.scripts import instance
from zope.component.hooks import setSite
import sys
app = instance._open_app(sys.argv[1])
site = app["ccas"]
setSite(site)
vault = site["coffres"][sys.argv[2]]
folder = vault["partage"].get("courrier-du-ccas")
print(len(folder.objectIds()) if folder is not None else 0)
"""


@pytest.mark.slow
def test_the_console_script_on_a_real_instance(tmp_path_factory):
    home = tmp_path_factory.mktemp("instance")
    tool = str(BIN / "ccas-vault-instance")
    run(tool, "init", str(home), "--data", str(home / "filestorage"))
    run(tool, "site", str(home))
    conf = str(home / "etc" / "zope.conf")
    vault_id = run(sys.executable, "-c", SETUP_VAULT, conf).stdout.strip().splitlines()[-1]

    drop = tmp_path_factory.mktemp("depot")
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        (drop / name).write_bytes(pdf_bytes(name))
    write_manifest(
        drop,
        [
            row("REAL-1", "a.pdf"),
            row("REAL-2", "b.pdf", ged_person_id="", vault=vault_id),
            row("REAL-3", "c.pdf", ged_person_id="INCONNU"),
        ],
    )
    script = str(BIN / "ccas-vault-ged-import")
    first = run(script, str(drop), "--zope-conf", conf)
    assert "2 delivered, 1 parked" in first.stdout
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["a.pdf", "b.pdf", "c.pdf"]
    assert run(sys.executable, "-c", COUNT, conf, vault_id).stdout.strip() == "2"

    # A crash after the commit of REAL-1 and before its move: the file is still there.
    shutil.copy(drop / "done" / "a.pdf", drop / "a.pdf")
    again = run(script, str(drop), "--zope-conf", conf)
    assert "1 duplicate" in again.stdout and "2 already_done" in again.stdout
    assert not (drop / "a.pdf").exists()
    assert run(sys.executable, "-c", COUNT, conf, vault_id).stdout.strip() == "2"
    reports = sorted(drop.glob("report-*.csv"))
    assert len(reports) == 2
    assert [r["outcome"] for r in read_report(reports[-1])] == [
        "duplicate",
        "already_done",
        "already_done",
    ]

    # A broken file goes to error/ with exit status 1.
    (drop / "d.pdf").write_bytes(b"%PDF-1.4 broken")
    write_manifest(drop, [row("REAL-4", "d.pdf")])
    failed = subprocess.run(
        [script, str(drop), "--zope-conf", conf], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert (drop / "error" / "d.pdf").exists()
