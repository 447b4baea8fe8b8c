"""A PAS user factory that never honours a vault's local roles site-wide.

Plone's role manager stores any role name it is asked to grant, so a Manager
could give themself ``VaultOwner`` (or a mandate role) site-wide through the
users control panel or ``@users``.  Users made by this factory drop those
roles from their global roles: they only count where they are granted, as
local roles on one vault.
"""

from AccessControl.class_init import InitializeClass
from ccas.vault.roles import LOCAL_ROLES
from Products.PlonePAS.plugins.ufactory import PloneUser
from Products.PlonePAS.plugins.ufactory import PloneUserFactory
from Products.PluggableAuthService.interfaces.plugins import IUserFactoryPlugin


PLUGIN_ID = "ccas_vault_user_factory"


class LocalOnlyRolesUser(PloneUser):
    """A Plone user whose global roles never include a vault's local roles."""

    def _addRoles(self, roles=()):
        super()._addRoles([role for role in roles if role not in LOCAL_ROLES])


InitializeClass(LocalOnlyRolesUser)


class VaultUserFactory(PloneUserFactory):
    """Creates :class:`LocalOnlyRolesUser` users."""

    meta_type = "ccas.vault user factory"

    def createUser(self, user_id, name):
        return LocalOnlyRolesUser(user_id, name)


InitializeClass(VaultUserFactory)


def install_user_factory(pas):
    """Add the factory to ``pas`` and make it the first user factory."""
    if PLUGIN_ID not in pas.objectIds():
        pas._setObject(PLUGIN_ID, VaultUserFactory(PLUGIN_ID))
    plugins = pas.plugins
    if PLUGIN_ID not in plugins.listPluginIds(IUserFactoryPlugin):
        plugins.activatePlugin(IUserFactoryPlugin, PLUGIN_ID)
    while plugins.listPluginIds(IUserFactoryPlugin)[0] != PLUGIN_ID:
        plugins.movePluginsUp(IUserFactoryPlugin, [PLUGIN_ID])


def uninstall_user_factory(pas):
    if PLUGIN_ID in pas.objectIds():
        pas._delObject(PLUGIN_ID)
