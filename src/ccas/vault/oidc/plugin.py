"""The PAS plugin of the login with a public identity (OpenID Connect, e.g. FranceConnect).

It talks to the provider with ``oic`` (discovery, keys, token request, ID token
checks) and never creates an account: a public identity only opens the
account it was linked to, once, by its owner logged in with the password. The
links (the provider's ``sub`` <-> the Plone user id) are kept on the plugin,
in ``acl_users``. It implements no PAS interface: nothing changes for the
other logins.
"""

from AccessControl.class_init import InitializeClass
from BTrees.OOBTree import OOBTree
from oic.oic import Client
from oic.oic.message import RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from Products.PluggableAuthService.plugins.BasePlugin import BasePlugin
from zope.interface import implementer
from zope.interface import Interface


PLUGIN_ID = "identite-publique"


class ProviderUnavailable(Exception):
    """The provider's discovery document or keys could not be read."""


class IPublicIdentityPlugin(Interface):
    """Marker of the plugin (its views are registered for it)."""


@implementer(IPublicIdentityPlugin)
class PublicIdentityPlugin(BasePlugin):
    """OpenID Connect login for accounts that linked their public identity."""

    meta_type = "CCAS Vault public identity plugin"
    issuer = ""
    client_id = ""
    client_secret = ""

    _properties = (
        {"id": "title", "type": "string", "mode": "w", "label": "Title"},
        {"id": "issuer", "type": "string", "mode": "w", "label": "OpenID Connect issuer"},
        {"id": "client_id", "type": "string", "mode": "w", "label": "Client ID"},
        {"id": "client_secret", "type": "string", "mode": "w", "label": "Client secret"},
    )

    def __init__(self, id, title=None):
        self._setId(id)
        self.title = title
        self._user_of_sub = OOBTree()
        self._sub_of_user = OOBTree()

    def is_configured(self):
        return bool(self.issuer and self.client_id)

    def redirect_uri(self):
        return f"{self.absolute_url()}/retour"

    def client(self):
        """An ``oic`` client that read the provider's discovery document and keys."""
        client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
        try:
            client.provider_config(self.issuer)
        except Exception as error:  # connection refused, bad JSON, bad issuer...
            raise ProviderUnavailable(str(error)) from error
        client.store_registration_info(
            RegistrationResponse(client_id=self.client_id, client_secret=self.client_secret)
        )
        return client

    # --- links ------------------------------------------------------------------------

    def user_of(self, sub):
        """The user id the public identity ``sub`` was linked to, or ``None``."""
        return self._user_of_sub.get(sub)

    def sub_of(self, user_id):
        return self._sub_of_user.get(user_id)

    def link(self, user_id, sub):
        """Link ``sub`` to ``user_id`` (replacing the user's earlier link).

        Raises ``ValueError`` when ``sub`` is linked to somebody else.
        """
        owner = self._user_of_sub.get(sub)
        if owner not in (None, user_id):
            raise ValueError("This public identity is linked to another account")
        self.unlink(user_id)
        self._user_of_sub[sub] = user_id
        self._sub_of_user[user_id] = sub

    def unlink(self, user_id):
        """Forget the public identity of ``user_id``; whether there was one."""
        sub = self._sub_of_user.pop(user_id, None)
        if sub is None:
            return False
        self._user_of_sub.pop(sub, None)
        return True


InitializeClass(PublicIdentityPlugin)
