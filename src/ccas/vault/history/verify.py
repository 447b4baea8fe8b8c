"""``ccas-vault-history-verify``: check every history of a site, for a cron job.

Usage::

    ccas-vault-history-verify ZOPE_CONF [--site ccas] [--path /ccas/coffres]

Prints one line per broken history and a summary line; exits 0 when every
history is intact, 1 when one is broken, 2 when the path does not exist.
Read-only: the transaction is always aborted.

``ccas-vault-check`` (:mod:`ccas.vault.check`, decision 0040) verifies every
history too, among its other checks, and the in-server clock runs it every
night; this command stays for the crons that call it.
"""

from Acquisition import aq_base
from ccas.vault.history.api import verify
from ccas.vault.history.storage import get_history
from dataclasses import dataclass
from dataclasses import field
from Products.CMFCore.interfaces import IFolderish
from zExceptions import NotFound
from zope.component.hooks import getSite
from zope.component.hooks import setSite
import argparse
import sys


_GC_EVERY = 1000


@dataclass
class TreeReport:
    """Outcome of :func:`verify_tree`: histories checked and ``(path, failure)`` of broken ones."""

    checked: int = 0
    broken: list = field(default_factory=list)

    @property
    def summary(self):
        return f"history verify: {self.checked} vaults, {len(self.broken)} broken"


def _path(obj):
    return "/".join(obj.getPhysicalPath())


def iter_objects(root):
    """``root`` and every object below it, descending into folderish content only."""
    stack = [root]
    while stack:
        obj = stack.pop()
        yield obj
        descend = obj is root or IFolderish.providedBy(obj)
        if descend and hasattr(aq_base(obj), "objectIds"):
            stack.extend(obj._getOb(name) for name in reversed(list(obj.objectIds())))


def verify_tree(root):
    """Verify every history under ``root`` (included); return a :class:`TreeReport`."""
    report = TreeReport()
    jar = getattr(root, "_p_jar", None)
    for count, obj in enumerate(iter_objects(root), start=1):
        if get_history(obj) is not None:
            report.checked += 1
            failure = verify(obj)
            if failure is not None:
                report.broken.append((_path(obj), failure))
        if jar is not None and count % _GC_EVERY == 0:
            jar.cacheGC()
    return report


def _opened(zope_conf):
    """The Zope root of ``zope_conf``, read only (see ``scripts.instance.opened_app``)."""
    from ccas.vault.scripts.instance import opened_app

    return opened_app(zope_conf, abort=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="ccas-vault-history-verify", description="Check every vault history of a site."
    )
    parser.add_argument("zope_conf")
    parser.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    parser.add_argument(
        "--path", help="folder to check, from the Zope root (default: the whole site)"
    )
    args = parser.parse_args(argv)
    path = args.path or f"/{args.site}"
    with _opened(args.zope_conf) as app:
        previous = getSite()
        try:
            setSite(app.unrestrictedTraverse(args.site))
            root = app.unrestrictedTraverse(path.strip("/"))
        except (AttributeError, KeyError, NotFound) as error:
            print(f"history verify: not found: {error}", file=sys.stderr)
            setSite(previous)
            return 2
        try:
            report = verify_tree(root)
        finally:
            setSite(previous)
    for broken_path, failure in report.broken:
        print(f"BROKEN {broken_path}: entry {failure.seq}: {failure.reason}")
    print(report.summary)
    return 1 if report.broken else 0


if __name__ == "__main__":
    sys.exit(main())
