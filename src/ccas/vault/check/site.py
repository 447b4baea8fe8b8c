"""Site level: one walk of the content, each family of checks looking at each object.

The walk starts at the site and goes down every folderish content object, entry
by entry (``objectIds`` then ``_getOb``): an entry holding something else than
the content it names (a record of another class under the entry's object id,
issue 18) is reported as ``entry_mismatch`` and not descended into.  Each
family (:mod:`.catalog`, :mod:`.receipts`, :mod:`.blobs`, :mod:`.history`)
looks at every object met, then at what it gathered (``finish``).
"""

from Acquisition import aq_base
from ccas.vault.check.report import Report
from Products.CMFCore.interfaces import IContentish
from Products.CMFCore.interfaces import IFolderish
from ZODB.utils import get_pickle_metadata
from ZODB.utils import oid_repr
import logging


logger = logging.getLogger("ccas.vault.check")

_GC_EVERY = 1000
PRODUCT_PROFILE = "ccas.vault:default"


def path_of(obj):
    return "/".join(obj.getPhysicalPath())


def _entries(container):
    """``(name, object or exception)`` of the entries of a folderish object."""
    try:
        names = list(container.objectIds())
    except Exception as error:
        yield None, error
        return
    for name in names:
        try:
            yield name, container._getOb(name)
        except Exception as error:
            yield name, error


def _entry_problem(report, container_path, name, obj):
    """Report an entry whose object is not the content it names; whether it was."""
    path = f"{container_path}/{name}"
    if isinstance(obj, Exception):
        report.add(
            "unreadable_record",
            path,
            f"the entry cannot be loaded: {obj.__class__.__name__}: {obj}",
            f"l'entrée ne peut être lue : {obj.__class__.__name__} : {obj}",
        )
        return True
    base = aq_base(obj)
    klass = f"{type(base).__module__}.{type(base).__name__}"
    try:
        own_id = base.getId()
    except Exception:
        own_id = None
    if own_id != name:
        en = f"the entry holds a {klass} whose id is {own_id!r}, not {name!r}"
        fr = f"l'entrée contient un {klass} dont l'identifiant est {own_id!r}, et non {name!r}"
        record = _record_class(base)
        if record and record != klass:
            oid = oid_repr(base._p_oid)
            en += f"; its record (oid {oid}) is a {record}"
            fr += f" ; son enregistrement (oid {oid}) est un {record}"
        report.add("entry_mismatch", path, en, fr)
        return True
    return False


def _record_class(obj):
    """The dotted class of the database record of ``obj`` (``None`` when unknown)."""
    jar, oid = getattr(obj, "_p_jar", None), getattr(obj, "_p_oid", None)
    if jar is None or oid is None:
        return None
    try:
        data, _serial = jar._storage.load(oid)
        return ".".join(get_pickle_metadata(data))
    except Exception:
        return None


def walk(site, report):
    """``(object, path, vault)`` for the site and the content below it."""
    from ccas.vault.content.vault import IVault

    jar = getattr(site, "_p_jar", None)
    stack = [(site, path_of(site), None)]
    count = 0
    while stack:
        obj, path, vault = stack.pop()
        count += 1
        yield obj, path, vault
        if obj is not site and not (IFolderish.providedBy(obj) and IContentish.providedBy(obj)):
            continue
        if not hasattr(aq_base(obj), "objectIds"):
            continue
        children = []
        for name, child in _entries(obj):
            if name is None:
                report.add(
                    "unreadable_record",
                    path,
                    f"the folder's entries cannot be read: {child.__class__.__name__}",
                    f"les entrées du dossier ne peuvent être lues : {child.__class__.__name__}",
                )
                break
            if obj is site and not IContentish.providedBy(child):
                continue  # the site's tools
            if _entry_problem(report, path, name, child):
                continue
            child_vault = child if IVault.providedBy(child) else vault
            children.append((child, f"{path}/{name}", child_vault))
        stack.extend(reversed(children))
        if jar is not None and count % _GC_EVERY == 0:
            jar.cacheGC()


def sites(app_or_site):
    """The ``ccas.vault`` sites of a Zope root, or ``[site]`` for a site."""
    from Products.CMFPlone.interfaces import IPloneSiteRoot

    if IPloneSiteRoot.providedBy(app_or_site):
        return [app_or_site]
    found = []
    for obj in app_or_site.objectValues():
        if not IPloneSiteRoot.providedBy(obj):
            continue
        setup = getattr(obj, "portal_setup", None)
        if setup is not None and setup.getLastVersionForProfile(PRODUCT_PROFILE) != "unknown":
            found.append(obj)
    return found


def families(site, report, repair=(), skip=()):
    from ccas.vault.check.blobs import BlobsCheck
    from ccas.vault.check.catalog import CatalogCheck
    from ccas.vault.check.history import HistoryCheck
    from ccas.vault.check.receipts import ReceiptsCheck

    chosen = [
        ("catalog", CatalogCheck),
        ("receipts", ReceiptsCheck),
        ("blobs", BlobsCheck),
        ("history", HistoryCheck),
    ]
    return [kind(site, report, repair) for name, kind in chosen if name not in skip]


def check_one_site(site, repair=(), report=None, skip=()):
    """Every site-level family on ``site`` (the current site must be ``site``)."""
    report = Report() if report is None else report
    checks = families(site, report, repair, skip)
    for obj, path, vault in walk(site, report):
        for check in checks:
            try:
                check.visit(obj, path, vault)
            except Exception as error:
                _failed(report, check, path, error)
    for check in checks:
        try:
            check.finish()
        except Exception as error:  # a broken database: reported, the other families go on
            _failed(report, check, "/".join(site.getPhysicalPath()), error)
    return report


def _failed(report, check, path, error):
    """A family that could not read what it checks: a problem of the report, never a crash."""
    logger.exception("check of %s failed", path)
    report.add(
        "unreadable_record",
        path,
        f"{check.family} check failed: {error.__class__.__name__}: {error}",
        f"la vérification {check.family} a échoué : {error.__class__.__name__} : {error}",
    )


def check_site(app_or_site, repair=(), report=None, skip=()):
    """Site-level checks of a site, or of every ``ccas.vault`` site of a Zope root."""
    from zope.component.hooks import getSite
    from zope.component.hooks import setSite

    report = Report() if report is None else report
    for site in sites(app_or_site):
        previous = getSite()
        setSite(site)
        try:
            check_one_site(site, repair=repair, report=report, skip=skip)
        finally:
            setSite(previous)
    return report
