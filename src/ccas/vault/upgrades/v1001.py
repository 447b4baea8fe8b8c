"""1000 → 1001: certification seals, share links, checklists, GED letters.

Adds what the new features need without touching what records managers
changed: the registry's ``plone.app.registry`` step is never re-run whole
(it would restore the preloaded document types and organisations); new
settings are registered from their interface (existing values kept) and the
preloaded checklists are imported only where no checklist exists yet.
"""

from ccas.vault import profiles_dir
from ccas.vault.checklists import records as checklist_records
from ccas.vault.settings import IVaultSettings
from ccas.vault.setuphandlers.install import ensure_seal_key
from plone import api
from plone.app.registry.exportimport.handler import RegistryImporter
from plone.registry.interfaces import IRegistry
from zope.component import getUtility
import logging


logger = logging.getLogger("ccas.vault.upgrades")

PROFILE = "profile-ccas.vault:default"
STEPS = ("typeinfo", "workflow", "rolemap", "controlpanel")


class _Environment:
    """The little of a GenericSetup import context that ``RegistryImporter`` uses."""

    def getLogger(self, name):
        return logger

    def shouldPurge(self):
        return False


def import_preloaded_checklists(registry):
    """Import ``registry/checklists.xml`` of the profile if the site has no checklist."""
    if len(checklist_records(registry)):
        return False
    path = profiles_dir() / "default" / "registry" / "checklists.xml"
    RegistryImporter(registry, _Environment()).importDocument(path.read_bytes())
    return True


def upgrade(context):
    setup = api.portal.get_tool("portal_setup")
    for step in STEPS:
        setup.runImportStepFromProfile(PROFILE, step, run_dependencies=False)
    registry = getUtility(IRegistry)
    registry.registerInterface(IVaultSettings, prefix="ccas.vault.settings")
    import_preloaded_checklists(registry)
    ensure_seal_key()
    api.portal.get_tool("portal_workflow").updateRoleMappings()
