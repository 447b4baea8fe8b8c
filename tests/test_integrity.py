"""The periodic integrity check: every blob re-read, its hash recomputed, mismatches reported."""

from ccas.vault.api import documents
from ccas.vault.certification import integrity
from contextlib import contextmanager
from vaults import acting_as
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import pdf_bytes
import pytest


@pytest.fixture
def vault(portal):
    make_agent("accueil")
    make_agent("certificateur")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    vault["partage"].manage_setLocalRoles("certificateur", ["VaultDepositor", "VaultCertifier"])
    deposit_as("jdupont", vault["prive"], data=pdf_bytes("privé"))
    shared = deposit_as("jdupont", vault["partage"], data=pdf_bytes("partagé"))
    with acting_as("certificateur"):
        documents.certify(shared)
        documents.replace(shared, data=pdf_bytes("v2"), filename="v2.pdf")
    return vault


def papers(vault):
    return {
        obj.getId(): obj
        for space in ("prive", "partage")
        for obj in vault[space].objectValues()
        if obj.portal_type == "VaultDocument"
    }


def overwrite_blob(document, data):
    """Change the stored bytes behind the vault's back (a bug, an intruder holding the keys).

    The blob is encrypted (decision 0025): ``data`` is written encrypted under the file's
    key; a change to the ciphertext itself is refused (tests/test_encryption.py).
    """
    from ccas.vault.encryption.blobs import encrypt

    with document.file._blob.open("w") as stream:
        stream.write(encrypt(data, document.file.key_id))


def test_an_intact_site_passes(vault, portal):
    report = integrity.check_site(portal)
    assert (report.checked, report.certified, report.problems) == (3, 2, [])
    assert report.bytes_read == sum(p.file.getSize() for p in papers(vault).values())
    assert report.summary.startswith("integrity OK: 3 papers (2 certified), ")
    assert report.summary.endswith(" 0 mismatches")


def test_a_changed_byte_is_reported(vault, portal):
    private = vault["prive"].objectValues()[0]
    data = bytearray(private.file.data)
    data[10] ^= 0x01
    overwrite_blob(private, bytes(data))
    report = integrity.check_site(portal)
    [(path, problem)] = report.problems
    assert path == "/".join(private.getPhysicalPath())
    assert problem.startswith("sha256 ") and "!= recorded" in problem


def test_a_changed_certified_paper_fails_against_its_seal_too(vault, portal):
    certified = next(p for p in papers(vault).values() if p.certification)
    overwrite_blob(certified, pdf_bytes("forgé"))
    problems = [problem for _, problem in integrity.check_site(portal).problems]
    assert any("!= recorded" in problem for problem in problems)
    assert any("!= sealed" in problem for problem in problems)


def test_a_forged_seal_is_reported(vault, portal):
    certified = next(p for p in papers(vault).values() if p.certification)
    certified.certification["payload"] = certified.certification["payload"].replace(
        "Certificateur", "Directeur"
    )
    problems = [problem for _, problem in integrity.check_site(portal).problems]
    assert problems == ["seal bad_signature"]


@pytest.fixture
def script(app, monkeypatch, capsys):
    @contextmanager
    def opened(zope_conf):
        yield app

    monkeypatch.setattr(integrity, "_opened", opened)

    def run(*args):
        code = integrity.main(["zope.conf", "--site", "plone", *args])
        return code, capsys.readouterr()

    return run


def test_the_script_prints_one_summary_line_and_exits_0(vault, script):
    code, output = script()
    assert code == 0
    [line] = output.out.splitlines()
    assert line.startswith("integrity OK: 3 papers (2 certified)")


def test_the_script_lists_mismatches_and_exits_1(vault, script):
    private = vault["prive"].objectValues()[0]
    overwrite_blob(private, b"%PDF-1.4 replaced")
    code, output = script()
    assert code == 1
    lines = output.out.splitlines()
    assert lines[0].startswith(f"MISMATCH {'/'.join(private.getPhysicalPath())}: sha256 ")
    assert lines[-1].startswith("integrity MISMATCH: 3 papers") and lines[-1].endswith(
        " 1 mismatches"
    )


def test_the_script_refuses_a_missing_path(vault, script):
    code, output = script("--path", "/plone/nowhere")
    assert code == 2
    assert "not found" in output.err
