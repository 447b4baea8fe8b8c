"""``ccas-vault-ged-import DIR``: import a drop folder of GED letters (PDFs + ``manifest.csv``).

For GEDs that can only export files.  ``manifest.csv`` (UTF-8, comma
separated, a header line) has the columns ``ged_reference``, ``vault`` or
``ged_person_id`` (one of them per line), ``document_type``, ``title``,
``issued``, ``valid_until`` (may be empty) and ``filename`` (a file of DIR).

Each letter goes through the same path as ``POST @ged-letters`` (validation,
idempotency, delivery or parking; :mod:`ccas.vault.letters.drop_folder`, which
partners' drop folders share) in its own transaction, committed *before*
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
from ccas.vault.letters.drop_folder import FINE
from ccas.vault.letters.drop_folder import import_folder
from ccas.vault.letters.drop_folder import MANIFEST
from ccas.vault.letters.drop_folder import summary
from ccas.vault.letters.drop_folder import write_report
from pathlib import Path
from urllib.parse import urlsplit
from zope.component.hooks import getSite
from zope.component.hooks import setSite
import argparse
import os
import sys


__all__ = ("MANIFEST", "import_folder", "main", "summary", "write_report")

DEFAULT_ZOPE_CONF = "var/instance/etc/zope.conf"


def _opened_app(zope_conf):
    """The Zope application of ``zope_conf`` (see ``scripts.instance.opened_app``)."""
    from ccas.vault.scripts.instance import opened_app

    return opened_app(zope_conf)


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
    failed = any(row["outcome"] not in FINE for row in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
