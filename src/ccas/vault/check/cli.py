"""The command line: ``ccas-vault-check ZOPE_CONF [--site ccas] [--json] [--repair reindex]``.

Exits 0 when no problem is left, 1 when there are problems, 2 on a usage
error (unknown option, no such site).  ``--json`` prints
``{"problems": [{"kind", "path", "message_en", "message_fr"}], "checked": {...}}``;
otherwise a report in French and English.  Read-only unless ``--repair``
names what may be fixed; then the repairs are committed and listed.
"""

from ccas.vault.check.report import FAMILIES
from ccas.vault.check.report import Report
import argparse
import json
import sys
import time


#: What ``--repair`` may fix.
REPAIRS = ("reindex",)


def parser():
    result = argparse.ArgumentParser(
        prog="ccas-vault-check",
        description=(
            "Check a ccas.vault database: references, catalog, GED receipts, files, histories."
        ),
    )
    result.add_argument("zope_conf", metavar="ZOPE_CONF", help="the instance's zope.conf")
    result.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    result.add_argument("--json", action="store_true", help="print the report as JSON")
    result.add_argument(
        "--repair",
        action="append",
        default=[],
        choices=REPAIRS,
        help="what may be fixed: reindex (catalog entries); nothing is changed without it",
    )
    result.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=FAMILIES,
        help="a family of checks not to run (e.g. --skip storage on a large database)",
    )
    return result


def run(app, site_id, repair=(), skip=()):
    """Every check on ``app`` (a Zope root) and its site ``site_id``; a :class:`Report`."""
    from ccas.vault.check import check_site
    from ccas.vault.check import check_storage
    from zope.component.hooks import getSite
    from zope.component.hooks import setSite

    report = Report()
    if "storage" not in skip:
        started = time.monotonic()
        check_storage(app._p_jar.db().storage, report)
        report.seconds["storage"] = time.monotonic() - started
    previous = getSite()
    site = app[site_id]
    setSite(site)
    try:
        started = time.monotonic()
        check_site(site, repair=repair, report=report, skip=skip)
        report.seconds["site"] = time.monotonic() - started
    finally:
        setSite(previous)
    return report


def main(argv=None):
    from ccas.vault.scripts.instance import opened_app
    import transaction

    args = parser().parse_args(argv)
    repair = tuple(dict.fromkeys(args.repair))
    with opened_app(args.zope_conf, abort=not repair) as app:
        if args.site not in app.objectIds():
            print(f"ccas-vault-check: no site {args.site!r} in this database", file=sys.stderr)
            return 2
        report = run(app, args.site, repair=repair, skip=tuple(args.skip))
        if repair and report.repaired:
            transaction.get().note(f"ccas-vault-check --repair {' '.join(repair)}")
            transaction.commit()
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        print(report.text())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
