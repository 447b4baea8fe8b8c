"""Encryption at rest: a stolen Data.fs, blob directory or backup reveals no paper.

Every stored file (papers, consent and mandate forms, parked GED letters) is
AES-256-GCM ciphertext under its vault's data key; the data keys are wrapped
by a master key kept outside the ZODB.  The checks read the raw bytes: the
blob files, a real ``Data.fs`` with its blob directory, a ``.zexp`` backup.
"""

from ccas.vault.api import closing
from ccas.vault.api import mandates
from ccas.vault.api import vaults
from ccas.vault.api.vaults import vault_directory
from ccas.vault.certification.integrity import blob_sha256
from ccas.vault.certification.integrity import check_document
from ccas.vault.certification.verification import verify_bytes
from ccas.vault.encryption import keys
from ccas.vault.encryption import migrate
from ccas.vault.encryption.blobs import decrypt
from ccas.vault.encryption.blobs import EncryptedBlobFile
from ccas.vault.encryption.errors import DataKeyMissing
from ccas.vault.encryption.errors import MasterKeyMissing
from ccas.vault.encryption.errors import Undecipherable
from ccas.vault.export import build_export
from ccas.vault.letters import parking
from ccas.vault.letters.delivery import receive_letter
from ccas.vault.security import as_system
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from datetime import datetime
from datetime import timedelta
from io import BytesIO
from plone import api
from plone.namedfile.file import NamedBlobFile
from pypdf import PdfReader
from test_ged_letters import letter
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import END
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
from vaults import START
import base64
import hashlib
import logging
import pytest
import requests
import transaction
import zipfile


MARKER = "SECRETMARKER7f3a9c"


def jpeg_bytes(color=(200, 30, 30)):
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def fill(portal):
    """A vault with a PDF paper, a photo, a paper consent form, a mandate signed on paper,
    and a parked GED letter; return ``(vault, {name: plaintext bytes})``."""
    make_agent("accueil")
    make_agent("travailleur")
    vault = open_vault_as("accueil", "jdupont")
    with acting_as("accueil"):
        vaults.record_consent(
            vault,
            method="paper",
            form=NamedBlobFile(pdf_bytes(f"{MARKER}consent"), "application/pdf", "accord.pdf"),
        )
    with acting_as("jdupont"):
        mandate = mandates.create_mandate(
            vault, agents=("travailleur",), scopes=("consult",), start=START, end=END
        )
        mandates.submit(mandate)
    with acting_as("travailleur"):
        mandates.sign_as_person(
            mandate,
            method="paper",
            form=NamedBlobFile(pdf_bytes(f"{MARKER}mandate"), "application/pdf", "mandat.pdf"),
        )
    pdf = deposit_as("jdupont", vault["prive"], data=pdf_bytes(f"{MARKER}paper"))
    photo = deposit_as(
        "jdupont", vault["partage"], document_type="cni", data=jpeg_bytes(), filename="cni.jpg"
    )
    unknown = {"ged_person_id": "GED-99"}  # nobody yet: the letter is parked
    receive_letter(letter("GED-9", data=pdf_bytes(f"{MARKER}letter"), person=unknown), "ged")
    parked = parking.get_parked("GED-9")
    files = {
        "paper": pdf.file,
        "photo": photo.file,
        "consent": vault.consents[-1]["form"],
        "mandate": mandate.person_signature["form"],
        "letter": parked.file,
    }
    return vault, files


# -- what is stored ------------------------------------------------------------------


def test_every_stored_file_is_ciphertext_and_reads_back_as_the_original(portal):
    vault, files = fill(portal)
    for name, file in files.items():
        assert isinstance(file, EncryptedBlobFile), name
        plain = file.data
        raw = file.raw()
        if name != "photo":
            assert MARKER.encode() in plain, name  # the marker is in what the app returns…
            assert MARKER.encode() not in raw, name  # …and not in what is stored
        assert plain not in raw and plain[:64] not in raw
        assert raw.startswith(b"CCASENC1")
        assert file.getSize() == len(plain)
        assert file.open().read() == plain
        assert blob_sha256(file) == hashlib.sha256(plain).hexdigest()
    key_id = keys.vault_key_id(vault)
    assert {files[n].key_id for n in ("paper", "photo", "consent", "mandate")} == {key_id}
    assert files["letter"].key_id == keys.PARKING


def test_two_vaults_have_two_data_keys_and_a_blob_opens_only_with_its_own(portal):
    make_agent("accueil")
    first = consent_as_owner(open_vault_as("accueil", "jdupont"))
    second = consent_as_owner(open_vault_as("accueil", "mmartin", first="Marie", last="Martin"))
    paper = deposit_as("jdupont", first["prive"])
    other = keys.vault_key_id(second)
    assert keys.vault_key_id(first) != other
    with pytest.raises(Undecipherable):
        decrypt(paper.file.raw(), other)


def test_the_registry_holds_only_wrapped_keys(portal):
    vault, _files = fill(portal)
    key_id = keys.vault_key_id(vault)
    master_id, wrapped = keys.registry()[key_id]
    assert master_id == keys.current_master_id()
    assert keys.data_key(key_id) not in wrapped
    assert len(wrapped) == 12 + 32 + 16


def test_a_stolen_data_fs_blob_directory_or_backup_reveals_no_paper(functional_portal, tmp_path):
    from ZODB.FileStorage import FileStorage
    import ZODB

    portal = functional_portal
    vault, files = fill(portal)
    plaintexts = {name: file.data for name, file in files.items()}
    transaction.commit()

    # A backup: the whole site exported (pickles and blobs) as a .zexp.
    backup = BytesIO()
    portal._p_jar.exportFile(portal._p_oid, backup)
    exported = backup.getvalue()
    assert keys.ANNOTATION.encode() in exported  # the wrapped keys travel with it
    assert MARKER.encode() not in exported
    for name, plain in plaintexts.items():
        assert plain[:64] not in exported, name

    # Restored into a real FileStorage with a blob directory, as a stolen server disk.
    blobs = tmp_path / "blobstorage"
    db = ZODB.DB(FileStorage(str(tmp_path / "Data.fs"), blob_dir=str(blobs)))
    try:
        connection = db.open()
        backup.seek(0)
        connection.root()["copy"] = connection.importFile(backup)
        connection.root()["control"] = NamedBlobFile(f"{MARKER}plain".encode(), "text/plain")
        transaction.commit()
        stolen = [tmp_path / "Data.fs", *(p for p in blobs.rglob("*") if p.is_file())]
        contents = [path.read_bytes() for path in stolen]
        assert len([p for p in stolen if p.suffix == ".blob"]) >= len(files) + 1
        # The check can fail: the plaintext control file is found in the blob directory.
        assert any(f"{MARKER}plain".encode() in data for data in contents)
        for path, data in zip(stolen, contents, strict=True):
            assert f"{MARKER}paper".encode() not in data, path
            for name in ("paper", "consent", "mandate", "letter"):
                assert f"{MARKER}{name}".encode() not in data, (name, path)
            for name, plain in plaintexts.items():
                assert plain[:64] not in data, (name, path)
        # With the master key, the restored copy reads back as the original.
        copy = connection.root()["copy"]
        paper_id = next(iter(vault["prive"].objectIds()))
        document = copy["coffres"][vault.getId()]["prive"][paper_id]
        assert document.file.data == plaintexts["paper"]
        connection.close()
    finally:
        transaction.abort()
        db.close()


# -- the master key --------------------------------------------------------------------


@pytest.fixture
def key_files(tmp_path, monkeypatch):
    """Master keys as key files in a fresh key directory (no environment variable)."""
    directory = tmp_path / "keys"
    monkeypatch.delenv(keys.ENV_VAR, raising=False)
    monkeypatch.setenv("CCAS_VAULT_KEY_DIR", str(directory))
    return directory


def test_install_creates_a_master_key_file_readable_by_its_owner_only(portal, key_files):
    from ccas.vault.setuphandlers.install import ensure_master_key

    master_id = ensure_master_key()
    path = key_files / f"master-{master_id}.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(base64.b64decode(path.read_bytes())) == 32
    assert ensure_master_key() == master_id  # created once


def test_without_the_master_key_nothing_is_read_or_stored(portal, monkeypatch, tmp_path):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"])
    monkeypatch.delenv(keys.ENV_VAR)
    monkeypatch.setenv("CCAS_VAULT_KEY_DIR", str(tmp_path / "empty"))
    with pytest.raises(MasterKeyMissing) as missing:
        paper.file.data  # noqa: B018
    assert "clé maîtresse" in missing.value.message_fr
    with pytest.raises(MasterKeyMissing):
        deposit_as("jdupont", vault["prive"], data=pdf_bytes("new"))
    # A wrong master key (another one in the environment) opens nothing either.
    monkeypatch.setenv(keys.ENV_VAR, base64.b64encode(b"k" * 32).decode())
    with pytest.raises(MasterKeyMissing):
        paper.file.data  # noqa: B018


def test_the_process_start_says_when_the_master_key_is_missing(portal, key_files, caplog):
    from ccas.vault.encryption.startup import check_master_key

    with caplog.at_level(logging.ERROR, "ccas.vault.encryption"):
        assert check_master_key() is False
    assert "no paper will be read or stored" in caplog.text
    keys.create_master()
    assert check_master_key() is True


def test_a_master_key_that_is_not_32_bytes_is_refused_clearly(portal, monkeypatch):
    monkeypatch.setenv(keys.ENV_VAR, "dHJvcCBjb3VydA==")
    with pytest.raises(MasterKeyMissing) as bad:
        keys.current_master_id()
    assert "32 octets" in bad.value.message_fr


def test_an_altered_blob_is_refused_and_logged(portal, caplog):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"])
    raw = bytearray(paper.file.raw())
    raw[40] ^= 0x01
    with paper.file._blob.open("w") as blob:
        blob.write(bytes(raw))
    with (
        caplog.at_level(logging.ERROR, "ccas.vault.encryption"),
        pytest.raises(Undecipherable) as altered,
    ):
        paper.file.data  # noqa: B018
    assert "altéré" in altered.value.message_fr
    assert "fails GCM authentication" in caplog.text
    assert check_document(paper) == ["blob unreadable: Undecipherable"]


# -- rotation and shredding ------------------------------------------------------------


def test_rotating_the_master_key_keeps_every_file_readable(portal, key_files):
    old = keys.create_master()
    vault, files = fill(portal)
    plaintexts = {name: file.data for name, file in files.items()}
    key_id = keys.vault_key_id(vault)
    old_master = keys.master_key(old)
    done = migrate.rotate_master()
    assert done["rewrapped"] == len(keys.registry()) >= 2
    assert migrate.remove_unused_masters() == [old]
    assert keys.known_master_ids() == [done["master"]]
    keys._UNWRAPPED.clear()
    assert {name: file.data for name, file in files.items()} == plaintexts
    master_id, wrapped = keys.registry()[key_id]
    assert master_id == done["master"] != old
    with pytest.raises(InvalidTag):  # the old master key no longer opens the wrapped key
        AESGCM(old_master).decrypt(wrapped[:12], wrapped[12:], keys._aad(key_id))
    with pytest.raises(MasterKeyMissing):
        keys.master_key(old)


def test_a_master_rotation_interrupted_before_the_cleanup_can_be_run_again(portal, key_files):
    first = keys.create_master()
    _vault, files = fill(portal)
    plain = files["paper"].data
    second = migrate.rotate_master()["master"]  # …crash before remove_unused_masters
    third = migrate.rotate_master()["master"]
    assert sorted(migrate.remove_unused_masters()) == sorted([first, second])
    assert keys.known_master_ids() == [third]
    assert files["paper"].data == plain


def test_the_current_master_key_is_never_removed(portal, key_files):
    current = keys.create_master()
    with pytest.raises(ValueError):
        keys.remove_master(current)


def test_rotating_a_vault_key_reencrypts_its_files_and_destroys_the_old_key(portal):
    vault, files = fill(portal)
    old = keys.vault_key_id(vault)
    old_raw = files["paper"].raw()
    plaintexts = {name: files[name].data for name in ("paper", "photo", "consent", "mandate")}
    assert migrate.rotate_vault(vault) == 4
    new = keys.vault_key_id(vault)
    assert new != old and old not in keys.registry()
    paper = vault["prive"].objectValues()[0]
    assert paper.file.key_id == new and paper.file.data == plaintexts["paper"]
    assert vault.consents[-1]["form"].data == plaintexts["consent"]
    assert check_document(paper) == []
    with pytest.raises(DataKeyMissing):
        decrypt(old_raw, old)
    assert parking.get_parked("GED-9").file.key_id == keys.PARKING  # not this vault's


def test_deleting_a_vault_shreds_its_key_and_its_blobs_open_no_more(portal):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"])
    file, key_id = paper.file, keys.vault_key_id(vault)
    with acting_as("jdupont"):
        closing.request_closure(vault)
    with as_system():
        closed = closing.close_due_vaults(datetime.now(closing.PARIS) + timedelta(days=400))
    assert len(closed) == 1
    assert key_id not in keys.registry()
    with pytest.raises(DataKeyMissing) as shredded:
        file.data  # noqa: B018  (a copy of its blob in any backup: the same)
    assert "détruite" in shredded.value.message_fr


# -- files stored before encryption ----------------------------------------------------


def test_encrypt_existing_converts_plaintext_files_once(portal):
    vault, files = fill(portal)
    paper = vault["prive"].objectValues()[0]
    plaintexts = {name: file.data for name, file in files.items()}
    # As on a site installed before encryption: plain NamedBlobFiles everywhere.
    paper.file = NamedBlobFile(plaintexts["paper"], "application/pdf", "attestation.pdf")
    vault.consents[-1]["form"] = NamedBlobFile(plaintexts["consent"], "application/pdf", "a.pdf")
    parked = parking.get_parked("GED-9")
    parked.file = NamedBlobFile(plaintexts["letter"], "application/pdf", "lettre.pdf")
    assert MARKER.encode() in paper.file._blob.open().read()

    assert migrate.encrypt_existing(portal) == 3
    assert migrate.encrypt_existing(portal) == 0
    for file, name in (
        (paper.file, "paper"),
        (vault.consents[-1]["form"], "consent"),
        (parking.get_parked("GED-9").file, "letter"),
    ):
        assert isinstance(file, EncryptedBlobFile)
        assert file.data == plaintexts[name]
        assert MARKER.encode() not in file.raw()
    assert paper.file.key_id == keys.vault_key_id(vault)
    assert parking.get_parked("GED-9").file.key_id == keys.PARKING
    assert check_document(paper) == []


# -- seals -----------------------------------------------------------------------------


def test_seals_are_computed_over_the_plaintext_and_still_verify(portal):
    from ccas.vault.api import documents

    make_agent("accueil")
    make_agent("travailleur")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    active_mandate(vault, scopes=("consult", "deposit"))
    paper = deposit_as("jdupont", vault["partage"], document_type="cni")
    with acting_as("travailleur"):
        certification = documents.certify(paper)
    assert isinstance(paper.file, EncryptedBlobFile)  # the PAdES-signed PDF, stored encrypted
    assert certification["sha256"] == hashlib.sha256(paper.file.data).hexdigest()
    assert certification["sha256"] != hashlib.sha256(paper.file.raw()).hexdigest()
    assert check_document(paper) == []
    assert verify_bytes(paper.file.data)["certified"] is True


# -- what the routes serve -------------------------------------------------------------


@pytest.fixture
def served(functional_portal):
    api.portal.set_registry_record("plone.default_language", "fr")  # as a real site
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"], data=pdf_bytes(MARKER))
    transaction.commit()
    return vault, paper


def get(url):
    return requests.get(
        url,
        auth=("jdupont", PASSWORD),
        timeout=60,
        allow_redirects=False,
    )


@pytest.mark.parametrize("view", ["@@download/file", "@@display-file/file"])
def test_the_download_routes_serve_the_original_bytes(served, view):
    _vault, paper = served
    response = get(f"{paper.absolute_url()}/{view}")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == paper.sha256
    assert response.headers["Content-Length"] == str(len(response.content))


def test_print_and_preview_work_from_the_plaintext(served):
    _vault, paper = served
    printed = get(f"{paper.absolute_url()}/@@print")
    assert printed.status_code == 200
    assert len(PdfReader(BytesIO(printed.content)).pages) == 1
    preview = get(f"{paper.absolute_url()}/@@preview")
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")


def test_the_export_zip_holds_the_plaintext(served):
    vault, paper = served
    with acting_as("jdupont"):
        archive = zipfile.ZipFile(BytesIO(build_export(vault)))
    contents = [archive.read(name) for name in archive.namelist() if name.endswith(".pdf")]
    assert [hashlib.sha256(data).hexdigest() for data in contents] == [paper.sha256]


def test_an_altered_file_is_not_served_and_the_page_says_why(served):
    _vault, paper = served
    raw = bytearray(paper.file.raw())
    raw[-1] ^= 0x01
    with paper.file._blob.open("w") as blob:
        blob.write(bytes(raw))
    transaction.commit()
    response = get(f"{paper.absolute_url()}/@@download/file")
    assert response.status_code == 500
    assert b"%PDF" not in response.content and bytes(raw[8:40]) not in response.content
    assert "Fichier indisponible" in response.text
    assert "altéré" in response.text


def test_without_the_master_key_the_server_refuses_with_a_clear_page(served, monkeypatch, tmp_path):
    _vault, paper = served
    monkeypatch.delenv(keys.ENV_VAR)
    monkeypatch.setenv("CCAS_VAULT_KEY_DIR", str(tmp_path / "empty"))
    response = get(f"{paper.absolute_url()}/@@download/file")
    assert response.status_code == 500
    assert b"%PDF" not in response.content
    assert "clé de chiffrement du coffre-fort est introuvable" in response.text


# -- the command -----------------------------------------------------------------------


def test_the_keys_command_rotates_the_master_key_and_a_vault_key(
    functional_app, functional_portal, key_files, monkeypatch, capsys
):
    from ccas.vault.certification import integrity
    from ccas.vault.scripts import keys as keys_script
    from contextlib import contextmanager

    @contextmanager
    def opened(zope_conf):
        yield functional_app

    monkeypatch.setattr(integrity, "_opened", opened)
    old = keys.create_master()
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"], data=pdf_bytes(MARKER))
    plain, key_id = paper.file.data, keys.vault_key_id(vault)
    transaction.commit()
    assert keys_script.main(["zope.conf", "--site", "plone", "rotate-master"]) == 0
    lines = capsys.readouterr().out.splitlines()
    new = keys.current_master_id()
    assert lines[0].startswith(f"keys: new master key {new}")
    assert lines[1] == f"keys: removed master keys: {old}"
    assert keys.known_master_ids() == [new]
    assert keys_script.main(["zope.conf", "rotate-vault", vault.getId(), "--site", "plone"]) == 0
    assert "1 files re-encrypted" in capsys.readouterr().out
    paper._p_jar.sync()
    assert keys.vault_key_id(vault) != key_id and paper.file.data == plain
    assert keys_script.main(["zope.conf", "--site", "plone", "encrypt-existing"]) == 0
    assert capsys.readouterr().out.strip() == "keys: 0 files encrypted"
    api.portal.get()  # the site is set back
    assert vault_directory() is not None
