"""The CCAS seal: keys outside the ZODB, signed seals, the hash registry, rotation."""

from ccas.vault.api import documents
from ccas.vault.certification import keys
from ccas.vault.certification import registry
from ccas.vault.certification.seal import canonical
from ccas.vault.certification.seal import check_seal
from ccas.vault.certification.seal import make_seal
from ccas.vault.certification.verification import verify_bytes
from ccas.vault.certification.verification import verify_hash
from ccas.vault.history import api as history
from pathlib import Path
from plone import api
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
import base64
import hashlib
import io
import json
import os
import pytest
import stat


def jpeg_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def vault(portal, frozen):
    make_agent("accueil")
    make_agent("travailleur")  # a CCAS agent: the CCAS may certify
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    active_mandate(vault, scopes=("consult", "deposit"))
    return vault


@pytest.fixture
def key_dir(tmp_path, monkeypatch):
    """A fresh, empty key directory for this test."""
    directory = tmp_path / "keys"
    monkeypatch.setenv(keys.ENV_VAR, str(directory))
    return directory


def certify_as(login, document):
    with acting_as(login):
        return documents.certify(document)


# -- keys ----------------------------------------------------------------------


def test_the_install_created_a_key_outside_the_database(portal):
    directory = keys.key_directory()
    assert directory == Path(os.environ[keys.ENV_VAR])
    key_id = keys.current_key_id()
    assert key_id is not None and len(key_id) == 16
    private = directory / f"{key_id}.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE((directory / f"{key_id}.pdf.key").stat().st_mode) == 0o600
    certificate = keys.certificate(key_id)
    assert keys.key_id_of(certificate.public_key()) == key_id
    # Running the install step again keeps the key.
    from ccas.vault.setuphandlers.install import ensure_seal_key

    assert ensure_seal_key() == key_id


def test_the_key_directory_comes_from_the_setting_without_the_env_var(
    portal, monkeypatch, tmp_path
):
    monkeypatch.delenv(keys.ENV_VAR)
    api.portal.set_registry_record("ccas.vault.settings.key_directory", str(tmp_path / "k"))
    assert keys.key_directory() == tmp_path / "k"
    api.portal.set_registry_record("ccas.vault.settings.key_directory", "")
    assert keys.key_directory().name == keys.DEFAULT_FOLDER


def test_the_certificate_names_the_ccas(portal, key_dir):
    api.portal.set_registry_record("ccas.vault.settings.seal_name", "CCAS de Testville")
    key_id = keys.ensure_key()
    assert "CN=CCAS de Testville" in keys.certificate(key_id).subject.rfc4514_string()


# -- seals ---------------------------------------------------------------------


def test_a_seal_is_canonical_json_signed_with_ed25519(portal, key_dir):
    seal = make_seal(sha256="a" * 64, document_type="cni", by="agent", organisation="ccas")
    payload = json.loads(seal["payload"])
    assert canonical(payload).decode() == seal["payload"]
    assert payload["version"] == 1
    assert payload["deposited_sha256"] == "a" * 64
    key = keys.public_key(seal["key_id"])
    key.verify(base64.b64decode(seal["signature"]), seal["payload"].encode())
    assert check_seal(seal).valid


def test_a_tampered_seal_does_not_verify(portal, key_dir):
    seal = make_seal(sha256="b" * 64, document_type="cni", by="agent", by_fullname="Agent")
    forged_payload = seal["payload"].replace('"Agent"', '"Maire"')
    assert check_seal({**seal, "payload": forged_payload}).reason == "bad_signature"
    signature = bytearray(base64.b64decode(seal["signature"]))
    signature[0] ^= 1
    forged = {**seal, "signature": base64.b64encode(bytes(signature)).decode()}
    assert check_seal(forged).reason == "bad_signature"
    assert check_seal({**seal, "key_id": "0" * 16}).reason == "unknown_key"
    assert check_seal({"payload": "{"}).reason == "malformed"


def test_old_seals_verify_after_a_rotation_even_without_the_old_private_key(portal, key_dir):
    first = keys.ensure_key()
    old = make_seal(sha256="c" * 64, document_type="cni", by="agent")
    second = keys.rotate_key()
    assert second != first and keys.current_key_id() == second
    new = make_seal(sha256="d" * 64, document_type="cni", by="agent")
    assert (old["key_id"], new["key_id"]) == (first, second)
    (key_dir / f"{first}.key").unlink()
    (key_dir / f"{first}.pdf.key").unlink()
    assert check_seal(old).valid and check_seal(new).valid
    assert {info.key_id: info.has_private_key for info in keys.describe()} == {
        first: False,
        second: True,
    }


def test_the_keys_command_rotates(portal, key_dir):
    from ccas.vault.scripts.keys import run

    first = keys.ensure_key()
    lines = run("rotate")
    assert lines[0] == f"keys: new current key {keys.current_key_id()}"
    assert keys.current_key_id() != first
    assert len([line for line in lines if "until" in line]) == 2


# -- certification of papers ---------------------------------------------------


def test_certifying_a_paper_seals_it_and_registers_the_seal(vault):
    paper = deposit_as("jdupont", vault["partage"], document_type="cni")
    certification = certify_as("travailleur", paper)
    assert api.content.get_state(paper) == "certified"
    assert certification["by"] == "travailleur"
    assert certification["organisation"] == "ccas"
    assert certification["organisation_title"]
    assert certification["sha256"] == paper.sha256 == hashlib.sha256(paper.file.data).hexdigest()
    assert certification["key_id"] == keys.current_key_id()
    payload = json.loads(certification["payload"])
    assert payload["document_type"] == "cni"
    assert payload["by_fullname"] == "Travailleur"
    assert check_seal(certification).valid
    [entry] = registry.lookup(paper.sha256)
    assert entry["signature"] == certification["signature"]
    assert entry["superseded"] is False
    last = history.entries(vault)[-1]
    assert (last.action, last.actor, last.organisation) == ("certify", "travailleur", "ccas")


def test_the_registry_holds_nothing_about_the_person(vault):
    paper = deposit_as("jdupont", vault["partage"], document_type="cni", title="CNI de Jean")
    certify_as("travailleur", paper)
    [entry] = registry.lookup(paper.sha256)
    stored = json.dumps(dict(entry))
    for secret in (vault.getId(), "Jean", "Dupont", "jdupont", paper.getId(), paper.UID()):
        assert secret not in stored


def test_an_agent_of_a_certifying_organisation_certifies_by_depositing(vault):
    paper = deposit_as("travailleur", vault["partage"], document_type="attestation-caf")
    assert api.content.get_state(paper) == "certified"
    assert paper.certification["by"] == "travailleur"
    actions = [entry.action for entry in history.entries(vault)[-2:]]
    assert actions == ["deposit", "certify"]


def test_the_owner_depositing_never_certifies(vault):
    paper = deposit_as("jdupont", vault["partage"])
    assert api.content.get_state(paper) == "deposited"
    assert paper.certification is None
    assert verify_bytes(paper.file.data)["certified"] is False


def test_an_agent_of_an_organisation_that_may_not_certify_does_not_certify(vault):
    from ccas.vault.accounts import ensure_account
    from ccas.vault.accounts import ensure_group

    ensure_group("caf-agents", "Agents de la CAF", ["VaultAgent"])
    ensure_account("julie", "Mot-de-passe-long-1", "Julie", groups=["caf-agents"])
    active_mandate(vault, agents=("julie",), scopes=("deposit",))
    paper = deposit_as("julie", vault["partage"])
    assert api.content.get_state(paper) == "deposited"
    assert paper.certification is None


def test_an_image_gets_the_seal_only(vault):
    data = jpeg_bytes()
    paper = deposit_as(
        "jdupont", vault["partage"], document_type="cni", data=data, filename="c.jpg"
    )
    stored = paper.file.data
    certification = certify_as("travailleur", paper)
    assert paper.file.data == stored  # not re-encoded
    assert certification["pdf_signed"] is False
    assert certification["sha256"] == certification["deposited_sha256"] == paper.sha256
    assert verify_bytes(stored)["certified"] is True


def test_a_ged_letter_is_sealed_by_the_ccas_ged(vault):
    paper = deposit_as("jdupont", vault["partage"], document_type="attestation-caf")
    certification = documents.certify_ged_letter(paper)
    assert (certification["by"], certification["organisation"]) == ("ged", "ccas")
    assert certification["by_fullname"] == "GED du CCAS"
    assert check_seal(certification).valid
    assert verify_hash(paper.sha256)["seals"][0]["organisation"] == "ccas"
    assert history.entries(vault)[-1].actor == "ged"


# -- verification ----------------------------------------------------------------


def test_verification_of_a_certified_file_a_tampered_byte_and_an_unknown_file(vault):
    paper = deposit_as("jdupont", vault["partage"], document_type="cni")
    certify_as("travailleur", paper)
    data = paper.file.data
    answer = verify_bytes(data)
    assert answer["certified"] is True
    [seal] = answer["seals"]
    assert seal["valid"] and seal["by_fullname"] == "Travailleur"
    assert seal["matches"] == "certified_file"
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0x01
    assert verify_bytes(bytes(tampered)) == {
        "sha256": hashlib.sha256(tampered).hexdigest(),
        "certified": False,
        "seals": [],
    }
    assert verify_bytes(b"%PDF-1.4 never deposited")["certified"] is False


def test_a_forged_registry_entry_is_reported_invalid(vault):
    paper = deposit_as("jdupont", vault["partage"], document_type="cni")
    certify_as("travailleur", paper)
    [entry] = registry.lookup(paper.sha256)
    entry["payload"] = entry["payload"].replace("Travailleur", "Directeur")
    answer = verify_hash(paper.sha256)
    assert answer["certified"] is False
    assert answer["seals"][0]["reason"] == "bad_signature"


def test_seals_made_before_a_rotation_still_verify(vault, key_dir):
    before = deposit_as("jdupont", vault["partage"], document_type="cni")
    certify_as("travailleur", before)
    old_key = before.certification["key_id"]
    keys.rotate_key()
    (key_dir / f"{old_key}.key").unlink()
    after = deposit_as("jdupont", vault["partage"], document_type="cni")
    certify_as("travailleur", after)
    assert after.certification["key_id"] != old_key
    assert verify_bytes(before.file.data)["certified"] is True
    assert verify_bytes(after.file.data)["certified"] is True


def test_garbage_hashes_are_refused(portal):
    from ccas.vault.certification.verification import BadHash

    for garbage in ("", "xyz", "g" * 64, "a" * 63, None, 42):
        with pytest.raises(BadHash):
            verify_hash(garbage)
    assert verify_hash("A" * 64)["sha256"] == "a" * 64


def test_the_keys_console_script_shows_and_rotates(app, portal, key_dir, monkeypatch, capsys):
    from ccas.vault.certification import integrity
    from ccas.vault.scripts import keys as keys_script
    from contextlib import contextmanager

    @contextmanager
    def opened(zope_conf):
        yield app

    monkeypatch.setattr(integrity, "_opened", opened)
    first = keys.ensure_key()
    assert keys_script.main(["zope.conf", "--site", "plone"]) == 0
    shown = capsys.readouterr().out
    assert f"{first}  current private" in shown
    assert keys_script.main(["zope.conf", "--site", "plone", "rotate"]) == 0
    rotated = capsys.readouterr().out.splitlines()
    second = keys.current_key_id()
    assert rotated[0] == f"keys: new current key {second}"
    assert any(line.startswith(f"{first}  private") for line in rotated)
    assert rotated[-1] == f"keys: {key_dir}"


def test_seals_stay_verifiable_after_the_vault_is_closed(vault, portal):
    from ccas.vault.api import closing
    from ccas.vault.security import as_system
    from datetime import datetime
    from datetime import timedelta
    from datetime import UTC

    paper = deposit_as("travailleur", vault["partage"], document_type="attestation-caf")
    data = paper.file.data
    with acting_as("jdupont"):
        closing.request_closure(vault)
    with as_system():
        closing.close_due_vaults(datetime.now(UTC) + timedelta(days=400))
    assert vault.getId() not in portal["coffres"]
    answer = verify_bytes(data)
    assert answer["certified"] is True
    assert answer["seals"][0]["by_fullname"] == "Travailleur"
