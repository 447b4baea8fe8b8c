"""1004 → 1005: the ``ccas.vault: Reach vault pages`` permission (decision 0031); the site
root's first page and themed pages on 127.0.0.1 (decision 0033).

Imports the profile's ``rolemap.xml`` again, which grants it to ``Authenticated``
on the site root.  Makes ``@@bienvenue`` the site root's default view (as
``types/Plone_Site.xml`` does) and empties Plone's "Unthemed host names" (as
``registry/theming.xml`` does), touching nothing else of the type or the
registry.  Idempotent.
"""

from ccas.vault.setuphandlers.install import ensure_vault_directory
from plone import api
import logging


logger = logging.getLogger("ccas.vault.upgrades")

PROFILE = "profile-ccas.vault:default"
FIRST_PAGE = "bienvenue"
UNTHEMED_HOSTS = "plone.app.theming.interfaces.IThemeSettings.hostnameBlacklist"


def upgrade(context):
    setup = api.portal.get_tool("portal_setup")
    setup.runImportStepFromProfile(PROFILE, "rolemap", run_dependencies=False)
    show_the_first_page()
    end_sessions_on_the_server()
    owners_edit_no_vault()
    ensure_vault_directory(api.portal.get())  # NOBODY_INSIDE (the hostile suite's @aliases)
    logger.info("ccas.vault upgraded to 1005: vault pages reachable under their own check")


def show_the_first_page():
    site_type = api.portal.get_tool("portal_types")["Plone Site"]
    if FIRST_PAGE not in site_type.view_methods:
        site_type.manage_changeProperties(view_methods=(*site_type.view_methods, FIRST_PAGE))
    site_type.manage_changeProperties(default_view=FIRST_PAGE)
    api.portal.set_registry_record(UNTHEMED_HOSTS, [])
    logger.info("ccas.vault 1005: the site root shows @@%s; no host left unthemed", FIRST_PAGE)


def end_sessions_on_the_server():
    """Decision 0036: per-account ticket keyrings, stored JWT tokens, the logout plugin.

    Tickets issued before stay valid until their account logs out (or their
    lifetime ends); JWT tokens issued before are refused (not in the store):
    REST clients log in again.
    """
    from ccas.vault.account.sessions import install

    install(api.portal.get_tool("acl_users"))
    logger.info("ccas.vault 1005: sessions and tokens end on the server")


def owners_edit_no_vault():
    """Decision 0034: ``Modify portal content`` on a vault is held by nobody (the person
    edited their GED person ids through Plone's edit form); set on every vault."""
    from ccas.vault import roles

    workflow = api.portal.get_tool("portal_workflow")["ccas_vault_workflow"]
    permission = "Modify portal content"
    for state in workflow.states.objectValues():
        info = state.getPermissionInfo(permission)
        if roles.VAULT_OWNER in info["roles"]:
            kept = [role for role in info["roles"] if role != roles.VAULT_OWNER]
            state.setPermission(permission, info["acquired"], kept)
    catalog = api.portal.get_tool("portal_catalog")
    for brain in catalog.unrestrictedSearchResults(portal_type="Vault"):
        workflow.updateRoleMappingsFor(brain._unrestrictedGetObject())
    logger.info("ccas.vault 1005: no vault is editable through Plone's forms")
