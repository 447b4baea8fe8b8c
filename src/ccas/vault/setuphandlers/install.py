"""Install-time utilities of ``ccas.vault:default``."""

from ccas.vault import roles
from plone import api
from plone.base.interfaces import INonInstallable
from zope.interface import implementer


@implementer(INonInstallable)
class HiddenProfiles:
    """Keep the uninstall and demo profiles out of the add-ons control panel."""

    def getNonInstallableProfiles(self):
        return ["ccas.vault:uninstall", "ccas.vault:demo"]

    def getNonInstallableProducts(self):
        return []


def uninstall(context):
    """Remove the add-on's roles, which ``rolemap.xml`` cannot remove."""
    portal = api.portal.get()
    defined = [role for role in roles.ALL_ROLES if role in portal.valid_roles()]
    if defined:
        portal._delRoles(defined)
    role_manager = portal.acl_users.portal_role_manager
    for role in roles.ALL_ROLES:
        if role in role_manager.listRoleIds():
            role_manager.removeRole(role)
