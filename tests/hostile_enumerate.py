"""List every route a default ``make start`` site answers, from the registries (issue 19).

Run by the hostile suite (tests/test_hostile_suite.py) with the instance's own Python,
on the instance's ``zope.conf``, before ``runwsgi`` starts (the database is opened
read-only in effect: nothing is committed)::

    python tests/hostile_enumerate.py HOME OUT.json

It writes, for each target object of the demo (Alice Martin's vault, its spaces, a private
paper, a shared paper, a mandate, Bruno Diallo's vault, the vault directory, the site root):
the browser views registered for it (any layer), the plone.rest services (method and name),
and, globally, the vocabularies, the traversal namespaces and the ZMI ``manage_*`` methods
of the site and of ``acl_users``; plus what the suite must recognise as a person's data
(UIDs, GED ids, SHA-256 of the papers) to classify answers.
"""

from pathlib import Path
import json
import sys


SERVICE_PREFIXES = ("GET_", "POST_", "PATCH_", "PUT_", "DELETE_", "OPTIONS_", "HEAD_")


def _all_adapter_registrations(site_manager):
    seen = set()
    stack = [site_manager]
    while stack:
        registry = stack.pop()
        if id(registry) in seen:
            continue
        seen.add(id(registry))
        yield from registry.registeredAdapters()
        stack.extend(getattr(registry, "__bases__", ()))


def _routes(site_manager, targets):
    from zope.interface import Interface
    from zope.publisher.interfaces import IRequest
    from zope.publisher.interfaces.browser import IBrowserRequest
    from zope.traversing.interfaces import ITraversable

    views = {key: set() for key in targets}
    services = {key: set() for key in targets}
    namespaces = set()
    for registration in _all_adapter_registrations(site_manager):
        required, name = registration.required, registration.name
        if registration.provided.isOrExtends(ITraversable):
            # ++name++ namespaces: adapters of the object alone or of (object, request)
            if name and (len(required) == 1 or required[1].isOrExtends(IRequest)):
                namespaces.add(name)
            continue
        if len(required) != 2 or required[1] is None:
            continue
        if not required[1].isOrExtends(IBrowserRequest):
            continue
        if registration.provided is not Interface or not name:
            continue
        for key, obj in targets.items():
            if required[0] is not None and not required[0].providedBy(obj):
                continue
            if name.startswith(SERVICE_PREFIXES):
                method, rest = name.split("_", 1)
                # GET_application_json_@users -> (GET, @users); '' is the content itself
                service = rest.split("_", 2)[2] if rest.count("_") >= 2 else ""
                services[key].add((method, service))
            else:
                views[key].add(name)
    return views, services, namespaces


def _walk(obj):
    yield obj
    for child in getattr(obj, "objectValues", lambda: [])():
        yield from _walk(child)


def _targets(site):
    from ccas.vault.content.mandate import IMandate
    from ccas.vault.content.spaces import IPrivateSpace
    from ccas.vault.content.spaces import ISharedSpace
    from ccas.vault.content.vault import IVault
    from ccas.vault.content.vault_document import IVaultDocument

    vaults = {}
    for obj in _walk(site):
        if IVault.providedBy(obj):
            vaults[obj.owner_login] = obj
    alice, bruno = vaults["alice.martin"], vaults["bruno.diallo"]
    targets = {"site": site, "directory": alice.aq_parent, "vault": alice, "bruno_vault": bruno}
    secrets = {}
    for login, vault in vaults.items():
        papers = []
        for obj in _walk(vault):
            if IVaultDocument.providedBy(obj):
                space = "private" if IPrivateSpace.providedBy(obj.aq_parent) else "shared"
                papers.append((obj, space))
        secrets[login] = {
            "vault_uid": vault.UID(),
            "ged_ids": list(vault.ged_person_ids or []),
            "email": vault.email or "",
            "name": vault.display_name,
            "papers": [
                {"uid": p.UID(), "id": p.getId(), "space": space, "sha256": p.sha256 or ""}
                for p, space in papers
            ],
        }
        if vault is alice:
            for obj in _walk(vault):
                if IPrivateSpace.providedBy(obj):
                    targets["private_space"] = obj
                elif ISharedSpace.providedBy(obj):
                    targets["shared_space"] = obj
                elif IMandate.providedBy(obj):
                    targets.setdefault("mandate", obj)
            targets["private_paper"] = next(p for p, s in papers if s == "private")
            targets["shared_paper"] = next(p for p, s in papers if s == "shared")
    site_path = len(site.getPhysicalPath())
    paths = {key: "/".join(obj.getPhysicalPath()[site_path:]) for key, obj in targets.items()}
    return targets, paths, secrets


def enumerate_routes(home):
    from ccas.vault.scripts.instance import opened_app
    from zope.component import getUtilitiesFor
    from zope.component.hooks import getSiteManager
    from zope.component.hooks import setSite
    from zope.schema.interfaces import IVocabularyFactory

    with opened_app(Path(home) / "etc" / "zope.conf", abort=True) as app:
        site = app["ccas"]
        setSite(site)
        try:
            targets, paths, secrets = _targets(site)
            views, services, namespaces = _routes(getSiteManager(), targets)
            vocabularies = sorted(name for name, _factory in getUtilitiesFor(IVocabularyFactory))
            zmi = {
                "site": sorted(n for n in dir(site) if n.startswith("manage_")),
                "acl_users": sorted(n for n in dir(site.acl_users) if n.startswith("manage_")),
            }
        finally:
            setSite(None)
    return {
        "paths": paths,
        "secrets": secrets,
        "views": {key: sorted(names) for key, names in views.items()},
        "services": {key: sorted(map(list, pairs)) for key, pairs in services.items()},
        "vocabularies": vocabularies,
        "namespaces": sorted(namespaces),
        "zmi": zmi,
    }


if __name__ == "__main__":
    result = enumerate_routes(sys.argv[1])
    Path(sys.argv[2]).write_text(json.dumps(result, indent=1, sort_keys=True))
