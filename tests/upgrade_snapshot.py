"""What ``profiles/default`` (and its install handler) leave in a site, as JSON.

Run in its own process with the instance's configuration (Zope configures itself
once per process)::

    python tests/upgrade_snapshot.py HOME SITE_ID > snapshot.json

:mod:`test_upgrade_equivalence` compares the snapshot of a fresh site with the one
of an old database brought up to date by the upgrade steps.  Each section is a
flat ``{key: value}`` mapping of JSON values, so that a difference names its key.
"""

from pathlib import Path
import dataclasses
import json
import sys


def _plain(value):
    """A JSON-comparable form of a stored value (tuples and lists alike, sets sorted)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)


def registry(site):
    records = site.portal_registry.records
    out = {}
    for name in sorted(records.keys()):
        record = records[name]
        field = record.field
        out[name] = {
            "value": _plain(record.value),
            "field": type(field).__name__,
            "required": getattr(field, "required", None),
            "interface": getattr(record, "interfaceName", None),
        }
    return out


def workflows(site):
    tool = site.portal_workflow
    out = {"(default chain)": list(tool._default_chain or ())}
    for type_id in sorted(site.portal_types.objectIds()):
        chain = tool._chains_by_type.get(type_id) if tool._chains_by_type else None
        out[f"chain/{type_id}"] = None if chain is None else list(chain)
    for wf_id in sorted(tool.objectIds()):
        wf = tool[wf_id]
        out[f"{wf_id}/class"] = type(wf).__name__
        out[f"{wf_id}/title"] = wf.title
        out[f"{wf_id}/initial_state"] = getattr(wf, "initial_state", None)
        out[f"{wf_id}/permissions"] = sorted(getattr(wf, "permissions", ()) or ())
        out[f"{wf_id}/state_var"] = getattr(wf, "state_var", None)
        for state in wf.states.objectValues() if getattr(wf, "states", None) else ():
            key = f"{wf_id}/state/{state.getId()}"
            out[f"{key}/title"] = state.title
            out[f"{key}/transitions"] = sorted(state.transitions or ())
            out[f"{key}/permission_roles"] = _plain(
                {
                    p: sorted(r) if isinstance(r, (list, tuple)) else r
                    for p, r in (state.permission_roles or {}).items()
                }
            )
            out[f"{key}/group_roles"] = _plain(dict(state.group_roles or {}))
            out[f"{key}/var_values"] = _plain(dict(state.var_values or {}))
        for tr in wf.transitions.objectValues() if getattr(wf, "transitions", None) else ():
            key = f"{wf_id}/transition/{tr.getId()}"
            guard = tr.getGuard()
            out[f"{key}/new_state"] = tr.new_state_id
            out[f"{key}/trigger"] = tr.trigger_type
            out[f"{key}/guard"] = [
                sorted(guard.permissions or ()),
                sorted(guard.roles or ()),
                guard.getExprText(),
            ]
            out[f"{key}/actbox"] = [tr.actbox_name, tr.actbox_url, tr.actbox_category]
        for var in wf.variables.objectValues() if getattr(wf, "variables", None) else ():
            out[f"{wf_id}/variable/{var.getId()}"] = [
                var.default_value,
                var.getDefaultExprText(),
                var.for_status,
                var.update_always,
            ]
    return out


def types(site):
    out = {}
    for fti in site.portal_types.objectValues():
        for name, value in fti.propertyItems():
            out[f"{fti.getId()}/{name}"] = _plain(value)
        out[f"{fti.getId()}/(meta_type)"] = fti.meta_type
        for action in fti.listActions():
            out[f"{fti.getId()}/action/{action.getId()}"] = _plain(
                [
                    action.title,
                    action.getActionExpression(),
                    list(action.permissions),
                    action.category,
                    bool(action.visible),
                ]
            )
    return out


def catalog(site):
    tool = site.portal_catalog
    out = {}
    for index in tool._catalog.indexes.values():
        attrs = index.getIndexSourceNames() if hasattr(index, "getIndexSourceNames") else ()
        out[f"index/{index.getId()}"] = [index.meta_type, list(attrs)]
    for column in tool.schema():
        out[f"column/{column}"] = True
    return out


def rolemap(site):
    out = {"(roles)": sorted(site.valid_roles())}
    for item in site.ac_inherited_permissions(1):
        name = item[0]
        settings = site.rolesOfPermission(name)
        roles = sorted(s["name"] for s in settings if s["selected"])
        acquired = bool(site.acquiredRolesAreUsedBy(name))
        out[name] = [roles, acquired]
    return out


def pas(site):
    acl = site.acl_users
    out = {}
    for obj in acl.objectValues():
        out[f"object/{obj.getId()}"] = obj.meta_type
    registry_ = acl.plugins
    for info in registry_.listPluginTypeInfo():
        out[f"active/{info['id']}"] = list(registry_.listPluginIds(info["interface"]))
    roles = acl.portal_role_manager
    out["role_manager/roles"] = sorted(roles.listRoleIds())
    for group in sorted(acl.source_groups.getGroupIds()):
        out[f"group/{group}/roles"] = sorted(roles.getRolesForPrincipal(acl.getGroupById(group)))
    return out


def actions(site):
    out = {}
    for category in site.portal_actions.objectValues():
        for action in category.objectValues():
            key = f"{category.getId()}/{action.getId()}"
            out[key] = _plain(dict(action.propertyItems()))
    out["(order)"] = {
        category.getId(): list(category.objectIds())
        for category in site.portal_actions.objectValues()
    }
    for configlet in site.portal_controlpanel.listActions():
        out[f"configlet/{configlet.getId()}"] = _plain(
            [
                configlet.title,
                configlet.getActionExpression(),
                list(configlet.permissions),
                configlet.category,
                getattr(configlet, "appId", None),
                bool(configlet.visible),
                getattr(configlet, "icon_expr", None) and configlet.icon_expr.text,
            ]
        )
    return out


def site_settings(site):
    from plone.browserlayer.utils import registered_layers

    out = {
        "title": site.title,
        "browser_layers": sorted(layer.__identifier__ for layer in registered_layers()),
        "profile_versions": _plain(
            {
                pid: site.portal_setup.getLastVersionForProfile(pid)
                for pid in site.portal_setup._profile_upgrade_versions
            }
        ),
    }
    directory = site.get("coffres")
    out["coffres"] = None
    if directory is not None:
        out["coffres"] = {
            "portal_type": directory.portal_type,
            "title": directory.title,
            "valid_roles": sorted(directory.valid_roles()),
            "review_state": site.portal_workflow.getInfoFor(directory, "review_state", None),
            "permissions": {
                p: sorted(s["name"] for s in directory.rolesOfPermission(p) if s["selected"])
                for p in ("Manage Context Aliases",)
            },
        }
    return out


def collections(site):
    """Document types, organisations, checklists and workflow policies, as the product reads them
    (the same records as :func:`registry`, named for a reader)."""
    from ccas.vault import checklists
    from ccas.vault import document_types
    from ccas.vault import organisations
    from ccas.vault.policies import registry as policies

    out = {}
    for name, module, get in (
        ("document_type", document_types, document_types.get_document_type),
        ("organisation", organisations, organisations.get_organisation),
        ("checklist", checklists, checklists.get_checklist),
    ):
        for item_id in sorted(module.records().keys()):
            out[f"{name}/{item_id}"] = _plain(dataclasses.asdict(get(item_id)))
    for policy in policies.list_policies():
        out[f"policy/{policy.id}"] = _plain(policies.stored_state(policy.id))
    return out


SECTIONS = {
    "collections": collections,
    "registry": registry,
    "workflows": workflows,
    "types": types,
    "catalog": catalog,
    "rolemap": rolemap,
    "pas": pas,
    "actions": actions,
    "site": site_settings,
}


def snapshot(home, site_id):
    from ccas.vault.encryption import startup
    from ccas.vault.scripts.instance import _open_app
    from zope.component.hooks import setSite

    with startup.deferred():
        app = _open_app(Path(home).resolve() / "etc" / "zope.conf")
    try:
        site = app[site_id]
        setSite(site)
        return {name: section(site) for name, section in SECTIONS.items()}
    finally:
        setSite(None)
        app._p_jar.db().close()


if __name__ == "__main__":
    home, site_id = sys.argv[1:3]
    json.dump(snapshot(home, site_id), sys.stdout, indent=1, sort_keys=True, default=repr)
