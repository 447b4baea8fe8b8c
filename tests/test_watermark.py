"""Watermarked copies: every page of a PDF, the pixels of a photo, one bundle PDF."""

from ccas.vault.sharing.watermark import bundle
from ccas.vault.sharing.watermark import NotShareable
from ccas.vault.sharing.watermark import to_pdf
from ccas.vault.sharing.watermark import watermark_image
from ccas.vault.sharing.watermark import watermark_pdf
from ccas.vault.sharing.watermark import watermarked_copy
from io import BytesIO
from PIL import Image
from pypdf import PdfReader
import pytest


TEXT = (
    "Copie transmise à CAF de Démoville le 23/11/2026 — coffre-fort numérique du CCAS de Démoville"
)


def multi_page_pdf(pages=3, landscape_page=None):
    """A real PDF with ``pages`` pages, each saying its number."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape
    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    for number in range(1, pages + 1):
        if number == landscape_page:
            page.setPageSize(landscape(A4))
        else:
            page.setPageSize(A4)
        page.drawString(72, 400, f"Page {number} : bulletin de salaire")
        page.showPage()
    page.save()
    return out.getvalue()


def photo(color="navy", size=(640, 480), fmt="JPEG"):
    out = BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def page_texts(data):
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def test_every_page_of_a_pdf_carries_the_watermark():
    original = multi_page_pdf(4, landscape_page=3)
    copy = watermark_pdf(original, TEXT)
    texts = page_texts(copy)
    assert len(texts) == 4
    for number, text in enumerate(texts, start=1):
        assert TEXT in text
        assert f"Page {number}" in text  # the paper itself is still there
    assert all(TEXT not in text for text in page_texts(original))


def test_the_original_bytes_are_not_changed():
    original = multi_page_pdf(2)
    kept = bytes(original)
    watermark_pdf(original, TEXT)
    assert original == kept


def test_a_photo_gets_the_watermark_burnt_into_its_pixels():
    original = photo()
    copy = watermark_image(original, "image/jpeg", TEXT)
    with Image.open(BytesIO(copy)) as image:
        assert image.format == "JPEG"
        assert image.size == (640, 480)
        pixels = image.convert("RGB")
        # the foot band is white with red text, where the photo was navy
        assert pixels.getpixel((2, 478))[0] > 200
        assert _band_has_text(pixels)
    with Image.open(BytesIO(original)) as before:
        assert before.convert("RGB").getpixel((2, 478))[0] < 60  # the photo was navy there
    png = watermark_image(photo(fmt="PNG"), "image/png", TEXT)
    assert png.startswith(b"\x89PNG")


def _reddish(rgb):
    red, green, blue = rgb
    return red > 100 and green < 90 and blue < 90


def _band_has_text(image):
    width, height = image.size
    return any(
        _reddish(image.getpixel((x, y))) for x in range(width) for y in range(height - 30, height)
    )


def test_several_papers_make_one_watermarked_pdf():
    data = bundle(
        [
            (multi_page_pdf(2), "application/pdf"),
            (photo(), "image/jpeg"),
            (photo("green", (300, 900), "PNG"), "image/png"),
        ],
        TEXT,
    )
    texts = page_texts(data)
    assert len(texts) == 4  # 2 PDF pages + 2 photos
    assert "Page 1" in texts[0] and "Page 2" in texts[1]
    assert all(TEXT in text for text in texts)


def test_printing_makes_one_pdf_without_watermark():
    data = to_pdf([(multi_page_pdf(2), "application/pdf"), (photo(), "image/jpeg")])
    texts = page_texts(data)
    assert len(texts) == 3
    assert all(TEXT not in text for text in texts)


def test_office_documents_are_not_turned_into_copies():
    with pytest.raises(NotShareable):
        watermarked_copy(b"PK\x03\x04", "application/vnd.oasis.opendocument.text", TEXT)
    with pytest.raises(NotShareable):
        bundle([(b"PK\x03\x04", "application/vnd.oasis.opendocument.text")], TEXT)


def test_copies_of_one_file_keep_its_kind():
    data, content_type = watermarked_copy(multi_page_pdf(1), "application/pdf", TEXT)
    assert content_type == "application/pdf" and data.startswith(b"%PDF")
    data, content_type = watermarked_copy(photo(fmt="PNG"), "image/png", TEXT)
    assert content_type == "image/png"
