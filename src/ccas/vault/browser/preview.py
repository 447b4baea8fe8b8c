"""Watermarked PNG previews of papers (pure functions: bytes in, PNG bytes out).

"Consult" without "extract" means seeing a preview, never the original: the
first page of a PDF (pypdfium2) or the photo (Pillow), at most ``MAX_SIDE``
pixels, with a diagonal watermark repeated across it.  Text documents (ODT,
DOCX) and files that cannot be rendered get a plain card with their title.
"""

from functools import lru_cache
from io import BytesIO
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont
from PIL import ImageOps
from unidecode import unidecode
import math
import textwrap


MAX_SIDE = 1000
WATERMARK = "Aperçu — coffre-fort numérique du CCAS"
UNAVAILABLE = "Aperçu indisponible"
PDF = "application/pdf"
IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")
CARD_SIZE = (800, 500)
#: a system font with accents (Debian: fonts-dejavu-core); Pillow's own font has none
FONT_FILES = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@lru_cache(maxsize=32)
def font(size):
    """``(font, has accents)``: DejaVu Sans when installed, else Pillow's default font."""
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _text(text, size):
    """The font to draw ``text`` at ``size`` and the text it can draw (unaccented if need be)."""
    chosen, accents = font(size)
    return chosen, text if accents else unidecode(text)


def render_preview(data, content_type, title=""):
    """PNG bytes of the watermarked preview of a file (a card when it cannot be drawn)."""
    try:
        if content_type == PDF:
            image = pdf_first_page(data)
        elif content_type in IMAGES:
            image = downscaled_image(data)
        else:
            image = None
    except Exception:  # a file the renderer chokes on still gets a preview: the card
        image = None
    if image is None:
        image = card(title)
    return to_png(watermark(image))


def pdf_first_page(data, max_side=MAX_SIDE):
    """The first page of a PDF as an RGB image whose longer side is at most ``max_side``."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        page = pdf[0]
        try:
            width, height = page.get_size()
            scale = min(max_side / max(width, height, 1), 2.0)
            bitmap = page.render(scale=scale)
            try:
                return bitmap.to_pil().convert("RGB")
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        pdf.close()


def downscaled_image(data, max_side=MAX_SIDE):
    """A photo, upright, in RGB, its longer side at most ``max_side``."""
    with Image.open(BytesIO(data)) as opened:
        opened.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced size
        image = ImageOps.exif_transpose(opened).convert("RGB")
    image.thumbnail((max_side, max_side))
    return image


def card(title, size=CARD_SIZE):
    """A plain card: the title of the paper and "Aperçu indisponible"."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((8, 8, width - 9, height - 9), outline=(120, 120, 120), width=3)
    y = 70
    for line in textwrap.wrap(title or "", width=32)[:4]:
        title_font, line = _text(line, 36)
        draw.text((width / 2, y), line, fill=(30, 30, 30), font=title_font, anchor="ma")
        y += 48
    label_font, label = _text(UNAVAILABLE, 30)
    draw.text(
        (width / 2, max(y + 40, height - 150)),
        label,
        fill=(90, 90, 90),
        font=label_font,
        anchor="ma",
    )
    return image


def watermark(image, text=WATERMARK):
    """``image`` with ``text`` written diagonally, repeated, half transparent."""
    base = image.convert("RGBA")
    return Image.alpha_composite(base, mark_layer(*base.size, text)).convert("RGB")


@lru_cache(maxsize=4)
def mark_layer(width, height, text=WATERMARK):
    """The transparent layer of :func:`watermark` for an image of ``width`` × ``height``.

    Drawing and rotating it was half of a preview's CPU; pages of one size (A4 at the
    preview's scale, a phone's photos) share it (decision 0053).  Never changed by
    its users (``alpha_composite`` makes a new image).
    """
    diagonal = int(math.hypot(width, height))
    mark_font, text = _text(text, max(14, diagonal // 30))
    layer = Image.new("RGBA", (diagonal, diagonal), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=mark_font)
    step_x, step_y = right - left + diagonal // 10, (bottom - top) * 4
    for row, y in enumerate(range(0, diagonal, max(step_y, 1))):
        offset = (row % 2) * step_x // 2
        for x in range(-offset, diagonal, max(step_x, 1)):
            draw.text((x, y), text, font=mark_font, fill=(200, 30, 30, 90))
    angle = math.degrees(math.atan2(height, width))
    layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC)
    left = (diagonal - width) // 2
    top = (diagonal - height) // 2
    return layer.crop((left, top, left + width, top + height))


def to_png(image):
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
