"""Certified PDFs carry a PAdES signature that pyHanko's own validator accepts."""

from ccas.vault.api import documents
from ccas.vault.certification import keys
from ccas.vault.certification import pades
from ccas.vault.certification.verification import verify_hash
from plone import api
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
import hashlib
import io
import pytest


def letter_pdf(pages=3):
    """A real multi-page PDF, as a CCAS letter would be."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4, pageCompression=0)
    for page in range(1, pages + 1):
        sheet.setFont("Helvetica", 12)
        sheet.drawString(72, 770, f"CCAS de Démoville — attestation, page {page}")
        for line in range(40):
            sheet.drawString(72, 740 - 16 * line, f"Ligne {line} : texte de l'attestation.")
        sheet.showPage()
    sheet.save()
    return out.getvalue()


@pytest.fixture
def vault(portal, frozen):
    make_agent("accueil")
    make_agent("travailleur")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    active_mandate(vault, scopes=("consult", "deposit"))
    return vault


@pytest.fixture
def certified(vault):
    original = letter_pdf()
    paper = deposit_as("jdupont", vault["partage"], document_type="cni", data=original)
    with acting_as("travailleur"):
        documents.certify(paper)
    return paper, original


def test_the_stored_pdf_is_signed_and_valid_with_the_ccas_certificate_as_root(certified):
    paper, original = certified
    signed = paper.file.data
    assert signed.startswith(original)  # incremental update: the deposited bytes stay
    assert paper.certification["pdf_signed"] is True
    root = keys.certificate(paper.certification["key_id"])
    status = pades.validate(signed, [root])
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    subject = status.signing_cert.subject.human_friendly
    assert "CCAS" in subject or api.portal.get().Title() in subject
    assert paper.file.contentType == "application/pdf"


def test_the_seal_names_both_the_stored_and_the_deposited_bytes(certified):
    paper, original = certified
    stored = hashlib.sha256(paper.file.data).hexdigest()
    deposited = hashlib.sha256(original).hexdigest()
    assert stored != deposited
    assert paper.sha256 == paper.certification["sha256"] == stored
    assert paper.certification["deposited_sha256"] == deposited
    by_stored = verify_hash(stored)
    by_deposited = verify_hash(deposited)
    assert by_stored["certified"] and by_deposited["certified"]
    assert by_stored["seals"][0]["matches"] == "certified_file"
    assert by_deposited["seals"][0]["matches"] == "deposited_file"


def test_the_signature_is_not_trusted_with_another_root(certified, tmp_path):
    paper, _ = certified
    other = keys.create_key(tmp_path, name="Faux CCAS")
    status = pades.validate(paper.file.data, [keys.certificate(other, tmp_path)])
    assert status.intact  # the bytes are those signed…
    assert not status.trusted  # …but not by that root
    assert not status.bottom_line


def test_a_tampered_signed_pdf_is_detected(certified):
    paper, _ = certified
    signed = bytearray(paper.file.data)
    position = signed.find(b"Ligne 5")
    assert position > 0
    signed[position] = ord("X")
    status = pades.validate(bytes(signed), [keys.certificate(paper.certification["key_id"])])
    assert not status.intact
    assert not status.bottom_line
    assert verify_hash(hashlib.sha256(signed).hexdigest())["certified"] is False


def test_an_unsigned_pdf_has_no_signature(vault):
    assert pades.validate(letter_pdf(1), []) is None


def test_the_downloaded_bytes_are_the_signed_ones(certified, vault):
    """What the person downloads is what verifies."""
    paper, _ = certified
    with acting_as("jdupont"):
        view = api.content.get_view("download", paper, paper.REQUEST)
        view.fieldname = "file"
        body = view()
    data = body if isinstance(body, bytes) else b"".join(body)
    assert hashlib.sha256(data).hexdigest() == paper.sha256
    assert verify_hash(paper.sha256)["certified"]
