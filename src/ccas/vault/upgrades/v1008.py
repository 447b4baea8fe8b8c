"""1007 → 1008: whatever ``profiles/default`` installs today and an older site lacks.

Until 1008 the profile sometimes grew while its version stayed (issue 25): a site
installed from such a state and upgraded by the steps missed what came in between —
the whole document-types registry or the CCAS and CAF organisations (states of
1000), the session ender, the toolbar and undo-log permissions, the first page and
the vault workflow's rules (states of 1005).  This step brings a site to what a
fresh install makes, keeping what records managers changed (decision 0048):

- the definitions the add-on owns are imported again: types, workflows (then the
  active workflow policies applied again and every object's security updated),
  site permissions, actions, control panels, browser layer;
- the registry is *completed*, never overwritten: a record the profile defines and
  the site lacks is added with the profile's value (a preloaded document type or
  organisation that never reached the site comes whole; one a records manager
  edited keeps its values); a Plone record the profile sets (e.g. the unthemed host
  names) takes the profile's value only while it still holds Plone's default;
  preloaded checklists come only to a site without any checklist (a removed one
  never comes back);
- the install handler's parts (PAS plugins, vault directory, beneficiaries' group,
  keys) are ensured again.

:func:`catch_up` is idempotent: a later step may call it again.
"""

from ccas.vault import profiles_dir
from ccas.vault.checklists import PREFIX as CHECKLISTS_PREFIX
from ccas.vault.setuphandlers.install import post_install
from ccas.vault.upgrades.v1001 import _Environment
from ccas.vault.upgrades.v1001 import import_preloaded_checklists
from ccas.vault.upgrades.v1002 import reapply_policies
from lxml import etree
from plone import api
from plone.app.registry.exportimport.handler import RegistryImporter
from plone.registry import Record
from plone.registry import Registry
from plone.registry.interfaces import IRegistry
from zope.component import getUtility
import copy
import logging


logger = logging.getLogger("ccas.vault.upgrades")

PROFILE = "profile-ccas.vault:default"
#: The import steps of definitions the add-on owns (not the registry: see module doc).
STEPS = ("typeinfo", "workflow", "rolemap", "actions", "controlpanel", "browserlayer")


def profile_registry(site_registry):
    """The records ``profiles/default/registry/*.xml`` make, in a scratch registry.

    Plone's own records the files only set (``<record name>`` without a field) are
    copied from the site first, with their field's default as value."""
    scratch = Registry()
    documents = [path.read_bytes() for path in sorted(registry_files())]
    for document in documents:
        for element in etree.fromstring(document).iterfind("record"):
            name = element.get("name")
            if element.find("field") is None and name in site_registry.records:
                field = copy.copy(site_registry.records[name].field)
                scratch.records[name] = Record(field, field.default)
    for document in documents:
        RegistryImporter(scratch, _Environment()).importDocument(document)
    return scratch


def registry_files():
    return (profiles_dir() / "default" / "registry").glob("*.xml")


def complete_registry(registry):
    """Add the profile's records the site lacks; set Plone's records the profile sets
    while they hold their default.  Returns the names changed."""
    scratch = profile_registry(registry)
    changed = []
    for name in scratch.records:
        if name.startswith(CHECKLISTS_PREFIX + "/"):
            continue  # all or nothing: import_preloaded_checklists
        wanted = scratch.records[name]
        if name not in registry.records:
            registry.records[name] = Record(copy.copy(wanted.field), wanted.value)
            changed.append(name)
            continue
        record = registry.records[name]
        plone_owned = not name.startswith("ccas.vault.")
        untouched = _same(record.value, record.field.default)
        if plone_owned and untouched and not _same(record.value, wanted.value):
            record.value = wanted.value
            changed.append(name)
    if import_preloaded_checklists(registry):
        changed.append(CHECKLISTS_PREFIX + "/*")
    return changed


def _same(a, b):
    """Equal values, a list and a tuple of the same items alike."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def catch_up():
    """Bring the site to what a fresh install of today's profile makes (idempotent)."""
    setup = api.portal.get_tool("portal_setup")
    for step in STEPS:
        setup.runImportStepFromProfile(PROFILE, step, run_dependencies=False)
    changed = complete_registry(getUtility(IRegistry))
    post_install(None)
    reapply_policies()
    count = api.portal.get_tool("portal_workflow").updateRoleMappings()
    logger.info(
        "ccas.vault catch-up: %s imported; registry: %s; security of %s object(s) updated",
        ", ".join(STEPS),
        f"{len(changed)} record(s) added or set" if changed else "complete",
        count,
    )
    return changed


def upgrade(context):
    catch_up()
