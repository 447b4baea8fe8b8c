"""Deposit inspection: what a vault accepts, what it refuses, and what it stores.

Every sample is generated on the fly: real images (Pillow, pillow-heif), real
PDFs (pypdf) and real ODT/DOCX packages (zipfile), then damaged or disguised.
"""

from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.deposit.inspection import inspect_upload
from ccas.vault.deposit.inspection import InspectedFile
from ccas.vault.deposit.inspection import REFUSAL_CODES
from ccas.vault.deposit.inspection import safe_filename
from functools import cache
from io import BytesIO
from PIL import ExifTags
from PIL import Image
from pillow_heif import register_heif_opener
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject
from pypdf.generic import DictionaryObject
from pypdf.generic import FloatObject
from pypdf.generic import NameObject
from pypdf.generic import TextStringObject
from zope.i18nmessageid import Message
import hashlib
import pytest
import random
import re
import stat
import struct
import time
import zipfile
import zlib


register_heif_opener()

ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
FRENCH_WORDS = {"le", "la", "les", "un", "une", "de", "des", "est", "ce", "puis", "fichier"}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


# Sample makers


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    """EXIF like a phone writes it: make, model, orientation and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone maker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    return exif


def image_bytes(pillow_format: str, size=(60, 40), mode="RGB", **options) -> bytes:
    image = Image.new(mode, size, "white" if mode != "CMYK" else (0, 0, 0, 0))
    if mode in ("RGB", "RGBA"):
        image.paste((200, 30, 30) + ((255,) if mode == "RGBA" else ()), (0, 0, size[0] // 2, 10))
    buffer = BytesIO()
    image.save(buffer, format=pillow_format, **options)
    return buffer.getvalue()


def jpeg(**options) -> bytes:
    return image_bytes("JPEG", **options)


def png(**options) -> bytes:
    return image_bytes("PNG", **options)


def webp(**options) -> bytes:
    return image_bytes("WEBP", **options)


def heic(**options) -> bytes:
    return image_bytes("HEIF", **options)


def pdf(pages: int = 1, build=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if build:
        build(writer)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypt(user_password: str):
    return lambda writer: writer.encrypt(user_password, owner_password="owner")


def open_action(action: str, **entries):
    def build(writer):
        values = {NameObject("/S"): NameObject(action)}
        values.update({NameObject(k): TextStringObject(v) for k, v in entries.items()})
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject(values)

    return build


def link(action: DictionaryObject):
    def build(writer):
        rect = ArrayObject([FloatObject(v) for v in (10, 10, 100, 40)])
        writer.add_annotation(
            0,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Link"),
                    NameObject("/Rect"): rect,
                    NameObject("/A"): action,
                }
            ),
        )

    return build


def js_link(writer):
    action = {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")}
    link(DictionaryObject(action))(writer)


def uri_link(writer):
    action = {
        NameObject("/S"): NameObject("/URI"),
        NameObject("/URI"): TextStringObject("https://www.service-public.fr/"),
    }
    link(DictionaryObject(action))(writer)


def package(entries, first_stored: str | None = None) -> bytes:
    """A ZIP; ``entries`` maps names (or ZipInfo) to bytes."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            if name == first_stored:
                archive.writestr(zipfile.ZipInfo(name), content, zipfile.ZIP_STORED)
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def odt_entries(mimetype: str = ODT) -> dict:
    office = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    text = 'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    return {
        "mimetype": mimetype.encode(),
        "content.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {office} {text} '
            'office:version="1.3"><office:body><office:text><text:p>Attestation CAF</text:p>'
            "</office:text></office:body></office:document-content>"
        ).encode(),
        "META-INF/manifest.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>"
        ).encode(),
    }


def odt(extra=None, **options) -> bytes:
    entries = odt_entries(**options)
    entries.update(extra or {})
    return package(entries, first_stored="mimetype")


def content_types(main: str = WORD_MAIN, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
        '"http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/>{extra}</Types>'
    ).encode()


def docx_entries(document: bytes | None = None, **options) -> dict:
    return {
        "[Content_Types].xml": content_types(**options),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
            b'"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            b'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": document
        or (
            b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w='
            b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
            b"<w:t>Avis d'imposition</w:t></w:r></w:p></w:body></w:document>"
        ),
    }


def docx(extra=None, **options) -> bytes:
    entries = docx_entries(**options)
    entries.update(extra or {})
    return package(entries)


def symlink_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def with_symlink(base: dict) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in base.items():
            archive.writestr(name, content)
        archive.writestr(symlink_entry("word/media/image1.png"), b"/etc/passwd")
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def png_bomb(side: int = 30_000) -> bytes:
    """A real, valid all-black 1-bit PNG of side x side pixels: a few hundred kB."""
    row = b"\x00" * (1 + (side + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(compressor.compress(row * (side % 1000)) + compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims another size."""
    data = bytearray(jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def corrupt_png() -> bytes:
    data = bytearray(png())
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF  # one byte of the compressed pixels: the CRC no longer matches
    return bytes(data)


def escaped_launch_pdf() -> bytes:
    """The /Launch name written with a #xx escape, as malware does (same length)."""
    data = pdf(build=open_action("/Launch", **{"/F": "cmd.exe"}))
    assert data.count(b"/S /Launch\n") == 1
    return data.replace(b"/S /Launch\n", b"/S/L#61unch")


def lying_zip_sizes() -> bytes:
    """A DOCX whose image entry claims to inflate to 10 bytes but holds 2 MB."""
    name = "word/media/image1.bin"
    data = bytearray(docx(extra={name: b"\x00" * 2_000_000}))
    archive = zipfile.ZipFile(BytesIO(bytes(data)))
    local = archive.getinfo(name).header_offset
    central = data.index(name.encode(), archive.start_dir) - 46
    data[local + 22 : local + 26] = struct.pack("<I", 10)
    data[central + 24 : central + 28] = struct.pack("<I", 10)
    return bytes(data)


def corrupt_crc_docx() -> bytes:
    data = bytearray(docx())
    start = data.index(b"word/document.xml") + len(b"word/document.xml")
    data[start + 20] ^= 0xFF  # inside the deflated document.xml
    return bytes(data)


# Checks


def assert_french_sentence(text: str) -> None:
    assert text and text == text.strip()
    assert text[0].isupper() and text.endswith(".")
    assert "${" not in text
    words = set(re.findall(r"[a-zà-ÿ]+", text.lower()))
    assert words & FRENCH_WORDS, text


def refusal(data: bytes, **options) -> DepositRefused:
    with pytest.raises(DepositRefused) as caught:
        inspect_upload(data, **options)
    return caught.value


def is_red(pixel) -> bool:
    return pixel[0] > 150 and pixel[1] < 100 and pixel[2] < 100


def metadata_of(data: bytes) -> tuple[dict, dict]:
    with Image.open(BytesIO(data)) as image:
        return dict(image.getexif()), dict(image.info)


# Hostile inputs: (id, bytes maker, filename, declared type, expected code)

HOSTILE = [
    ("empty", lambda: b"", "scan.pdf", "application/pdf", "empty"),
    ("over-limit", lambda: b"%PDF-1.7\n" + b"0" * 2000, "big.pdf", "", "too_large"),
    ("exe-named-pdf", lambda: b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00", "doc.pdf", "", ""),
    ("elf", lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 120, "photo.jpg", "image/jpeg", ""),
    ("html", lambda: b"<!DOCTYPE html><html><body>Bonjour</body></html>", "a.pdf", "", ""),
    (
        "svg-with-script",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "logo.png",
        "image/png",
        "",
    ),
    ("plain-text", lambda: b"Mot de passe : 1234\n", "notes.docx", DOCX, ""),
    ("gif", lambda: image_bytes("GIF", mode="P"), "photo.png", "image/png", ""),
    ("tiff", lambda: image_bytes("TIFF"), "scan.jpg", "image/jpeg", ""),
    ("bmp", lambda: image_bytes("BMP"), "scan.jpg", "", ""),
    ("plain-zip", lambda: package({"a.txt": b"hello"}), "archive.docx", DOCX, ""),
    ("legacy-doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "x.docx", "", ""),
    (
        "avif-container",
        lambda: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64,
        "photo.heic",
        "image/heic",
        "",
    ),
    ("jpeg-zip-polyglot", lambda: jpeg() + package({"x.js": b"evil()"}), "a.jpg", "", ""),
    ("pdf-zip-polyglot", lambda: pdf() + package({"x.js": b"evil()"}), "a.pdf", "", ""),
    (
        "html-pdf-polyglot",
        lambda: b"<html><script>evil()</script><!--\n" + pdf() + b"-->",
        "a.pdf",
        "application/pdf",
        "",
    ),
    (
        "xlsx",
        lambda: docx(
            main="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
        ),
        "a.docx",
        "",
        "",
    ),
    (
        "ods",
        lambda: odt(mimetype="application/vnd.oasis.opendocument.spreadsheet"),
        "a.odt",
        ODT,
        "",
    ),
    ("epub", lambda: odt(mimetype="application/epub+zip"), "book.odt", "", ""),
    ("gif-declared-png", lambda: image_bytes("GIF", mode="P"), "x.png", "image/png", ""),
    ("truncated-jpeg", lambda: jpeg(size=(400, 300))[:600], "a.jpg", "", "malformed_image"),
    ("corrupt-png", corrupt_png, "a.png", "", "malformed_image"),
    ("truncated-webp", lambda: webp(size=(300, 200))[:100], "a.webp", "", "malformed_image"),
    ("truncated-heic", lambda: heic(size=(300, 200))[:300], "a.heic", "", "malformed_image"),
    ("png-bomb-30000", png_bomb, "a.png", "", "decompression_bomb"),
    (
        "png-64-megapixels",
        lambda: png(size=(8000, 8000), mode="1"),
        "a.png",
        "",
        "decompression_bomb",
    ),
    ("jpeg-header-bomb", lambda: jpeg_claiming(60000, 60000), "a.jpg", "", "decompression_bomb"),
    ("pdf-garbage", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8, "a.pdf", "", "malformed_pdf"),
    ("pdf-truncated", lambda: pdf(pages=3)[:-200], "a.pdf", "", "malformed_pdf"),
    ("pdf-cut-in-middle", lambda: pdf()[:150] + pdf()[-200:], "a.pdf", "", "malformed_pdf"),
    ("pdf-zero-pages", lambda: pdf(pages=0), "a.pdf", "", "malformed_pdf"),
    ("pdf-encrypted", lambda: pdf(build=encrypt("secret")), "a.pdf", "", "encrypted_pdf"),
    ("pdf-owner-password-only", lambda: pdf(build=encrypt("")), "a.pdf", "", "encrypted_pdf"),
    (
        "pdf-document-javascript",
        lambda: pdf(build=lambda w: w.add_open_action(JavaScript("app.alert('x');"))),
        "a.pdf",
        "",
        "pdf_active_content",
    ),
    (
        "pdf-openaction-javascript",
        lambda: pdf(build=open_action("/JavaScript", **{"/JS": "app.launchURL('x')"})),
        "a.pdf",
        "",
        "pdf_active_content",
    ),
    (
        "pdf-launch",
        lambda: pdf(build=open_action("/Launch", **{"/F": "cmd.exe"})),
        "a.pdf",
        "",
        "pdf_active_content",
    ),
    ("pdf-link-javascript", lambda: pdf(build=js_link), "a.pdf", "", "pdf_active_content"),
    ("pdf-escaped-name", escaped_launch_pdf, "a.pdf", "", "pdf_active_content"),
    (
        "docx-zip-bomb",
        lambda: docx(extra={"word/media/image1.png": b"\x00" * (101 * 1024 * 1024)}),
        "a.docx",
        DOCX,
        "zip_bomb",
    ),
    (
        "docx-ratio-bomb",
        lambda: docx(extra={"word/media/image1.png": b"\x00" * (5 * 1024 * 1024)}),
        "a.docx",
        "",
        "zip_bomb",
    ),
    ("docx-lying-sizes", lying_zip_sizes, "a.docx", "", "malformed_office"),
    (
        "odt-path-traversal",
        lambda: odt(extra={"../../../etc/cron.d/evil": b"* * * * * root sh"}),
        "a.odt",
        ODT,
        "path_traversal",
    ),
    (
        "docx-absolute-path",
        lambda: docx(extra={"/etc/passwd": b"root"}),
        "a.docx",
        "",
        "path_traversal",
    ),
    (
        "docx-windows-path",
        lambda: docx(extra={"..\\..\\Windows\\evil.dll": b"MZ"}),
        "a.docx",
        "",
        "path_traversal",
    ),
    ("docx-symlink", lambda: with_symlink(docx_entries()), "a.docx", "", "path_traversal"),
    (
        "docx-vba-project",
        lambda: docx(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}),
        "a.docx",
        DOCX,
        "office_macros",
    ),
    (
        "docm-declared",
        lambda: docx(main="application/vnd.ms-word.document.macroEnabled.main+xml"),
        "a.docx",
        "",
        "office_macros",
    ),
    (
        "odt-basic-macro",
        lambda: odt(extra={"Basic/Standard/Module1.xml": b"<script:module/>"}),
        "a.odt",
        "",
        "office_macros",
    ),
    (
        "odt-encrypted",
        lambda: odt(
            extra={
                "META-INF/manifest.xml": b'<?xml version="1.0"?><manifest:manifest xmlns:manifest'
                b'="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                b'manifest:full-path="content.xml"><manifest:encryption-data/>'
                b"</manifest:file-entry></manifest:manifest>",
                "content.xml": bytes(random.Random(1).randbytes(300)),
            }
        ),
        "a.odt",
        "",
        "encrypted_office",
    ),
    (
        "docx-billion-laughs",
        lambda: docx(
            document=b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><w:document>&lol2;</w:document>'
        ),
        "a.docx",
        "",
        "malformed_office",
    ),
    ("docx-truncated", lambda: docx()[:-40], "a.docx", "", "malformed_office"),
    ("docx-bad-crc", corrupt_crc_docx, "a.docx", "", "malformed_office"),
    (
        "docx-missing-main-part",
        lambda: package({k: v for k, v in docx_entries().items() if k != "word/document.xml"}),
        "a.docx",
        "",
        "malformed_office",
    ),
    (
        "docx-broken-xml",
        lambda: docx(document=b"<w:document><w:body>"),
        "a.docx",
        "",
        "malformed_office",
    ),
]


@pytest.mark.parametrize(
    ("make", "filename", "declared", "code"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_hostile_input_is_refused_with_a_stable_code_and_a_french_message(
    make, filename, declared, code
):
    data = make()
    max_size = 1000 if code == "too_large" else 20 * 1024 * 1024
    refused = refusal(data, filename=filename, declared_type=declared, max_size=max_size)
    assert refused.code == (code or "unsupported_type")
    assert_french_sentence(refused.message_fr)
    assert str(refused) and "${" not in str(refused)


def test_at_least_twenty_distinct_hostile_inputs_are_tested():
    assert len({case[0] for case in HOSTILE}) == len(HOSTILE) >= 20


# Refusal messages


def test_every_code_has_an_english_message_for_the_catalogs_and_a_french_sentence():
    for code in REFUSAL_CODES:
        refused = DepositRefused(code, {"limit": "20 MB"}, {"limit": "20 Mo"})
        assert isinstance(refused, ValueError)
        assert isinstance(refused.message, Message)
        assert refused.message.domain == "ccas.vault"
        assert refused.message.default == str(refused.message)
        assert str(refused).endswith(".") and "${" not in str(refused)
        assert_french_sentence(refused.message_fr)
    assert len({DepositRefused(code).message_fr for code in REFUSAL_CODES}) >= 12


def test_the_size_limit_is_told_in_the_message():
    refused = refusal(b"x" * (20 * 1024 * 1024 + 1))
    assert refused.code == "too_large"
    assert str(refused) == "The file is larger than the limit of 20 MB."
    assert "20 Mo" in refused.message_fr
    assert refused.message.mapping == {"limit": "20 MB"}
    assert refusal(b"x" * 3000, max_size=2560).message_fr.count("2,5 ko") == 1


def test_the_size_limit_is_checked_before_anything_else():
    data = pdf()
    assert inspect_upload(data, max_size=len(data)).content_type == "application/pdf"
    assert refusal(data, max_size=len(data) - 1).code == "too_large"


# Accepted files


ACCEPTED = [
    ("pdf", pdf, "application/pdf", ".pdf", "application/pdf"),
    ("jpeg", jpeg, "image/jpeg", ".jpg", "image/jpeg"),
    ("png", png, "image/png", ".png", "image/png"),
    ("webp", webp, "image/webp", ".webp", "image/webp"),
    ("heic", heic, "image/jpeg", ".jpg", "image/heic"),
    ("odt", odt, ODT, ".odt", ODT),
    ("docx", docx, DOCX, ".docx", DOCX),
]


@pytest.mark.parametrize(
    ("make", "content_type", "extension", "original"),
    [case[1:] for case in ACCEPTED],
    ids=[case[0] for case in ACCEPTED],
)
def test_accepted_type(make, content_type, extension, original):
    inspected = inspect_upload(make(), filename="Justificatif de domicile.bin")
    assert isinstance(inspected, InspectedFile)
    assert inspected.content_type == content_type
    assert inspected.extension == extension
    assert inspected.original_content_type == original
    assert inspected.filename == "Justificatif de domicile" + extension
    assert inspected.sha256 == hashlib.sha256(inspected.data).hexdigest()


@pytest.mark.parametrize("make", [pdf, odt, docx], ids=["pdf", "odt", "docx"])
def test_documents_are_stored_byte_for_byte(make):
    data = make()
    inspected = inspect_upload(data, filename="a")
    assert inspected.data == data
    assert inspected.sha256 == hashlib.sha256(data).hexdigest()


def test_pdf_with_links_and_several_pages_is_accepted_unchanged():
    data = pdf(pages=3, build=uri_link)
    inspected = inspect_upload(data, filename="avis.pdf")
    assert inspected.data == data
    assert len(PdfReader(BytesIO(inspected.data)).pages) == 3


def test_gps_exif_and_xmp_are_removed_from_a_jpeg_and_the_orientation_is_applied():
    data = jpeg(size=(60, 40), exif=exif_with_gps(orientation=6), xmp=XMP)
    exif, info = metadata_of(data)
    assert ExifTags.IFD.GPSInfo in exif and "xmp" in info  # the sample really has them
    inspected = inspect_upload(data, filename="IMG_0001.JPG")
    exif, info = metadata_of(inspected.data)
    assert exif == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(info)
    assert b"Phone" not in inspected.data and b"GPS" not in inspected.data
    with Image.open(BytesIO(inspected.data)) as image:
        assert image.size == (40, 60)  # rotated, then the orientation tag is gone
        assert is_red(image.getpixel((39, 0))) and not is_red(image.getpixel((0, 0)))
    assert inspected.filename == "IMG_0001.jpg"


def test_exif_and_text_chunks_are_removed_from_a_png():
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Author", "Alice Martin")
    data = png(exif=exif_with_gps(), pnginfo=text)
    assert metadata_of(data)[0]
    inspected = inspect_upload(data)
    exif, info = metadata_of(inspected.data)
    assert exif == {}
    assert "Author" not in info and b"Alice" not in inspected.data


def test_palette_png_keeps_its_transparency():
    image = Image.new("P", (20, 20), 0)
    image.putpalette([255, 0, 0, 0, 0, 255])
    buffer = BytesIO()
    image.save(buffer, format="PNG", transparency=0)
    inspected = inspect_upload(buffer.getvalue())
    with Image.open(BytesIO(inspected.data)) as cleaned:
        assert cleaned.mode == "P" and cleaned.info["transparency"] == 0


def test_exif_is_removed_from_a_webp_and_lossless_stays_lossless():
    data = webp(exif=exif_with_gps(), lossless=True)
    inspected = inspect_upload(data)
    assert metadata_of(inspected.data)[0] == {}
    assert b"VP8L" in inspected.data[:64]


def test_heic_becomes_a_jpeg_without_gps():
    data = heic(exif=exif_with_gps())
    assert data[4:12] == b"ftypheic"
    inspected = inspect_upload(data, filename="IMG_2024.HEIC", declared_type="image/heic")
    assert (inspected.content_type, inspected.original_content_type) == ("image/jpeg", "image/heic")
    assert inspected.filename == "IMG_2024.jpg"
    assert inspected.data.startswith(b"\xff\xd8\xff")
    with Image.open(BytesIO(inspected.data), formats=["JPEG"]) as image:
        assert image.size == (60, 40)
        assert dict(image.getexif()) == {}


def test_heic_rotation_is_applied_once():
    """libheif applies the irot box; the EXIF orientation must not rotate again."""
    data = heic(exif=exif_with_gps(orientation=6).tobytes())
    assert b"irot" in data
    inspected = inspect_upload(data)
    with Image.open(BytesIO(inspected.data)) as cleaned:
        assert cleaned.size == (40, 60)
        assert is_red(cleaned.getpixel((39, 0))) and not is_red(cleaned.getpixel((0, 0)))
        assert dict(cleaned.getexif()) == {}


def test_transparent_heic_and_cmyk_jpeg_become_rgb_jpeg():
    for data in (heic(mode="RGBA"), jpeg(mode="CMYK")):
        inspected = inspect_upload(data)
        with Image.open(BytesIO(inspected.data)) as image:
            assert (image.format, image.mode) == ("JPEG", "RGB")


# Content decides, never the name or the declared type


def test_a_pdf_named_photo_jpg_is_a_pdf():
    inspected = inspect_upload(pdf(), filename="photo.jpg", declared_type="image/jpeg")
    assert (inspected.content_type, inspected.filename) == ("application/pdf", "photo.pdf")


def test_a_jpeg_named_and_declared_as_pdf_is_a_jpeg():
    inspected = inspect_upload(jpeg(), filename="contrat.pdf", declared_type="application/pdf")
    assert (inspected.content_type, inspected.filename) == ("image/jpeg", "contrat.jpg")


def test_a_docx_named_odt_is_a_docx():
    inspected = inspect_upload(docx(), filename="lettre.odt", declared_type=ODT)
    assert (inspected.content_type, inspected.extension) == (DOCX, ".docx")


# Filenames


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\alice\\Documents\\CAF mai.PDF", "CAF mai.pdf"),
        ("/var/www/index.html", "index.pdf"),
        ("facture\u202egpj.exe", "facturegpj.pdf"),  # right-to-left override removed
        ("bulletin\x00\n\tpaie.pdf", "bulletinpaie.pdf"),
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("   ..hidden.pdf  ", "hidden.pdf"),
        ("....", "document.pdf"),
        ("", "document.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("rapport.final.docx", "rapport.final.pdf"),
        ("Quittance  de   loyer", "Quittance de loyer.pdf"),
        ("e\u0301te\u0301.pdf", "\u00e9t\u00e9.pdf"),  # NFC
    ],
)
def test_filename_is_made_safe(filename, expected):
    assert inspect_upload(pdf(), filename=filename).filename == expected


def test_filename_is_length_limited_without_cutting_a_character():
    name = safe_filename("é" * 300 + ".jpg", ".jpg")
    assert name.endswith(".jpg") and len(name.encode()) <= 120 + 4
    assert name.removesuffix(".jpg") == "é" * 60


# Robustness


SAMPLES = [pdf, jpeg, png, webp, heic, odt, docx]


@pytest.mark.parametrize("make", SAMPLES, ids=[case[0] for case in ACCEPTED])
def test_damaged_files_never_raise_anything_but_a_refusal(make):
    rng = random.Random(20240517)
    data = make()
    for _ in range(60):
        damaged = bytearray(data)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(1, len(damaged))]
        for _ in range(rng.randrange(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            inspected = inspect_upload(bytes(damaged))
        except DepositRefused as refused:
            assert refused.code in REFUSAL_CODES
        else:
            assert inspected.content_type in {case[2] for case in ACCEPTED}


def test_bytes_like_input_is_accepted_and_anything_else_is_a_programming_error():
    assert inspect_upload(bytearray(pdf())).content_type == "application/pdf"
    assert inspect_upload(memoryview(png())).content_type == "image/png"
    with pytest.raises(TypeError):
        inspect_upload(1000)


def test_inspection_of_a_large_photo_is_quick():
    data = jpeg(size=(4000, 3000), exif=exif_with_gps())
    start = time.perf_counter()
    inspected = inspect_upload(data)
    assert time.perf_counter() - start < 5
    assert metadata_of(inspected.data)[0] == {}
