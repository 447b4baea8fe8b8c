"""``ccas-vault-check``: the integrity checker of a site's database (issue 18, decision 0040).

Python API::

    from ccas.vault.check import check_site, check_storage

    report = check_storage(db.storage)  # every record reachable from the root
    report.merge(check_site(portal))  # catalog, GED receipts, blobs, histories

Both return a :class:`~ccas.vault.check.report.Report`; ``report.problems`` is
empty when everything holds.  Nothing is changed unless ``repair`` names what
may be fixed (``check_site(portal, repair=("reindex",))``).  The command line
is :func:`ccas.vault.check.cli.main`.
"""

from ccas.vault.check.report import Problem
from ccas.vault.check.report import Report


__all__ = ("Problem", "Report", "check_site", "check_storage", "main")


def check_storage(storage, report=None):
    """Storage-level checks of ``storage`` (dangling references, class mismatches, blobs)."""
    from ccas.vault.check.storage import check_storage as check

    return check(storage, report)


def check_site(app_or_site, repair=(), report=None, skip=()):
    """Site-level checks of a Plone site (or of every ``ccas.vault`` site of a Zope root)."""
    from ccas.vault.check.site import check_site as check

    return check(app_or_site, repair=repair, report=report, skip=skip)


def main(argv=None):
    from ccas.vault.check.cli import main as cli_main

    return cli_main(argv)
