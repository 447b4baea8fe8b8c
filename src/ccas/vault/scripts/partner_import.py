"""``ccas-vault-partner-import [ROOT]``: import the partners' drop folders (decision 0055).

``ROOT`` (default ``$CCAS_VAULT_PARTNER_DROP_FOLDER``) holds one folder per partner, named
with its organisation id (``caf``, ``departement``…), each with PDFs and a
``manifest.csv`` (UTF-8, comma separated, a header line) of columns ``reference`` (unique
per partner), ``vault`` or ``ged_person_id``, ``document_type``, ``title``, ``issued``,
``valid_until`` (may be empty) and ``filename``.  Each paper is received as a GED letter is
(validation, idempotency, delivery or parking), in its own transaction, then its file moves
to ``done/`` or ``error/``; each folder gets ``report-<time>.csv``.  Nothing runs while the
connector « Papiers déposés par les partenaires » is switched off.  Exit status: 0, or 1
when a line went to ``error/``, a folder was refused, or the connector is off.

Usage (``ZOPE_CONF`` is the instance's ``etc/zope.conf``)::

    ccas-vault-partner-import /srv/partenaires --zope-conf /srv/ccas/var/instance/etc/zope.conf
"""

# Import order matters: AccessControl.users.system stays None until
# AccessControl.users is imported.
from AccessControl import users  # noqa: F401
from ccas.vault.connectors import settings as connector_settings
from ccas.vault.connectors.interfaces import ConnectorDisabled
from ccas.vault.partners import CONNECTOR
from ccas.vault.partners import drop
from ccas.vault.partners import ROOT_VAR
from ccas.vault.partners.connector import root_folder
from ccas.vault.security import as_system
from pathlib import Path
from urllib.parse import urlsplit
from zope.component.hooks import getSite
from zope.component.hooks import setSite
import argparse
import os
import sys
import transaction


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


def run(root):
    """Import ``root`` on the current site if the connector is on; the results."""
    transaction.begin()
    if not connector_settings.is_enabled(CONNECTOR):
        raise ConnectorDisabled(
            f"{CONNECTOR} is switched off",
            "Le connecteur « Papiers déposés par les partenaires » n'est pas activé : "
            "l'archiviste l'active dans la configuration, page « Connecteurs ».",
        )
    settings = connector_settings.get_settings(CONNECTOR)
    transaction.abort()
    with as_system():
        return drop.import_root(root, settings=settings)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="ccas-vault-partner-import",
        description="Import the partners' drop folders (one folder per partner).",
    )
    parser.add_argument(
        "root",
        metavar="ROOT",
        nargs="?",
        help=f"folder of the partners' folders (default: ${ROOT_VAR})",
    )
    parser.add_argument(
        "--zope-conf",
        default=os.environ.get("ZOPE_CONF", DEFAULT_ZOPE_CONF),
        help=f"the instance's zope.conf (default: $ZOPE_CONF or {DEFAULT_ZOPE_CONF})",
    )
    parser.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    parser.add_argument("--site-url", help="public address of the site, for notifications")
    args = parser.parse_args(argv)
    root = Path(args.root) if args.root else root_folder()
    if root is None:
        parser.error(f"give ROOT or set {ROOT_VAR}")
    if not root.is_dir():
        parser.error(f"{root} is not a folder")
    with _opened_app(args.zope_conf) as app:
        if args.site not in app.objectIds():
            parser.error(f"no site {args.site!r} in this database")
        if args.site_url:
            _set_site_url(app, args.site_url)
        previous = getSite()
        setSite(app[args.site])
        try:
            results = run(root)
        except ConnectorDisabled as error:
            print(error.message_fr, file=sys.stderr)
            return 1
        finally:
            setSite(previous)
    print(drop.summary(results))
    return 1 if drop.failed(results) else 0


if __name__ == "__main__":
    sys.exit(main())
