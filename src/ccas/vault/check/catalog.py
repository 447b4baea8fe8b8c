"""Catalog ↔ content: every entry resolves to its object, every content object is
indexed exactly once (by path and by UID).

``--repair reindex`` catalogues what is missing or stale and uncatalogues the
entries that lead nowhere; it never touches the content (two objects sharing a
UID are reported, not repaired).
"""

from Acquisition import aq_base
from plone.uuid.interfaces import IUUID
from Products.CMFCore.interfaces import IContentish
import logging


logger = logging.getLogger("ccas.vault.check")


class CatalogCheck:
    family = "catalog"

    def __init__(self, site, report, repair=()):
        self.site = site
        self.report = report
        self.repair = "reindex" in repair
        from Products.CMFCore.indexing import processQueue

        processQueue()  # what this transaction queued for the catalog (in-process callers)
        self.catalog = site.portal_catalog
        self._catalog = self.catalog._catalog
        index = self._catalog.indexes.get("UID")
        self.uid_of_rid = getattr(index, "_unindex", {})
        self.seen = set()  # paths of the content met by the walk
        self.uids = {}  # UID -> path of the first content met with it
        self.fixes = []  # (problem, callable) applied by finish() when repairing

    def _problem(self, kind, path, en, fr, fix=None):
        problem = self.report.add(kind, path, en, fr)
        if fix is not None:
            self.fixes.append((problem, fix))
        return problem

    def visit(self, obj, path, vault):
        if obj is self.site or not IContentish.providedBy(obj):
            return
        self.seen.add(path)
        self.report.count("content")
        uid = IUUID(obj, None)
        if uid:
            first = self.uids.setdefault(uid, path)
            if first != path:
                self._problem(
                    "duplicate_uid",
                    path,
                    f"has the UID {uid} of {first}",
                    f"porte l'UID {uid} de {first}",
                )
        rid = self._catalog.uids.get(path)
        if rid is None:
            self._problem(
                "not_indexed",
                path,
                "is not in the catalog",
                "n'est pas au catalogue",
                fix=lambda: self.catalog.catalog_object(obj, path),
            )
            return
        indexed = self.uid_of_rid.get(rid)
        if uid and indexed != uid:
            self._problem(
                "catalog_stale",
                path,
                f"is indexed with the UID {indexed}, its own is {uid}",
                f"est indexé avec l'UID {indexed}, le sien est {uid}",
                fix=lambda: self.catalog.catalog_object(obj, path),
            )

    def _resolve(self, path):
        """The object at ``path`` if it is really there (not acquired), else ``None``."""
        try:
            obj = self.site.unrestrictedTraverse(path, None)
        except Exception:
            return None
        try:  # a record that cannot be loaded (another object's state) leads nowhere too
            if obj is None or not hasattr(aq_base(obj), "getPhysicalPath"):
                return None
            return obj if "/".join(obj.getPhysicalPath()) == path else None
        except Exception:
            return None

    def finish(self):
        paths = list(self._catalog.paths.items())
        self.report.count("catalog", len(paths))
        orphans = set()
        for rid, path in paths:
            if path in self.seen:
                continue
            obj = self._resolve(path)
            if obj is None:
                orphans.add(rid)
                self._problem(
                    "catalog_orphan",
                    path,
                    "the catalog entry leads to nothing",
                    "l'entrée du catalogue ne mène à rien",
                    fix=lambda path=path: self.catalog.uncatalog_object(path),
                )
                continue
            indexed = self.uid_of_rid.get(rid)
            uid = IUUID(obj, None)
            if uid and indexed and uid != indexed:
                self._problem(
                    "catalog_stale",
                    path,
                    f"is indexed with the UID {indexed}, its own is {uid}",
                    f"est indexé avec l'UID {indexed}, le sien est {uid}",
                    fix=lambda obj=obj, path=path: self.catalog.catalog_object(obj, path),
                )
        rids_of_uid = {}
        for rid, uid in self.uid_of_rid.items():
            rids_of_uid.setdefault(uid, []).append(rid)
        for uid, rids in sorted(rids_of_uid.items()):
            if len(rids) < 2:
                continue
            where = sorted(self._catalog.paths.get(rid, "?") for rid in rids)
            left = [rid for rid in rids if rid not in orphans]
            problem = self._problem(
                "indexed_twice",
                where[0],
                f"the UID {uid} is indexed {len(rids)} times: {', '.join(where)}",
                f"l'UID {uid} est indexé {len(rids)} fois : {', '.join(where)}",
            )
            if len(left) <= 1:  # uncataloguing the orphans leaves one entry
                self.fixes.append((problem, lambda: None))
        if self.repair:
            self._apply()

    def _apply(self):
        # Entries leading nowhere go first: a paper catalogued again may need its UID back.
        self.fixes.sort(key=lambda item: item[0].kind != "catalog_orphan")
        for problem, fix in self.fixes:
            fix()
            self.report.problems.remove(problem)
            problem.message_en = f"repaired (reindex): {problem.message_en}"
            problem.message_fr = f"réparé (réindexation) : {problem.message_fr}"
            self.report.repaired.append(problem)
            logger.warning("ccas-vault-check --repair reindex: %s %s", problem.kind, problem.path)
