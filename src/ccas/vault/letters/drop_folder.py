"""A drop folder of letters: PDFs and a ``manifest.csv``, each line received as the API does.

The same code imports the CCAS GED's drop folder (``ccas-vault-ged-import``,
decision 0010) and each partner's (``ccas-vault-partner-import``, decision
0055); only the letter source and the name of the reference column differ.

``manifest.csv`` (UTF-8, comma separated, a header line) has the columns
``<reference column>``, ``vault`` or ``ged_person_id`` (one of them per line),
``document_type``, ``title``, ``issued``, ``valid_until`` (may be empty) and
``filename`` (a file of the folder).

Each letter goes through :func:`ccas.vault.letters.delivery.receive_letter`
(validation, idempotency, delivery or parking) in its own transaction,
committed *before* its file is moved to ``done/`` (delivered, parked, or
already received) or ``error/`` (malformed, refused file, same reference with
other bytes).  A crash between the commit and the move is harmless: the next
run finds the receipt and answers "duplicate".  A crash before the commit
leaves nothing: the transaction is not committed, the file stays in place.
"""

from ccas.vault.letters import sources
from ccas.vault.letters.delivery import receive_letter
from datetime import datetime
from pathlib import Path
from ZODB.POSException import ConflictError
import csv
import logging
import shutil
import transaction


logger = logging.getLogger("ccas.vault.letters")


RETRIES = 3
MANIFEST = "manifest.csv"
GED_REFERENCE = "ged_reference"
OTHER_COLUMNS = ("document_type", "title", "issued", "filename")
PERSON_COLUMNS = ("vault", "ged_person_id")
REPORT_FIELDS = ("line", GED_REFERENCE, "filename", "outcome", "status", "detail")

OUTCOMES = {201: "delivered", 200: "duplicate", 202: "parked", 400: "invalid", 409: "conflict"}
TO_DONE = ("delivered", "duplicate", "parked")
#: Outcomes of a line that lost or refused nothing (the run's exit status is 0).
FINE = (*TO_DONE, "already_done")

FAILED_FR = (
    "Erreur pendant l'enregistrement : rien n'a été enregistré pour cette ligne, "
    "le fichier reste dans le dossier et sera repris au prochain passage."
)
PDF_MAGIC = b"%PDF-"
NOT_PDF_FR = "fichier : ce fichier n'est pas un PDF."


class ManifestInvalid(ValueError):
    """The manifest cannot be read at all: ``message_fr`` says why; no file was touched."""

    def __init__(self, message, message_fr):
        super().__init__(message)
        self.message_fr = message_fr


def safe_name(name):
    """Whether ``name`` is a plain file name of the folder (no path, not hidden)."""
    return bool(name) and Path(name).name == name and not name.startswith(".")


def letter_of(row, data, reference_column=GED_REFERENCE):
    """The letter dict ``receive_letter`` takes, from a manifest line and its file's bytes."""
    person = {}
    for key in PERSON_COLUMNS:
        if (row.get(key) or "").strip():
            person[key] = row[key].strip()
    letter = {
        key: (row.get(key) or "").strip()
        for key in ("document_type", "title", "issued", "valid_until")
    }
    letter[GED_REFERENCE] = (row.get(reference_column) or "").strip()
    letter["person"] = person
    letter["file"] = data
    letter["filename"] = row["filename"]
    return {key: value for key, value in letter.items() if value not in ("", None)}


def receive(letter, connector, source=sources.GED):
    """``receive_letter`` in its own committed transaction, retried on conflicts."""
    for attempt in range(1, RETRIES + 1):
        transaction.begin()
        try:
            result = receive_letter(letter, connector, source)
            transaction.commit()
            return result
        except ConflictError:
            transaction.abort()
            if attempt == RETRIES:
                raise
        except BaseException:
            transaction.abort()
            raise
    raise AssertionError("unreachable")


def move(path, folder):
    """Move ``path`` into ``folder`` (created), never overwriting an earlier file."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{path.stem}.{number}{path.suffix}"
    shutil.move(str(path), str(target))
    return target


def detail(body, reference_column=GED_REFERENCE):
    """The French detail of an answer, for the report."""
    if "error" in body:
        error = body["error"]
        fields = error.get("fields") or {}
        if fields:
            return "; ".join(
                f"{reference_column if name == GED_REFERENCE else name}: {text['fr']}"
                for name, text in sorted(fields.items())
            )
        return error.get("message_fr") or error.get("message", "")
    if body.get("reason_fr"):  # parked: why, in French, then the code
        return f"{body['reason_fr']} ({body['reason']})"
    return body.get("reason") or body.get("status", "")


def read_manifest(folder, reference_column=GED_REFERENCE):
    """The lines of ``folder``'s manifest as ``(line number, row)``; :class:`ManifestInvalid`."""
    path = Path(folder) / MANIFEST
    try:
        with path.open(newline="", encoding="utf-8-sig") as manifest:
            reader = csv.DictReader(manifest)
            names = set(reader.fieldnames or ())
            missing = [c for c in (reference_column, *OTHER_COLUMNS) if c not in names]
            if not set(PERSON_COLUMNS) & names:
                missing.append(" / ".join(PERSON_COLUMNS))
            if missing:
                raise ManifestInvalid(
                    f"{MANIFEST}: missing columns {', '.join(missing)}",
                    f"{MANIFEST} : il manque les colonnes {', '.join(missing)}.",
                )
            return list(enumerate(reader, start=2))
    except FileNotFoundError:
        raise ManifestInvalid(f"no {MANIFEST}", f"Aucun fichier {MANIFEST}.") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise ManifestInvalid(
            f"{MANIFEST} cannot be read: {error}",
            f"{MANIFEST} est illisible : enregistrez-le en CSV (UTF-8, séparé par des virgules).",
        ) from None


def import_folder(
    folder,
    connector,
    source=sources.GED,
    reference_column=GED_REFERENCE,
    pdf_only=False,
    keep_going=False,
):
    """Import every letter of ``folder``; return the report rows (dicts).

    Raises :class:`ManifestInvalid` (a ``ValueError``) before touching any file when the
    manifest cannot be read.  ``pdf_only``: a file that is not a PDF goes to ``error/``.
    ``keep_going``: a line whose import fails (its transaction aborted: nothing of it is
    stored, its file stays) is reported ``failed`` and the next lines are imported.
    """
    folder = Path(folder)
    lines = read_manifest(folder, reference_column)
    rows = []
    for line, row in lines:
        try:
            rows.append(
                import_row(folder, line, row, connector, source, reference_column, pdf_only)
            )
        except Exception as error:
            if not keep_going:
                raise
            logger.exception("%s: line %s of %s not imported", folder, line, MANIFEST)
            rows.append(
                {
                    "line": line,
                    GED_REFERENCE: (row.get(reference_column) or "").strip(),
                    "filename": (row.get("filename") or "").strip(),
                    "outcome": "failed",
                    "status": 500,
                    "detail": FAILED_FR + f" ({type(error).__name__})",
                }
            )
    return rows


def import_row(
    folder,
    line,
    row,
    connector,
    source=sources.GED,
    reference_column=GED_REFERENCE,
    pdf_only=False,
):
    done, error = folder / "done", folder / "error"
    reference = (row.get(reference_column) or "").strip()
    name = (row.get("filename") or "").strip()
    report = {"line": line, GED_REFERENCE: reference, "filename": name}
    if not safe_name(name):
        return {**report, "outcome": "invalid", "status": 400, "detail": "bad filename"}
    path = folder / name
    if not path.is_file():
        if (done / name).is_file():
            return {**report, "outcome": "already_done", "status": "", "detail": "done/"}
        return {**report, "outcome": "missing_file", "status": 400, "detail": "file not found"}
    data = path.read_bytes()
    if pdf_only and not data.startswith(PDF_MAGIC):
        move(path, error)
        return {**report, "outcome": "invalid", "status": 400, "detail": NOT_PDF_FR}
    result = receive(letter_of(row, data, reference_column), connector, source)
    outcome = OUTCOMES.get(result.status_code, "error")
    # Committed: moving the file now is safe (a crash before it means "duplicate" next time).
    move(path, done if outcome in TO_DONE else error)
    return {
        **report,
        "outcome": outcome,
        "status": result.status_code,
        "detail": detail(result.body, reference_column),
    }


def write_report(folder, rows, when=None, reference_column=GED_REFERENCE):
    """``folder/report-<time>.csv``, one line per manifest line; its path."""
    when = when or datetime.now()
    path = Path(folder) / f"report-{when.strftime('%Y%m%d-%H%M%S-%f')}.csv"
    fields = [reference_column if name == GED_REFERENCE else name for name in REPORT_FIELDS]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {reference_column if k == GED_REFERENCE else k: v for k, v in row.items()}
            )
    return path


def summary(rows, prefix="ged-import"):
    counts = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return f"{prefix}: " + (", ".join(f"{n} {o}" for o, n in sorted(counts.items())) or "nothing")


def waiting_letters(folder):
    """Whether the manifest of ``folder`` names a file still in the folder (not imported)."""
    manifest = Path(folder) / MANIFEST
    if not manifest.is_file():
        return False
    try:
        with manifest.open(newline="", encoding="utf-8-sig") as lines:
            for row in csv.DictReader(lines):
                name = (row.get("filename") or "").strip()
                if safe_name(name) and (Path(folder) / name).is_file():
                    return True
    except (UnicodeDecodeError, csv.Error):
        return True  # unreadable: the import reports it
    return False
