"""The export of a vault: everything the person takes away before closing it (rule 9).

A zip archive, built for the owner only::

    index.html                        readable list of the papers (French, phone-sized)
    index.csv                         the same, for a spreadsheet
    papiers/prive/<file>              current papers of the private space
    papiers/partage/<file>            ... of the shared space (sub-folders kept)
    anciennes-versions/<space>/<file> replaced (superseded) versions
    historique.csv, historique.json   the vault's history (``ccas.vault.history.api``)

Archive names are built from fixed folders and cleaned file names only (no
directory part, no ``..``, no control character, no character Windows
forbids), so extracting the archive cannot write outside its folder.
"""

from AccessControl import Unauthorized
from ccas.vault import permissions
from ccas.vault.clock import PARIS
from ccas.vault.clock import paris_now
from ccas.vault.content.mail_folder import IMailFolder
from ccas.vault.content.spaces import IVaultSpace
from ccas.vault.content.spaces import PRIVATE_SPACE_ID
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.document_types import label as type_label
from ccas.vault.history import api as history
from ccas.vault.security import check_permission
from dataclasses import dataclass
from datetime import datetime
from plone import api
from urllib.parse import quote
import csv
import hashlib
import html
import io
import re
import unicodedata
import zipfile


CURRENT_FOLDER = "papiers"
OLD_VERSIONS_FOLDER = "anciennes-versions"
SPACE_ORDER = (PRIVATE_SPACE_ID, SHARED_SPACE_ID)
SPACE_LABELS = {PRIVATE_SPACE_ID: "Espace privé", SHARED_SPACE_ID: "Espace partagé"}
STATE_LABELS = {
    "deposited": "Valable",
    "certified": "Certifié",
    "expired": "Expiré",
    "superseded": "Remplacé par une version plus récente",
}
ORIGIN_LABELS = {
    "upload": "Fichier ajouté",
    "camera": "Photo",
    "ged": "Courrier du CCAS",
    "partner": "Partenaire",
}
MAX_NAME_LENGTH = 120
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.IGNORECASE)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 1024 * 1024


def safe_name(name, default="document"):
    """One archive path part from an untrusted name.

    Keeps the last path part only, drops control and invisible characters,
    replaces characters Windows forbids, strips leading and trailing dots and
    spaces (so ``..`` disappears), shortens it (keeping the extension) and
    avoids Windows device names.
    """
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = _FORBIDDEN.sub("_", " ".join(name.split())).strip(". ")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 8:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(". ")
    if not name:
        name = default
    if _WINDOWS_RESERVED.match(name):
        name = f"_{name}"
    return name


class _UniquePaths:
    """Archive paths, made unique (case-insensitively) with `` (2)``, `` (3)``..."""

    def __init__(self):
        self._used = set()

    def __call__(self, folder, name):
        stem, dot, extension = name.rpartition(".")
        if not (dot and stem):
            stem, extension = name, ""
        candidate, number = name, 2
        while f"{folder}/{candidate}".casefold() in self._used:
            candidate = f"{stem} ({number})" + (f".{extension}" if extension else "")
            number += 1
        path = f"{folder}/{candidate}"
        self._used.add(path.casefold())
        return path


def iter_documents(container, folders=()):
    """``(folders, document)`` for every paper under ``container``, depth first.

    ``folders`` are the ids of the spaces from the vault down to the paper
    (``("partage", "courrier-du-ccas")``).  No permission check.
    """
    ids = list(container.objectIds())
    if not folders:  # the vault: private space first
        ids.sort(key=lambda item: (SPACE_ORDER.index(item) if item in SPACE_ORDER else 9, item))
    for item_id in ids:
        item = container._getOb(item_id)
        if IVaultDocument.providedBy(item):
            yield folders, item
        elif IVaultSpace.providedBy(item) or IMailFolder.providedBy(item):
            yield from iter_documents(item, (*folders, item_id))


@dataclass
class _Row:
    path: str
    current: bool
    space: str
    title: str
    type_label: str
    state: str
    issued: str
    valid_until: str
    deposited: str
    origin: str
    certified: bool
    certified_by: str
    certified_organisation: str
    certified_at: str
    sha256: str
    intact: bool


def _french_date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def _french_moment(iso_text):
    """``31/01/2026 à 14:05`` (Europe/Paris) from an ISO date-time, ``""`` if unreadable."""
    try:
        moment = datetime.fromisoformat(iso_text or "")
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(PARIS)
    return moment.strftime("%d/%m/%Y à %H:%M")


def _write_file(archive, path, document, when):
    """Copy the paper's blob into the archive; return the SHA-256 of what was written."""
    info = zipfile.ZipInfo(path, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    digest = hashlib.sha256()
    with document.file.open() as source, archive.open(info, "w") as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def _row(path, folders, document, state, written_sha256):
    certification = document.certification or {}
    return _Row(
        path=path or "",
        current=state != "superseded",
        space=SPACE_LABELS.get(folders[0], folders[0]) if folders else "",
        title=document.title or "",
        type_label=type_label(document.document_type, "fr") if document.document_type else "",
        state=STATE_LABELS.get(state, state),
        issued=_french_date(document.issued),
        valid_until=_french_date(document.valid_until),
        deposited=_french_moment(document.deposited_at),
        origin=ORIGIN_LABELS.get(document.origin, document.origin or ""),
        certified=bool(certification),
        certified_by=certification.get("by_fullname") or certification.get("by") or "",
        certified_organisation=(
            certification.get("organisation_title") or certification.get("organisation") or ""
        ),
        certified_at=_french_moment(certification.get("at")),
        sha256=document.sha256 or "",
        intact=written_sha256 is not None and written_sha256 == document.sha256,
    )


def _csv_cell(value):
    """Neutralise cells a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


CSV_COLUMNS = (
    ("fichier", "path"),
    ("version", "current"),
    ("espace", "space"),
    ("titre", "title"),
    ("type", "type_label"),
    ("etat", "state"),
    ("delivre_le", "issued"),
    ("valable_jusqu_au", "valid_until"),
    ("depose_le", "deposited"),
    ("origine", "origin"),
    ("certifie", "certified"),
    ("certifie_par", "certified_by"),
    ("organisme_certificateur", "certified_organisation"),
    ("certifie_le", "certified_at"),
    ("sha256", "sha256"),
)


def _index_csv(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _name in CSV_COLUMNS])
    for row in rows:
        values = {
            **vars(row),
            "current": "actuelle" if row.current else "ancienne",
            "certified": "oui" if row.certified else "non",
        }
        writer.writerow([_csv_cell(values[name]) for _header, name in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()  # BOM: spreadsheets then read the accents right


_STYLE = """
body{font-family:system-ui,sans-serif;font-size:1.1rem;line-height:1.5;margin:0 auto;
max-width:40rem;padding:1rem;color:#111}
h1{font-size:1.5rem}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.1rem;margin:0 0 .5rem}
article{border:1px solid #999;border-radius:.5rem;padding:1rem;margin:1rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem;margin:0}
dt{font-weight:bold}dd{margin:0;overflow-wrap:anywhere}
code{font-size:.8rem;overflow-wrap:anywhere}
a{font-size:1.2rem}.warning{color:#a00;font-weight:bold}
"""


def _card(row):
    e = html.escape
    lines = [
        ("Type", e(row.type_label)),
        ("Espace", e(row.space)),
        ("État", e(row.state)),
    ]
    if row.certified:
        by = " — ".join(e(part) for part in (row.certified_by, row.certified_organisation) if part)
        lines.append(("Certifié", f"oui, par {by} le {e(row.certified_at)}" if by else "oui"))
    else:
        lines.append(("Certifié", "non"))
    for label, value in (
        ("Délivré le", row.issued),
        ("Valable jusqu'au", row.valid_until),
        ("Ajouté le", row.deposited),
        ("Origine", row.origin),
    ):
        if value:
            lines.append((label, e(value)))
    lines.append(("Empreinte SHA-256", f"<code>{e(row.sha256)}</code>"))
    details = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in lines)
    if row.path:
        link = f'<p><a href="{e(quote(row.path), quote=True)}">Ouvrir le fichier</a></p>'
        if not row.intact:
            link += (
                '<p class="warning">Attention : ce fichier ne correspond pas à l\'empreinte '
                "enregistrée lors de son ajout.</p>"
            )
    else:
        link = '<p class="warning">Le fichier de ce papier est introuvable.</p>'
    return f"<article><h3>{e(row.title)}</h3><dl>{details}</dl>{link}</article>"


def _contents(current, old):
    """``Elle contient 3 papiers et 1 ancienne version.``"""
    text = f"Elle contient {len(current)} papier{'s' if len(current) > 1 else ''}"
    if old:
        many = len(old) > 1
        text += f" et {len(old)} ancienne{'s' if many else ''} version{'s' if many else ''}"
    return text + "."


def _index_html(vault, rows, when):
    current = [row for row in rows if row.current]
    old = [row for row in rows if not row.current]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Mes papiers — {html.escape(vault.Title())}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Mes papiers — coffre-fort de {html.escape(vault.Title())}</h1>",
        f"<p>Copie faite le {when.strftime('%d/%m/%Y à %H:%M')}. {_contents(current, old)}</p>",
        "<p>Chaque papier a une empreinte SHA-256 : si le fichier est modifié, "
        "son empreinte change.</p>",
        "<h2>Mes papiers</h2>",
        *(_card(row) for row in current),
    ]
    if not current:
        parts.append("<p>Aucun papier.</p>")
    if old:
        parts += ["<h2>Anciennes versions</h2>", *(_card(row) for row in old)]
    parts += [
        "<h2>Historique</h2>",
        '<p>Tout ce qui a été fait dans le coffre est dans <a href="historique.csv">'
        'historique.csv</a> (tableur) et <a href="historique.json">historique.json</a>.</p>',
        "</body></html>",
    ]
    return "\n".join(parts)


def _write_text(archive, path, text, when):
    info = zipfile.ZipInfo(path, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, text.encode("utf-8"))


def build_export(vault):
    """The zip export of ``vault`` as bytes, for its owner only.

    Needs ``Download original`` on the vault (the owner holds it while the
    vault is open or closing) and the current user must be the owner: the
    export holds the private space.  Records a ``download`` history entry
    (``{"what": "export"}``) first, so the exported history shows it.
    """
    check_permission(permissions.DOWNLOAD_ORIGINAL, vault)
    if api.user.get_current().getUserName() != vault.owner_login:
        raise Unauthorized("Only the owner of the vault can export it")
    history.record(vault, "download", details={"what": "export"})
    when = paris_now()
    unique = _UniquePaths()
    rows = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for folders, document in iter_documents(vault):
            state = api.content.get_state(document, default="")
            top = OLD_VERSIONS_FOLDER if state == "superseded" else CURRENT_FOLDER
            folder = "/".join((top, *(safe_name(part, "dossier") for part in folders)))
            path = written = None
            if document.file is not None:
                name = safe_name(document.file.filename, default=safe_name(document.title))
                path = unique(folder, name)
                written = _write_file(archive, path, document, when)
            rows.append(_row(path, folders, document, state, written))
        _write_text(archive, "index.html", _index_html(vault, rows, when), when)
        _write_text(archive, "index.csv", _index_csv(rows), when)
        _write_text(archive, "historique.csv", "\ufeff" + history.export_csv(vault), when)
        _write_text(archive, "historique.json", history.export_json(vault), when)
    return buffer.getvalue()


def export_filename(when=None):
    """Name offered for the download: ``mon-coffre-2026-11-23.zip`` (no personal data)."""
    return f"mon-coffre-{paris_now(when).date().isoformat()}.zip"
