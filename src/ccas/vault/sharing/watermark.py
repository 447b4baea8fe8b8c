"""Watermarked copies of papers (pure functions: bytes in, bytes out).

Every copy served through a share link says to whom it was given, and when:
on every page of a PDF (a reportlab overlay merged by pypdf: a readable line
at the foot of the page and a light diagonal mark), burnt into the pixels of
a photo (Pillow).  Several papers make one PDF (:func:`bundle`).
"""

from ccas.vault.browser.preview import _text
from ccas.vault.browser.preview import FONT_FILES
from ccas.vault.browser.preview import watermark as diagonal_watermark
from functools import lru_cache
from io import BytesIO
from PIL import Image
from PIL import ImageDraw
from PIL import ImageOps
from pypdf import PdfReader
from pypdf import PdfWriter


PDF = "application/pdf"
IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")
SHAREABLE = (PDF, *IMAGES)
FONT_NAME = "CcasVaultSans"
A4 = (595.28, 841.89)


class NotShareable(ValueError):
    """A file that cannot be turned into a watermarked copy (office documents)."""


@lru_cache(maxsize=1)
def _font():
    """A reportlab font with accents and dashes (DejaVu Sans when installed)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for path in FONT_FILES:
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path))
            return FONT_NAME
        except Exception:
            continue
    return "Helvetica"


def _overlay(width, height, text):
    """One PDF page of ``width`` × ``height`` points carrying the watermark."""
    from reportlab.lib.colors import Color
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = _font()
    out = BytesIO()
    page = canvas.Canvas(out, pagesize=(width, height))
    size = min(9.0, (width - 24) / max(stringWidth(text, font, 1), 1))
    band = size * 2.2
    page.setFillColor(Color(1, 1, 1, alpha=0.85))
    page.rect(0, 0, width, band, stroke=0, fill=1)
    page.setFillColor(Color(0.6, 0.05, 0.05))
    page.setFont(font, size)
    page.drawCentredString(width / 2, band / 2 - size / 3, text)
    # A light diagonal mark across the page, so that the foot cannot simply be cut off.
    page.saveState()
    page.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.18))
    diagonal_size = min(28.0, (width + height) * 0.9 / max(stringWidth(text, font, 1), 1))
    page.setFont(font, diagonal_size)
    page.translate(width / 2, height / 2)
    page.rotate(35)
    page.drawCentredString(0, 0, text)
    page.restoreState()
    page.showPage()
    page.save()
    return PdfReader(BytesIO(out.getvalue())).pages[0]


def watermark_pdf(data: bytes, text: str) -> bytes:
    """``data`` (a PDF) with ``text`` on every page; the original bytes are not changed."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(data)))
    for page in writer.pages:
        if (page.get("/Rotate") or 0) % 360:
            page.transfer_rotation_to_content()  # the mark reads upright on a turned page
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        overlay = _overlay(width, height, text)
        page.merge_translated_page(overlay, float(box.left), float(box.bottom))
    writer.add_metadata({"/Title": text, "/Producer": "ccas.vault"})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _upright(data):
    with Image.open(BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)
        image.load()
    return image.convert("RGB")


def _burn(image, text):
    """``image`` (RGB) with the diagonal mark and a band carrying ``text`` at its foot."""
    image = diagonal_watermark(image, text)
    width, height = image.size
    size = max(12, min(width // 40, 40))
    font, drawn = _text(text, size)
    draw = ImageDraw.Draw(image)
    while size > 8 and draw.textlength(drawn, font=font) > width - 16:
        size -= 1
        font, drawn = _text(text, size)
    band = int(size * 2)
    draw.rectangle((0, height - band, width, height), fill=(255, 255, 255))
    draw.text((width / 2, height - band / 2), drawn, fill=(150, 10, 10), font=font, anchor="mm")
    return image


def watermark_image(data: bytes, content_type: str, text: str) -> bytes:
    """A photo with ``text`` burnt into its pixels, in the same format (PNG for GIF/WebP)."""
    image = _burn(_upright(data), text)
    out = BytesIO()
    if content_type == "image/jpeg":
        image.save(out, format="JPEG", quality=90)
    else:
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def watermarked_copy(data: bytes, content_type: str, text: str) -> tuple[bytes, str]:
    """``(bytes, content type)`` of the watermarked copy of one file."""
    if content_type == PDF:
        return watermark_pdf(data, text), PDF
    if content_type in IMAGES:
        served = "image/jpeg" if content_type == "image/jpeg" else "image/png"
        return watermark_image(data, content_type, text), served
    raise NotShareable(content_type)


def _image_page(data, text=None):
    """A photo (watermark burnt in when ``text`` is given) as a one-page A4 PDF (bytes)."""
    image = _upright(data)
    if text:
        image = _burn(image, text)
    width, height = image.size
    scale = min(A4[0] / width, A4[1] / height)
    out = BytesIO()
    image.save(out, format="PDF", resolution=72 / scale)
    return out.getvalue()


def to_pdf(documents, text=None) -> bytes:
    """One PDF of several papers (``(data, content type)`` pairs), photos as pages.

    With ``text``, every page is watermarked (share links); without, the
    pages are the papers as they are (printing by who may download them).
    """
    writer = PdfWriter()
    for data, content_type in documents:
        if content_type == PDF:
            part = data
        elif content_type in IMAGES:
            part = _image_page(data, text)
        else:
            raise NotShareable(content_type)
        writer.append(PdfReader(BytesIO(part)))
    out = BytesIO()
    writer.write(out)
    return watermark_pdf(out.getvalue(), text) if text else out.getvalue()


def bundle(documents, text: str) -> bytes:
    """One PDF of several papers (``(data, content type)`` pairs), watermarked on every page."""
    return to_pdf(documents, text)
