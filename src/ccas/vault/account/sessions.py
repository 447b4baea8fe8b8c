"""Sessions end on the server (decision 0036).

Two kinds of sessions carry no password: plone.session's ``__ac`` ticket (an
HMAC over the user id and a time) and plone.restapi's JWT tokens (signed with
the site's keyring).  Before, both stayed valid after a logout until their
lifetime ran out: expiring the cookie only asked the browser to forget it.

Now both are checked against server-side state:

- plone.session signs each account's tickets with a keyring of its own
  (``per_user_keyring``, plone.session's own "server-side logout"): rotating
  that keyring refuses every ticket issued before;
- the JWT plugin keeps the tokens it issued (``store_tokens``): a token no
  longer in the store is refused.

:func:`end_sessions` does both for one account.  It is called on every logout
(the PAS plugin :class:`SessionEnder`, first of the credentials-reset plugins:
the skin's ``/mon-coffre/deconnexion``, Plone's logout, ``@logout``, the skin's
idle logout), on every password change (PAS's ``CredentialsUpdated`` event:
the person's own change, every reset, a change made by an administrator; the
person who changed their own password keeps a fresh session on this device),
and when an account is deleted (``PrincipalDeleted``: a closed vault deleted
by the clock).  A mandate's end does not end the agent's sessions: the
agent's rights on the vault are computed at every request.

Logging in writes nothing that other people's logins write (decision 0053):

- the account's keyring is made when the account is created
  (:func:`principal_created`), not by plone.session at the first login: all the
  keyrings live in one ``PersistentMapping`` of the site's key manager, and two
  first logins at once conflicted on it;
- :func:`open_session` opens the session as Plone's ``loginUser`` does, without
  Plone's ``login_time`` / ``last_login_time`` member properties: PlonePAS keeps
  every account's properties as a plain ``dict`` in one ``OOBTree``, whose buckets
  ZODB cannot merge, so two logins at once conflicted whenever their accounts
  shared a bucket.  When a person logged in is the vault's history's ``login``
  entry (and the indicators' counters), written by ``UserLoggedInEvent``.
"""

from AccessControl import getSecurityManager
from AccessControl.class_init import InitializeClass
from BTrees.OOBTree import OOBTree
from ccas.vault import pas_plugins
from plone.keyring.interfaces import IKeyManager
from plone.keyring.keyring import Keyring
from plone.protect.interfaces import IDisableCSRFProtection
from Products.PlonePAS.events import UserLoggedInEvent
from Products.PluggableAuthService.interfaces.plugins import IAuthenticationPlugin
from Products.PluggableAuthService.interfaces.plugins import ICredentialsResetPlugin
from Products.PluggableAuthService.plugins.BasePlugin import BasePlugin
from zope.component import queryUtility
from zope.event import notify
from zope.globalrequest import getRequest
from zope.interface import alsoProvides
from zope.interface import implementer
import logging


logger = logging.getLogger("ccas.vault.sessions")

PLUGIN_ID = "ccas_vault_session_ender"
SESSION_META_TYPE = "Plone Session Plugin"
JWT_META_TYPE = "JWT Authentication Plugin"


def _pas():
    from plone import api

    return api.portal.get_tool("acl_users")


def _plugins(pas, meta_type):
    return [
        plugin
        for _id, plugin in pas.plugins.listPlugins(IAuthenticationPlugin)
        if plugin.meta_type == meta_type
    ]


def bearer_token(request):
    """The JWT token of ``request``'s ``Authorization: Bearer`` header, or ``None``."""
    auth = getattr(request, "_auth", None) or ""
    if auth[:7].lower() == "bearer ":
        return auth.split()[-1]
    return None


def end_sessions(userid, keep_token=None):
    """Refuse from now on every session ticket and JWT token issued to ``userid``.

    The account's ticket keyring gets a new secret (created when the account
    had none yet, so that tickets signed with the site-wide secret before
    per-account keyrings are refused too); the account's stored JWT tokens
    are deleted, except ``keep_token`` (the token of the request that changed
    the account's own password).  Idempotent; works for a deleted account.
    """
    if not userid:
        return
    pas = _pas()
    manager = queryUtility(IKeyManager)
    for plugin in _plugins(pas, SESSION_META_TYPE):
        if manager is None:
            break
        ring = plugin._getSecretKey(userid)
        if ring not in manager:
            manager[ring] = Keyring(1)
        manager.clear(ring=ring)
        manager.rotate(ring=ring)
    for plugin in _plugins(pas, JWT_META_TYPE):
        tokens = plugin._tokens.get(userid) if plugin._tokens is not None else None
        if tokens is None:
            continue
        for token in list(tokens.keys()):
            if token != keep_token:
                del tokens[token]
        if not len(tokens):
            del plugin._tokens[userid]
    logger.info("Sessions of %s ended", userid)


def forget_sessions(userid):
    """Remove what :func:`end_sessions` keeps for a deleted account (no trace of the id)."""
    pas = _pas()
    manager = queryUtility(IKeyManager)
    for plugin in _plugins(pas, SESSION_META_TYPE):
        ring = plugin._getSecretKey(userid)
        if manager is not None and ring in manager:
            del manager[ring]
    for plugin in _plugins(pas, JWT_META_TYPE):
        if plugin._tokens is not None and userid in plugin._tokens:
            del plugin._tokens[userid]


@implementer(ICredentialsResetPlugin)
class SessionEnder(BasePlugin):
    """On logout, end every session of the account that logs out (see module)."""

    meta_type = "ccas.vault session ender"

    def __init__(self, id, title=None):
        self._setId(id)
        self.title = title

    def resetCredentials(self, request, response):
        user = getSecurityManager().getUser()
        userid = user.getId() if user is not None else None
        if not userid or self._getPAS().getUserById(userid) is None:
            return
        # A logout writes (keyring, token store) even when it is a GET, as Plone's own
        # logout does (PlonePAS disables the check too): ending a session is harmless.
        alsoProvides(request, IDisableCSRFProtection)
        end_sessions(userid)


InitializeClass(SessionEnder)


def credentials_updated(principal, event):
    """``CredentialsUpdated`` (a new password): end the account's sessions.

    When the person changed their own password (the request's authenticated
    user: the change itself runs as the system), this browser keeps a fresh
    session: a new ticket, or the token of this request when it came by JWT.
    """
    userid = principal.getId()
    request = getRequest()
    current = request.get("AUTHENTICATED_USER") if request is not None else None
    own = current is not None and current.getId() == userid
    end_sessions(userid, keep_token=bearer_token(request) if own else None)
    if own and bearer_token(request) is None:
        for plugin in _plugins(_pas(), SESSION_META_TYPE):
            plugin._setupSession(userid, request.response)


def prepare_keyring(userid):
    """Give ``userid`` its ticket keyring (filled) unless it has one; the same keyring
    plone.session would make at the account's first login."""
    manager = queryUtility(IKeyManager)
    if manager is None or not userid:
        return
    for plugin in _plugins(_pas(), SESSION_META_TYPE):
        if not plugin.getProperty("per_user_keyring"):
            continue
        ring = plugin._getSecretKey(userid)
        if ring not in manager:
            manager[ring] = Keyring(1)
            manager[ring].fill()


def principal_created(event):
    """``PrincipalCreated``: the new account's keyring, made now rather than at its first
    login (one shared mapping holds the keyrings: see the module)."""
    principal = event.principal
    if getattr(principal, "isGroup", lambda: False)():
        return
    prepare_keyring(getattr(principal, "getId", lambda: principal)())


def open_session(request):
    """Open the session of the user the request authenticated (the login form's post):
    ``UserLoggedInEvent``, then the credentials plugins' cookie, as Plone's ``loginUser``
    does, without writing the ``login_time`` member properties (see the module)."""
    user = getSecurityManager().getUser()
    if user is None:
        return
    prepare_keyring(user.getId())  # accounts made before their keyring was made at creation
    notify(UserLoggedInEvent(user))
    if request.get("__cp", None) is not None:
        request.response.expireCookie("__cp", path="/")
    helper = getattr(_pas(), "credentials_cookie_auth", None)
    if helper is not None:
        helper.login()


def principal_deleted(event):
    """``PrincipalDeleted``: the account's keyring and tokens go with it."""
    userid = getattr(event.principal, "getId", lambda: event.principal)()
    if userid:
        forget_sessions(userid)


def install(pas):
    """Per-account ticket keyrings, stored JWT tokens, and the logout plugin, first."""
    for plugin in _plugins(pas, SESSION_META_TYPE):
        plugin.per_user_keyring = True
    for plugin in _plugins(pas, JWT_META_TYPE):
        plugin.store_tokens = True
        if plugin._tokens is None:
            plugin._tokens = OOBTree()
    pas_plugins.install_first(
        pas,
        PLUGIN_ID,
        lambda: SessionEnder(PLUGIN_ID, "Sessions end on logout (ccas.vault)"),
        ICredentialsResetPlugin,
    )


def uninstall(pas):
    pas_plugins.remove(pas, PLUGIN_ID)
