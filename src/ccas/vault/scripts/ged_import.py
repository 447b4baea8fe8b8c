"""``ccas-vault-ged-import DIR``: import a drop folder of GED letters (PDFs + ``manifest.csv``).

For GEDs that can only export files.  ``manifest.csv`` (UTF-8, comma
separated, a header line) has the columns ``ged_reference``, ``vault`` or
``ged_person_id`` (one of them per line), ``document_type``, ``title``,
``issued``, ``valid_until`` (may be empty) and ``filename`` (a file of DIR).

Each letter goes through the same path as ``POST @ged-letters`` (validation,
idempotency, delivery or parking) in its own transaction, committed *before*
its file is moved to ``DIR/done/`` (delivered, parked, or already received)
or ``DIR/error/`` (malformed, refused file, same reference with other bytes).
A crash between the commit and the move is harmless: the next run finds the
receipt and answers "duplicate".  Every run writes ``DIR/report-<time>.csv``,
one line per letter with its outcome.  Exit status: 0, or 1 when a letter
went to ``error/`` or a line could not be read.

Usage (``ZOPE_CONF`` is the instance's ``etc/zope.conf``)::

    ccas-vault-ged-import /srv/ged/depot --zope-conf /srv/ccas/var/instance/etc/zope.conf
"""

# Import order matters: AccessControl.users.system stays None until
# AccessControl.users is imported.
from AccessControl import users  # noqa: F401
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from ZODB.POSException import ConflictError
from zope.component.hooks import getSite
from zope.component.hooks import setSite
import argparse
import csv
import os
import shutil
import sys
import transaction


RETRIES = 3
MANIFEST = "manifest.csv"
COLUMNS = ("ged_reference", "document_type", "title", "issued", "filename")
REPORT_FIELDS = ("line", "ged_reference", "filename", "outcome", "status", "detail")
DEFAULT_ZOPE_CONF = "var/instance/etc/zope.conf"

OUTCOMES = {201: "delivered", 200: "duplicate", 202: "parked", 400: "invalid", 409: "conflict"}
TO_DONE = ("delivered", "duplicate", "parked")


def _opened_app(zope_conf):
    """The Zope application of ``zope_conf`` (see ``scripts.instance.opened_app``)."""
    from ccas.vault.scripts.instance import opened_app

    return opened_app(zope_conf)


def _safe_name(name):
    return bool(name) and Path(name).name == name and not name.startswith(".")


def _letter(row, data):
    person = {}
    if (row.get("vault") or "").strip():
        person["vault"] = row["vault"].strip()
    if (row.get("ged_person_id") or "").strip():
        person["ged_person_id"] = row["ged_person_id"].strip()
    letter = {
        key: (row.get(key) or "").strip()
        for key in ("ged_reference", "document_type", "title", "issued", "valid_until")
    }
    letter["person"] = person
    letter["file"] = data
    letter["filename"] = row["filename"]
    return {key: value for key, value in letter.items() if value not in ("", None)}


def _receive(letter, connector):
    """``receive_letter`` in its own committed transaction, retried on conflicts."""
    from ccas.vault.letters.delivery import receive_letter

    for attempt in range(1, RETRIES + 1):
        transaction.begin()
        try:
            result = receive_letter(letter, connector)
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


def _move(path, folder):
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 1
    while target.exists():  # never overwrite an earlier file of the same name
        number += 1
        target = folder / f"{path.stem}.{number}{path.suffix}"
    shutil.move(str(path), str(target))
    return target


def _detail(body):
    if "error" in body:
        error = body["error"]
        fields = error.get("fields") or {}
        if fields:
            return "; ".join(f"{name}: {text['fr']}" for name, text in sorted(fields.items()))
        return error.get("message_fr") or error.get("message", "")
    return body.get("reason") or body.get("status", "")


def import_folder(folder, connector):
    """Import every letter of ``folder``; return the report rows (dicts)."""
    folder = Path(folder)
    done, error = folder / "done", folder / "error"
    rows = []
    with (folder / MANIFEST).open(newline="", encoding="utf-8-sig") as manifest:
        reader = csv.DictReader(manifest)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing or not {"vault", "ged_person_id"} & set(reader.fieldnames or ()):
            raise ValueError(
                f"{MANIFEST}: missing columns {', '.join(missing) or 'vault / ged_person_id'}"
            )
        for line, row in enumerate(reader, start=2):
            rows.append(_import_row(folder, done, error, line, row, connector))
    return rows


def _import_row(folder, done, error, line, row, connector):
    reference = (row.get("ged_reference") or "").strip()
    name = (row.get("filename") or "").strip()
    report = {"line": line, "ged_reference": reference, "filename": name}
    if not _safe_name(name):
        return {**report, "outcome": "invalid", "status": 400, "detail": "bad filename"}
    path = folder / name
    if not path.is_file():
        if (done / name).is_file():
            return {**report, "outcome": "already_done", "status": "", "detail": "done/"}
        return {**report, "outcome": "missing_file", "status": 400, "detail": "file not found"}
    result = _receive(_letter(row, path.read_bytes()), connector)
    outcome = OUTCOMES.get(result.status_code, "error")
    # Committed: moving the file now is safe (a crash before it means "duplicate" next time).
    _move(path, done if outcome in TO_DONE else error)
    return {
        **report,
        "outcome": outcome,
        "status": result.status_code,
        "detail": _detail(result.body),
    }


def write_report(folder, rows, when=None):
    when = when or datetime.now()
    path = Path(folder) / f"report-{when.strftime('%Y%m%d-%H%M%S-%f')}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def summary(rows):
    counts = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return "ged-import: " + (", ".join(f"{n} {o}" for o, n in sorted(counts.items())) or "nothing")


def _set_site_url(app, url):
    parts = urlsplit(url)
    if parts.scheme and parts.hostname:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        app.REQUEST.setServerURL(parts.scheme, parts.hostname, port)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="ccas-vault-ged-import", description="Import a drop folder of CCAS GED letters."
    )
    parser.add_argument("folder", metavar="DIR", help="folder with manifest.csv and the PDFs")
    parser.add_argument(
        "--zope-conf",
        default=os.environ.get("ZOPE_CONF", DEFAULT_ZOPE_CONF),
        help=f"the instance's zope.conf (default: $ZOPE_CONF or {DEFAULT_ZOPE_CONF})",
    )
    parser.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    parser.add_argument(
        "--connector", default="ged-import", help="depositor recorded for the letters"
    )
    parser.add_argument("--site-url", help="public address of the site, for notifications")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not (folder / MANIFEST).is_file():
        parser.error(f"no {MANIFEST} in {folder}")
    with _opened_app(args.zope_conf) as app:
        if args.site not in app.objectIds():
            parser.error(f"no site {args.site!r} in this database")
        if args.site_url:
            _set_site_url(app, args.site_url)
        previous = getSite()
        setSite(app[args.site])
        try:
            rows = import_folder(folder, args.connector)
        except ValueError as error:
            parser.error(str(error))
        finally:
            setSite(previous)
    report = write_report(folder, rows)
    print(summary(rows))
    print(f"report: {report}")
    failed = any(row["outcome"] not in (*TO_DONE, "already_done") for row in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
