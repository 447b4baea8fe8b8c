"""Inspection of every file deposited into a vault, before it is stored.

``inspect_upload`` decides the type from the bytes alone (never from the name
or the declared MIME type), refuses what is not a clean PDF, JPEG, PNG,
HEIC/HEIF, WebP, ODT or DOCX, has the configured ClamAV ``clamd`` scan the
bytes first (``antivirus``: a virus, or an antivirus that cannot tell, refuses
the file), strips the metadata of images, converts HEIC to JPEG, and builds
a safe filename. Every refusal is a ``DepositRefused`` with a stable
``code``, an i18n ``message`` (English msgid) and a plain French
``message_fr`` written in FALC style (short sentences, everyday words: what is
wrong, what to do). The checks themselves are described in ``formats``.

No Plone needed for the formats: only Pillow, pillow-heif, pypdf and
zope.i18nmessageid; the antivirus settings are read from the site when there is one.
"""

from ccas.vault import _
from ccas.vault.deposit import antivirus
from ccas.vault.deposit import formats
from dataclasses import dataclass
from string import Template
from zope.i18nmessageid import Message
import hashlib
import logging
import re
import unicodedata


logger = logging.getLogger("ccas.vault.deposit")

MAX_SIZE = 20 * 1024 * 1024
MAX_STEM_BYTES = 120
DEFAULT_STEM = "document"

# code: (msgid with its English default, French sentence in FALC style)
_REFUSALS: dict[str, tuple[Message, str]] = {
    "empty": (
        _("The file is empty.", default="The file is empty."),
        "Le fichier est vide. Choisissez un autre fichier.",
    ),
    "too_large": (
        _(
            "The file is larger than the limit of ${limit}.",
            default="The file is larger than the limit of ${limit}.",
        ),
        "Le fichier est trop gros. La taille maximum est ${limit}. "
        "Choisissez un fichier plus petit.",
    ),
    "unsupported_type": (
        _(
            "File type not accepted: use PDF, JPEG, PNG, HEIC, WebP, ODT or DOCX.",
            default="File type not accepted: use PDF, JPEG, PNG, HEIC, WebP, ODT or DOCX.",
        ),
        "Ce type de fichier n'est pas accepté. Déposez un PDF, une photo "
        "(JPEG, PNG, HEIC ou WebP) ou un texte (ODT ou DOCX).",
    ),
    "malformed_pdf": (
        _(
            "The PDF file is damaged or incomplete.",
            default="The PDF file is damaged or incomplete.",
        ),
        "Le fichier PDF est abîmé ou incomplet. Enregistrez-le à nouveau, puis déposez-le.",
    ),
    "encrypted_pdf": (
        _(
            "The PDF file is encrypted or protected by a password.",
            default="The PDF file is encrypted or protected by a password.",
        ),
        "Le fichier PDF est protégé par un mot de passe. "
        "Enlevez le mot de passe, puis déposez-le à nouveau.",
    ),
    "pdf_active_content": (
        _(
            "The PDF file contains JavaScript or an action that starts a program.",
            default="The PDF file contains JavaScript or an action that starts a program.",
        ),
        "Le fichier PDF contient un programme. Ce n'est pas autorisé. "
        "Ouvrez-le, choisissez « Imprimer » puis « Enregistrer en PDF ». "
        "Déposez ce nouveau fichier.",
    ),
    "malformed_image": (
        _("The image is damaged or incomplete.", default="The image is damaged or incomplete."),
        "La photo est abîmée ou incomplète. Prenez une nouvelle photo, puis déposez-la.",
    ),
    "decompression_bomb": (
        _(
            "The image has too many pixels.",
            default="The image has too many pixels.",
        ),
        "La photo est trop grande. Prenez une photo plus petite, puis déposez-la.",
    ),
    "malformed_office": (
        _(
            "The document is damaged or incomplete.",
            default="The document is damaged or incomplete.",
        ),
        "Le document est abîmé ou incomplet. Enregistrez-le à nouveau, puis déposez-le.",
    ),
    "encrypted_office": (
        _(
            "The document is protected by a password.",
            default="The document is protected by a password.",
        ),
        "Le document est protégé par un mot de passe. "
        "Enlevez le mot de passe, puis déposez-le à nouveau.",
    ),
    "zip_bomb": (
        _(
            "The document becomes too large once unpacked.",
            default="The document becomes too large once unpacked.",
        ),
        "Le document devient trop gros quand on l'ouvre. "
        "Enregistrez-le en PDF, puis déposez le PDF.",
    ),
    "path_traversal": (
        _(
            "The document contains unsafe file paths.",
            default="The document contains unsafe file paths.",
        ),
        "Le document contient des éléments dangereux. Enregistrez-le en PDF, puis déposez le PDF.",
    ),
    "office_macros": (
        _(
            "The document contains macros or ActiveX controls.",
            default="The document contains macros or ActiveX controls.",
        ),
        "Le document contient des petits programmes (des macros). Ce n'est pas autorisé. "
        "Enregistrez-le en PDF, puis déposez le PDF.",
    ),
    "infected": (
        _(
            "The antivirus found a virus in the file: it was not stored.",
            default="The antivirus found a virus in the file: it was not stored.",
        ),
        "L'antivirus a trouvé un virus dans le fichier. Le fichier n'est pas enregistré. "
        "Ne l'ouvrez pas. Demandez de l'aide au CCAS.",
    ),
    "antivirus_unavailable": (
        _(
            "The antivirus of the CCAS does not answer: the deposit is refused. "
            "Tell the administrator.",
            default="The antivirus of the CCAS does not answer: the deposit is refused. "
            "Tell the administrator.",
        ),
        "L'antivirus du CCAS ne répond pas : le dépôt est refusé. Prévenez l'administrateur.",
    ),
}

REFUSAL_CODES = frozenset(_REFUSALS)


class DepositRefused(ValueError):
    """A deposited file is refused.

    ``code`` is stable (for programs and tests), ``message`` is the i18n
    message (English msgid, translated by the ``ccas.vault`` catalogs),
    ``message_fr`` the French sentence for callers without catalogs, and
    ``str(exc)`` the English text.
    """

    def __init__(
        self,
        code: str,
        mapping: dict[str, str] | None = None,
        mapping_fr: dict[str, str] | None = None,
    ):
        msgid, french = _REFUSALS[code]
        self.code = code
        self.message = Message(msgid, mapping=mapping) if mapping else msgid
        self.message_fr = Template(french).safe_substitute(mapping_fr or mapping or {})
        super().__init__(Template(msgid.default).safe_substitute(mapping or {}))


@dataclass(frozen=True)
class InspectedFile:
    """A file that passed the inspection, ready to be stored."""

    data: bytes  # sanitised: images re-encoded without metadata, HEIC as JPEG
    content_type: str  # decided from the content
    extension: str  # ".pdf", ".jpg", ".png", ".webp", ".odt", ".docx"
    filename: str  # safe original stem + extension
    original_content_type: str  # detected before conversion, e.g. "image/heic"
    sha256: str  # of ``data``


def inspect_upload(
    data: bytes,
    filename: str = "",
    declared_type: str = "",
    max_size: int = MAX_SIZE,
) -> InspectedFile:
    """Check a deposited file and return what to store, or raise DepositRefused.

    ``filename`` only gives the stem of the stored name; ``declared_type``
    (what the browser sent) is deliberately ignored: the content decides.
    """
    del declared_type  # never trusted
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"inspect_upload() needs bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_size:
        raise DepositRefused(
            "too_large",
            {"limit": _human_size(max_size, french=False)},
            {"limit": _human_size(max_size, french=True)},
        )
    if not data:
        raise DepositRefused("empty")
    _scan(data)
    try:
        checked = formats.check(data)
    except formats.Refusal as refusal:
        raise DepositRefused(refusal.code) from refusal
    except Exception as error:  # a bug in a check must not let the file through
        raise DepositRefused("unsupported_type") from error
    extension = formats.EXTENSIONS[checked.content_type]
    return InspectedFile(
        data=checked.data,
        content_type=checked.content_type,
        extension=extension,
        filename=safe_filename(filename, extension),
        original_content_type=checked.original_content_type,
        sha256=hashlib.sha256(checked.data).hexdigest(),
    )


def _scan(data: bytes) -> None:
    """Refuse ``data`` when the configured clamd finds a virus, or cannot tell (fail closed)."""
    scanner = antivirus.configured_scanner()
    if scanner is None:
        return
    try:
        verdict = scanner.scan(data)
    except antivirus.ScannerUnavailable as error:
        logger.error("Deposit refused, antivirus unavailable: %s", error)
        raise DepositRefused("antivirus_unavailable") from error
    if not verdict.clean:
        logger.warning("Deposit refused, the antivirus found %s", verdict.signature)
        raise DepositRefused("infected")


_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.IGNORECASE)


def safe_filename(filename: str, extension: str) -> str:
    """Return the last path part of ``filename``, cleaned, with ``extension``.

    Directories (``/`` or ``\\``), control and invisible formatting characters
    (bidi overrides included), characters Windows forbids and leading dots go;
    the old extension is replaced; the stem is cut to ``MAX_STEM_BYTES`` UTF-8
    bytes; an empty stem becomes ``document``.
    """
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = " ".join(name.split())
    without_extension = _EXTENSION.sub("", name)
    stem = without_extension if without_extension.strip(". ") else name
    stem = _FORBIDDEN.sub("_", stem).strip(". ")
    encoded = stem.encode("utf-8")[:MAX_STEM_BYTES]
    stem = encoded.decode("utf-8", errors="ignore").rstrip(". ")
    if not stem:
        stem = DEFAULT_STEM
    if _WINDOWS_RESERVED.match(stem):
        stem = f"_{stem}"
    return stem + extension


def _human_size(size: int, french: bool) -> str:
    """``20 MB`` / ``20 Mo``, ``500 kB`` / ``500 ko``, ``1.5 MB`` / ``1,5 Mo``."""
    if size >= 1024 * 1024:
        number, unit, unit_fr = size / (1024 * 1024), "MB", "Mo"
    elif size >= 1024:
        number, unit, unit_fr = size / 1024, "kB", "ko"
    else:
        number, unit, unit_fr = size, "bytes", "octets"
    text = f"{number:.1f}".removesuffix(".0")
    return f"{text.replace('.', ',')} {unit_fr}" if french else f"{text} {unit}"
