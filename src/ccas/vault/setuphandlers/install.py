"""Install and uninstall handlers of ``ccas.vault``."""

from ccas.vault import roles
from ccas.vault.account.sessions import install as install_session_ender
from ccas.vault.account.sessions import uninstall as uninstall_session_ender
from ccas.vault.accounts import ensure_group
from ccas.vault.bruteforce.plugin import install as install_login_throttle
from ccas.vault.bruteforce.plugin import uninstall as uninstall_login_throttle
from ccas.vault.pas import install_user_factory
from ccas.vault.pas import uninstall_user_factory
from ccas.vault.security import as_system
from ccas.vault.site_portlets import settle_portlet_settings
from plone import api
from plone.base.interfaces import INonInstallable
from Products.CMFPlone.utils import _createObjectByType
from zope.interface import implementer


VAULT_DIRECTORY_ID = "coffres"
VAULT_DIRECTORY_TITLE = "Coffres-forts numériques"


@implementer(INonInstallable)
class HiddenProfiles:
    """Keep the uninstall and demo profiles out of the add-ons control panel."""

    def getNonInstallableProfiles(self):
        return ["ccas.vault:uninstall", "ccas.vault:demo"]

    def getNonInstallableProducts(self):
        return []


#: Plone permissions nobody holds inside the vaults, whatever their rank: none of the vault
#: workflows manages them, so they would be acquired from the site root (Manager, Site
#: Administrator: ``@aliases`` written on a person's paper, found by the hostile suite).
NOBODY_INSIDE = ("Manage Context Aliases",)


def ensure_vault_directory(portal):
    """Create ``/coffres`` if missing, define the local roles on it and take
    :data:`NOBODY_INSIDE` from everyone there."""
    directory = portal.get(VAULT_DIRECTORY_ID)
    if directory is None:
        with as_system():
            directory = _createObjectByType(
                "VaultDirectory", portal, VAULT_DIRECTORY_ID, title=VAULT_DIRECTORY_TITLE
            )
    defined = set(directory.valid_roles())
    for role in roles.LOCAL_ROLES:
        if role not in defined:
            directory._addRole(role)
    for permission in NOBODY_INSIDE:
        directory.manage_permission(permission, roles=[], acquire=False)
    return directory


def post_install(context):
    """Install the user factory, the vault directory and the beneficiaries' group."""
    portal = api.portal.get()
    install_user_factory(portal.acl_users)
    install_login_throttle(portal.acl_users)
    install_session_ender(portal.acl_users)
    ensure_vault_directory(portal)
    ensure_group(roles.BENEFICIARIES_GROUP, "Bénéficiaires du coffre-fort", [roles.BENEFICIARY])
    ensure_seal_key()
    ensure_master_key()
    settle_portlet_settings(portal)


def ensure_master_key():
    """Create the master key of encryption at rest (outside the ZODB) if none exists."""
    from ccas.vault.encryption.keys import ensure_master

    return ensure_master()


def ensure_seal_key():
    """Create the CCAS seal key (outside the ZODB, see certification/keys.py) if none exists."""
    from ccas.vault.certification.keys import ensure_key

    return ensure_key()


def uninstall(context):
    """Remove the add-on's site roles, which ``rolemap.xml`` cannot remove.

    The vault directory and its vaults are kept: uninstalling the add-on never
    deletes people's papers.
    """
    portal = api.portal.get()
    defined = [role for role in roles.GLOBAL_ROLES if role in portal.valid_roles()]
    if defined:
        portal._delRoles(defined)
    role_manager = portal.acl_users.portal_role_manager
    for role in roles.GLOBAL_ROLES:
        if role in role_manager.listRoleIds():
            role_manager.removeRole(role)
    uninstall_user_factory(portal.acl_users)
    uninstall_login_throttle(portal.acl_users)
    uninstall_session_ender(portal.acl_users)
