"""Recognise the accepted formats from their bytes, check them, clean images.

The type is decided by the content only: magic bytes first, then the
structure (a full parse). A file that carries the signature of two formats
(a polyglot, e.g. a JPEG followed by a ZIP archive, or an HTML page with a
``%PDF-`` header inside its first kilobyte) is refused: it is not cleanly one
accepted type, and another program could read it as the other one.

Images (JPEG, PNG, WebP, HEIC/HEIF) are fully decoded and re-encoded from
their pixels: EXIF (GPS included), XMP, IPTC, ICC profiles, text chunks,
thumbnails and extra frames are dropped; the EXIF orientation is applied to
the pixels first. HEIC/HEIF become JPEG (browsers cannot show HEIC). Only
the resolution (dpi) and PNG transparency are kept. The pixel count is checked
on the header, before decoding, against ``MAX_PIXELS``.

PDFs are stored byte for byte (the certification hashes the original bytes),
so nothing can be removed from them: a PDF is either accepted as it is or
refused. It must parse with pypdf in strict mode, have ``%%EOF`` in its last
kilobyte (a cut incremental update would otherwise pass), have at least one
page and no encryption (the CCAS could neither preview nor certify it). A PDF
holding JavaScript (a ``/JS`` entry, a ``/JavaScript`` action or name tree) or
a ``/Launch`` action (which starts a program) is refused too: scripts run in
the reader of every agent who opens the document, and the person can always
produce a clean copy with "Print to PDF". So is any XFA form (an ``/XFA`` entry,
with or without ``<script>``, decision 0038): XFA carries its own scripts in
XML streams (``<script>``, ``<event>``, ``<calculate>``…) that the key scan
cannot see, it was removed from PDF 2.0, and browsers cannot show it. Every
object of the cross-reference table is inspected, reachable or not, and names
are compared after pypdf has decoded their ``#xx`` escapes. Links (``/URI``),
AcroForm forms without scripts and attachments are accepted.

ODT and DOCX are ZIP packages, stored unchanged. They are refused when the
archive could hurt whoever unpacks it (entry names with ``..``, absolute or
Windows paths, symbolic links), when it expands too much (``MAX_UNCOMPRESSED``
in total, measured while reading, or an entry above ``MAX_RATIO``), when it
carries macros or ActiveX controls, when it is encrypted, or when an entry
fails its CRC or an XML part is not well-formed (DTDs are refused: no
entity expansion).
"""

from dataclasses import dataclass
from io import BytesIO
from PIL import Image
from PIL import ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject
from pypdf.generic import DictionaryObject
from pypdf.generic import IndirectObject
from xml.etree import ElementTree
from xml.parsers import expat
import pillow_heif
import re
import stat
import zipfile
import zlib


MAX_PIXELS = 50_000_000
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # entries smaller than this may compress as well as they like
MAX_ENTRIES = 10_000
JPEG_QUALITY = 90

PDF_TYPE = "application/pdf"
JPEG_TYPE = "image/jpeg"
PNG_TYPE = "image/png"
WEBP_TYPE = "image/webp"
HEIC_TYPE = "image/heic"
HEIF_TYPE = "image/heif"
ZIP_TYPE = "application/zip"
ODT_TYPE = "application/vnd.oasis.opendocument.text"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

EXTENSIONS = {
    PDF_TYPE: ".pdf",
    JPEG_TYPE: ".jpg",
    PNG_TYPE: ".png",
    WEBP_TYPE: ".webp",
    ODT_TYPE: ".odt",
    DOCX_TYPE: ".docx",
}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_PILLOW_FORMATS = {JPEG_TYPE: "JPEG", PNG_TYPE: "PNG", WEBP_TYPE: "WEBP"}
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_PDF_ACTIONS = frozenset({"/JavaScript", "/Launch"})

_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_WORD_MACRO_MAINS = frozenset(
    {
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    }
)
_ACTIVE_PART_TYPES = frozenset(
    {
        "application/vnd.ms-office.vbaProject",
        "application/vnd.ms-office.vbaProjectSignature",
        "application/vnd.ms-word.vbaData+xml",
        "application/vnd.ms-office.activeX+xml",
        "application/vnd.ms-office.activeX",
    }
)


class Refusal(Exception):
    """A file is refused; ``code`` is the stable machine code."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Checked:
    """The bytes to store, their type, and the type detected before conversion."""

    data: bytes
    content_type: str
    original_content_type: str


def check(data: bytes) -> Checked:
    """Detect the type of ``data``, check it, and return what to store."""
    kind = sniff(data)
    if kind == PDF_TYPE:
        check_pdf(data)
        return Checked(data, PDF_TYPE, PDF_TYPE)
    if kind == ZIP_TYPE:
        content_type = check_office(data)
        return Checked(data, content_type, content_type)
    cleaned, content_type = clean_image(data, kind)
    return Checked(cleaned, content_type, kind)


# Detection


def sniff(data: bytes) -> str:
    """Return the only accepted family the magic bytes announce, or refuse."""
    found = set()
    if data.startswith(b"%PDF-"):
        found.add(PDF_TYPE)
    elif b"%PDF-" in data[:1024]:
        found.add("late-pdf")  # readers accept it, we do not: HTML/PDF polyglots
    if data.startswith(b"\xff\xd8\xff"):
        found.add(JPEG_TYPE)
    if data.startswith(_PNG_SIGNATURE):
        found.add(PNG_TYPE)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        found.add(WEBP_TYPE)
    heif = heif_type(data)
    if heif:
        found.add(heif)
    if data.startswith(b"PK\x03\x04") or _has_zip_directory(data):
        found.add(ZIP_TYPE)
    if len(found) != 1 or "late-pdf" in found:
        raise Refusal("unsupported_type")
    return found.pop()


def heif_type(data: bytes) -> str | None:
    """Return image/heic or image/heif for an ISO-BMFF HEVC image, else None."""
    if data[4:8] != b"ftyp":
        return None
    size = int.from_bytes(data[:4], "big")
    if not 16 <= size <= min(len(data), 4096):
        return None
    major = data[8:12]
    brands = {data[i : i + 4] for i in range(16, size - 3, 4)}
    if major in _HEIC_BRANDS:
        return HEIC_TYPE
    if major in _HEIF_BRANDS and brands & _HEIC_BRANDS:
        return HEIF_TYPE
    return None  # AVIF, MP4, QuickTime, 3GP...


def _has_zip_directory(data: bytes) -> bool:
    """Whether a ZIP central directory with entries ends the data."""
    if b"PK\x05\x06" not in data[-(65535 + 22) :]:
        return False
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return bool(archive.infolist())
    except Exception:
        return False


# PDF


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that is malformed, encrypted, or holds scripts or launch actions."""
    if not _PDF_HEADER.match(data) or b"%%EOF" not in data[-1024:]:
        raise Refusal("malformed_pdf")
    try:
        reader = PdfReader(BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise Refusal("encrypted_pdf")
        pages = reader.pages
        if len(pages) == 0:
            raise Refusal("malformed_pdf")
        for page in pages:
            page.mediabox  # noqa: B018 - parses every page dictionary
        if _has_active_content(reader):
            raise Refusal("pdf_active_content")
    except Refusal:
        raise
    except Exception as error:
        raise Refusal("malformed_pdf") from error


def _pdf_objects(reader: PdfReader):
    """Yield every object of the cross-reference table, reachable or not."""
    yield reader.trailer
    for generation, numbers in reader.xref.items():
        for number in numbers:
            yield reader.get_object(IndirectObject(number, generation, reader))
    for number in reader.xref_objStm:
        yield reader.get_object(number)


def _has_active_content(reader: PdfReader) -> bool:
    """Whether any object holds JavaScript, an XFA form or a launch action."""
    for top in _pdf_objects(reader):
        stack = [top]
        while stack:
            item = stack.pop()
            if isinstance(item, DictionaryObject):
                if "/JS" in item or "/JavaScript" in item or "/XFA" in item:
                    return True
                action = item.get("/S")
                if isinstance(action, IndirectObject):
                    action = action.get_object()
                if action in _PDF_ACTIONS:
                    return True
                stack.extend(dict.values(item))
            elif isinstance(item, ArrayObject):
                stack.extend(list.__iter__(item))
    return False


# Images


def clean_image(data: bytes, kind: str) -> tuple[bytes, str]:
    """Decode the image fully and re-encode its pixels only; return bytes and type."""
    try:
        if kind in (HEIC_TYPE, HEIF_TYPE):
            heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
            _check_pixels(heif.size)
            image = heif.to_pillow()  # libheif has applied the irot/imir transforms
            return _encode_jpeg(image, {}), JPEG_TYPE
        image = _decode(data, _PILLOW_FORMATS[kind])
        kept = _kept_info(image)
        image = _upright(image)
        if kind == JPEG_TYPE:
            return _encode_jpeg(image, kept), JPEG_TYPE
        if kind == PNG_TYPE:
            return _encode_png(image, kept), PNG_TYPE
        return _encode_webp(image, lossless=_webp_is_lossless(data)), WEBP_TYPE
    except Refusal:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refusal("decompression_bomb") from error
    except Exception as error:
        raise Refusal("malformed_image") from error


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    limit = min(MAX_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_PIXELS)
    if width <= 0 or height <= 0:
        raise Refusal("malformed_image")
    if width * height > limit:
        raise Refusal("decompression_bomb")


def _decode(data: bytes, pillow_format: str) -> Image.Image:
    """Open with the one plugin the magic bytes chose, check the size, decode.

    Pillow's own truncation checks obey ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES``, a
    process-wide switch that plone.scale turns on when it is imported (every Zope
    process): a cut JPEG or PNG is then decoded padded with grey and accepted.  The
    completeness of JPEG and PNG is therefore checked here on the bytes themselves,
    whatever that switch says (decision 0038).
    """
    image = Image.open(BytesIO(data), formats=[pillow_format])  # reads the header only
    _check_pixels(image.size)
    if pillow_format == "JPEG":
        _check_jpeg_complete(data)
    elif pillow_format == "PNG":
        _check_png_complete(data)
        Image.open(BytesIO(data), formats=["PNG"]).verify()  # CRC of every chunk
    image.load()  # full decode: corrupt data raises here
    return image


_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length


def _check_jpeg_complete(data: bytes) -> None:
    """Walk the JPEG's segments and entropy-coded scans up to its EOI marker.

    Bytes after EOI are allowed (some cameras append data); a file that ends before
    its EOI (cut in a header or in a scan) is refused.
    """
    size = len(data)
    if data[:2] != b"\xff\xd8":
        raise Refusal("malformed_image")
    pos = 2
    while True:
        if pos >= size or data[pos] != 0xFF:  # a marker must follow: a cut or junk
            raise Refusal("malformed_image")
        while pos < size and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= size:
            raise Refusal("malformed_image")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return
        if marker in _JPEG_STANDALONE:
            continue
        if pos + 2 > size:
            raise Refusal("malformed_image")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > size:
            raise Refusal("malformed_image")
        pos += length
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= size:
                    raise Refusal("malformed_image")
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos += 1 if following == 0xFF else 2
                    continue
                break


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2))
_ADAM7 += ((0, 1, 1, 2),)


def _check_png_complete(data: bytes) -> None:
    """Every chunk whole with its CRC, an ``IEND``, and image data that fill every row.

    The ``IDAT`` stream must be a complete zlib stream that inflates to exactly the
    rows the header announces (interlaced images included).
    """
    size = len(data)
    pos = len(_PNG_SIGNATURE)
    header = None
    inflater = zlib.decompressobj()
    inflated = 0
    while True:
        if pos + 8 > size:
            raise Refusal("malformed_image")
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if length > 0x7FFFFFFF or end + 4 > size:
            raise Refusal("malformed_image")
        body = data[pos + 8 : end]
        if zlib.crc32(kind + body) != int.from_bytes(data[end : end + 4], "big"):
            raise Refusal("malformed_image")
        pos = end + 4
        if kind == b"IHDR" and header is None and length == 13:
            header = body
        elif kind == b"IDAT":
            if header is None or (inflater.eof and body):
                raise Refusal("malformed_image")
            inflated += _inflate_counting(inflater, body)
        elif kind == b"IEND":
            break
    if header is None or not inflater.eof or inflated != _png_data_size(header):
        raise Refusal("malformed_image")


def _inflate_counting(inflater, chunk: bytes, step: int = 1024 * 1024) -> int:
    """Feed ``chunk`` to ``inflater``; return how many bytes came out (at most ``step`` held)."""
    count = 0
    while not inflater.eof:
        out = inflater.decompress(chunk, step)
        count += len(out)
        chunk = inflater.unconsumed_tail
        if not chunk and len(out) < step:  # input used up and no output held back
            break
    return count


def _png_data_size(header: bytes) -> int:
    """Bytes of filtered scanlines an IHDR announces (filter byte included)."""
    width = int.from_bytes(header[0:4], "big")
    height = int.from_bytes(header[4:8], "big")
    depth, color, interlace = header[8], header[9], header[12]
    if color not in _PNG_CHANNELS:
        raise Refusal("malformed_image")
    bits = depth * _PNG_CHANNELS[color]

    def rows(w: int, h: int) -> int:
        return h * (1 + (w * bits + 7) // 8) if w and h else 0

    if not interlace:
        return rows(width, height)
    total = 0
    for x0, y0, dx, dy in _ADAM7:
        total += rows((width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy)
    return total


def _kept_info(image: Image.Image) -> dict:
    """The only information worth keeping: resolution and PNG transparency."""
    kept = {}
    dpi = image.info.get("dpi")
    if (
        isinstance(dpi, tuple)
        and len(dpi) == 2
        and all(isinstance(v, int | float) and 1 <= v <= 65535 for v in dpi)
    ):
        kept["dpi"] = tuple(round(v) for v in dpi)
    if "transparency" in image.info:
        kept["transparency"] = image.info["transparency"]
    return kept


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; return a copy without any metadata."""
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:
        upright = image.copy()  # unreadable EXIF: keep the stored pixels
    upright.info = {}
    return upright


def _encode_jpeg(image: Image.Image, kept: dict) -> bytes:
    if image.mode not in ("RGB", "L"):
        image = _flatten(image)
    options = {"quality": JPEG_QUALITY, "optimize": True}
    if "dpi" in kept:
        options["dpi"] = kept["dpi"]
    return _save(image, "JPEG", options)


def _encode_png(image: Image.Image, kept: dict) -> bytes:
    return _save(image, "PNG", kept)


def _encode_webp(image: Image.Image, lossless: bool) -> bytes:
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    options = {"lossless": True} if lossless else {"quality": JPEG_QUALITY}
    return _save(image, "WEBP", options)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a white background for JPEG, which has no alpha channel."""
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _save(image: Image.Image, pillow_format: str, options: dict) -> bytes:
    image.info = {}  # nothing from the source reaches the encoder
    buffer = BytesIO()
    image.save(buffer, format=pillow_format, **options)
    return buffer.getvalue()


def _webp_is_lossless(data: bytes) -> bool:
    """Whether the first bitstream chunk of the RIFF container is VP8L."""
    offset = 12
    while offset + 8 <= len(data):
        fourcc = data[offset : offset + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)
    return False


# Office packages


def check_office(data: bytes) -> str:
    """Return the content type of a safe ODT or DOCX package, or refuse."""
    if not data.startswith(b"PK\x03\x04"):
        raise Refusal("unsupported_type")  # something glued in front of an archive
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return _check_package(archive, data)
    except Refusal:
        raise
    except Exception as error:
        raise Refusal("malformed_office") from error


def _check_package(archive: zipfile.ZipFile, data: bytes) -> str:
    infos = archive.infolist()
    if not infos:
        raise Refusal("malformed_office")
    if len(infos) > MAX_ENTRIES:
        raise Refusal("zip_bomb")
    _check_names(infos)
    _check_sizes(infos)
    if _is_odf(infos, data):
        content_type = ODT_TYPE
        check_kind = _check_odt
    elif "[Content_Types].xml" in archive.NameToInfo:
        content_type = DOCX_TYPE
        check_kind = _check_docx
    else:
        raise Refusal("unsupported_type")  # a plain ZIP, a JAR...
    if any(info.flag_bits & 0x1 for info in infos):
        raise Refusal("malformed_office")  # ZIP encryption: no office suite writes it
    if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
        raise Refusal("malformed_office")
    if any(info.filename.rsplit("/", 1)[-1].lower() == "vbaproject.bin" for info in infos):
        raise Refusal("office_macros")
    check_kind(archive)
    _read_everything(archive, infos)
    return content_type


def _check_names(infos: list[zipfile.ZipInfo]) -> None:
    seen = set()
    for info in infos:
        name = info.filename
        if (
            not name
            or name.startswith("/")
            or "\\" in name
            or re.match(r"[A-Za-z]:", name)
            or any(ord(char) < 32 or ord(char) == 127 for char in name)
            or ".." in name.split("/")
            or stat.S_ISLNK(info.external_attr >> 16)
        ):
            raise Refusal("path_traversal")
        if name.lower() in seen:
            raise Refusal("malformed_office")  # two entries for one part
        seen.add(name.lower())


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse on the declared sizes; the real ones are checked while reading."""
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
        raise Refusal("zip_bomb")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise Refusal("zip_bomb")


def _is_odf(infos: list[zipfile.ZipInfo], data: bytes) -> bool:
    """ODF: the first entry is an uncompressed ``mimetype``, at offset 0."""
    first = infos[0]
    return (
        first.filename == "mimetype"
        and first.compress_type == zipfile.ZIP_STORED
        and first.header_offset == 0
        and data[30:38] == b"mimetype"
    )


def _check_odt(archive: zipfile.ZipFile) -> None:
    """A text document (not a spreadsheet, EPUB...), without macros, not encrypted."""
    if _read_small(archive, "mimetype", limit=256) != ODT_TYPE.encode():
        raise Refusal("unsupported_type")
    for name in archive.NameToInfo:
        parts = name.split("/")
        if parts[0] == "Scripts" and parts[-1]:
            raise Refusal("office_macros")  # Python, JavaScript, BeanShell
        if parts[0] == "Basic" and len(parts) == 3 and parts[2] not in ("", "script-lb.xml"):
            raise Refusal("office_macros")  # a Basic module: Basic/<library>/<module>.xml
    if b"encryption-data" in _read_small(archive, "META-INF/manifest.xml"):
        raise Refusal("encrypted_office")
    if "content.xml" not in archive.NameToInfo:
        raise Refusal("malformed_office")


def _check_docx(archive: zipfile.ZipFile) -> None:
    """A Word document (not XLSX, PPTX, a template), without macros or ActiveX."""
    root = _parse_small_xml(_read_small(archive, "[Content_Types].xml"))
    overrides = {}
    declared = set()
    for element in root:
        content_type = element.get("ContentType", "")
        declared.add(content_type)
        if element.tag == f"{_CONTENT_TYPES_NS}Override":
            overrides[element.get("PartName", "").lstrip("/")] = content_type
    if declared & _WORD_MACRO_MAINS or declared & _ACTIVE_PART_TYPES:
        raise Refusal("office_macros")
    if any(name.lower().startswith("word/activex/") for name in archive.NameToInfo):
        raise Refusal("office_macros")
    mains = [part for part, content_type in overrides.items() if content_type == _WORD_MAIN]
    if not mains:
        raise Refusal("unsupported_type")
    if any(part not in archive.NameToInfo for part in mains):
        raise Refusal("malformed_office")


def _read_small(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    info = archive.NameToInfo.get(name)
    if info is None or info.file_size > limit:
        raise Refusal("malformed_office")
    return archive.read(info)


def _parse_small_xml(data: bytes) -> ElementTree.Element:
    _check_xml([data])
    return ElementTree.fromstring(data)


def _check_xml(chunks) -> None:
    """Refuse XML that is not well-formed or declares a DTD (entity expansion)."""

    def refuse(*args):
        raise Refusal("malformed_office")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise Refusal("malformed_office") from error


def _read_everything(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Inflate every entry (CRC checked), count real bytes, parse the XML parts."""
    total = 0

    def chunks(info: zipfile.ZipInfo):
        nonlocal total
        with archive.open(info) as stream:
            while chunk := stream.read(64 * 1024):
                total += len(chunk)
                if total > MAX_UNCOMPRESSED:
                    raise Refusal("zip_bomb")
                yield chunk

    for info in infos:
        if info.is_dir():
            continue
        if info.filename.lower().endswith((".xml", ".rels")):
            _check_xml(chunks(info))
        else:
            for _chunk in chunks(info):
                pass
