"""Add, configure and remove the public identity plugin."""

from ccas.vault.oidc.plugin import PLUGIN_ID
from ccas.vault.oidc.plugin import PublicIdentityPlugin
from plone import api
from plone.api.exc import CannotGetPortalError


def get_plugin():
    """The plugin when it is installed, else ``None``."""
    try:
        pas = api.portal.get_tool("acl_users")
    except CannotGetPortalError:
        return None
    plugin = pas._getOb(PLUGIN_ID, None)
    return plugin if isinstance(plugin, PublicIdentityPlugin) else None


def configured_plugin():
    """The plugin when it is installed and has a provider, else ``None``."""
    plugin = get_plugin()
    return plugin if plugin is not None and plugin.is_configured() else None


def install():
    """Add the plugin (without provider: it shows nothing until configured)."""
    pas = api.portal.get_tool("acl_users")
    plugin = get_plugin()
    if plugin is None:
        pas._setObject(
            PLUGIN_ID, PublicIdentityPlugin(PLUGIN_ID, "Identité publique (OpenID Connect)")
        )
        plugin = pas._getOb(PLUGIN_ID)
    return plugin


def enable(issuer, client_id, client_secret, title=""):
    """Install the plugin and point it to the provider ``issuer``."""
    plugin = install()
    plugin.manage_changeProperties(issuer=issuer, client_id=client_id, client_secret=client_secret)
    if title:
        plugin.manage_changeProperties(title=title)
    return plugin


def uninstall():
    """Remove the plugin and every link it kept."""
    pas = api.portal.get_tool("acl_users")
    if get_plugin() is not None:
        pas._delObject(PLUGIN_ID)


def post_install(context):
    """Post handler of the ``ccas.vault:oidc`` profile."""
    install()
