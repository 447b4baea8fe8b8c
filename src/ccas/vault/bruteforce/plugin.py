"""A PAS plugin that counts login failures and refuses locked accounts.

Every login + password goes through PAS's authentication plugins, whatever
the door: Plone's ``@@login`` form and the skin's (``__ac_name`` /
``__ac_password``), HTTP Basic auth, plone.restapi's ``@login``
(``acl_users.authenticate``).  This plugin is the first of them.  It checks
the credentials against the other authentication plugins itself, so it knows
the outcome, and counts it (:mod:`.throttle`).  When the account or the
address is locked it blanks the password of the credentials, which PAS hands
to the next plugins: nobody authenticates, even with the right password.

Session tickets (``__ac`` of plone.session) and JWT tokens carry no password
and are not counted.  plone.restapi's JWT plugin also reads ``login`` and
``password`` from *any* JSON body: that is a login only on ``@login``.
Elsewhere those are the fields of a form (``POST @vaults`` carries the new
person's login and chosen password): they are blanked, so they neither log
anyone in nor count as a failure (issue 19 item 14: opening 20 vaults locked
the reception desk's address).  A request whose transaction is aborted (e.g. Basic auth
on a protected page: ``Unauthorized``) loses its writes: the failures are
counted again after the abort, and a success forgets the account's failures
after the request (:func:`after_request`).
"""

from AccessControl.class_init import InitializeClass
from Acquisition import aq_base
from Acquisition import aq_inner
from Acquisition import aq_parent
from ccas.vault import pas_plugins
from ccas.vault.account.recovery import client_address
from ccas.vault.bruteforce import throttle
from Products.PluggableAuthService.interfaces.plugins import IAuthenticationPlugin
from Products.PluggableAuthService.plugins.BasePlugin import BasePlugin
from zope.globalrequest import getRequest
from zope.interface import implementer
import logging
import transaction


logger = logging.getLogger("ccas.vault.bruteforce")

PLUGIN_ID = "ccas_vault_login_throttle"
SEEN = "_ccas_login_seen"  # request key: {login: outcome} of this request
LOCKED = "ccas.vault.login_locked_until"  # request key: end of the lock met
FAILURES = "_ccas_login_failures"  # request key: [(login, address)] counted
SUCCEEDED = "_ccas_login_succeeded"  # request key: [login] with failures to forget


def _outcome(pas, me, credentials, request):
    """Whether the credentials are right: for another plugin of ``pas``, or for a user
    folder above the site (Zope's own ``admin`` is not a failure of the site's)."""
    for plugin_id, plugin in pas.plugins.listPlugins(IAuthenticationPlugin):
        if plugin_id == me:
            continue
        try:
            found = plugin.authenticateCredentials(dict(credentials))
        except (NameError, AttributeError, KeyError, TypeError, ValueError):
            continue
        if found and found[0] is not None:
            return True
    above = aq_parent(aq_parent(aq_inner(pas)))  # the site's container
    while above is not None:
        folder = getattr(aq_base(above), "acl_users", None)
        if folder is not None:
            folder = above.acl_users
            if folder.authenticate(credentials["login"], credentials["password"], request):
                return True
        above = aq_parent(above)
    return False


JWT_PLUGIN = "JWT Authentication Plugin"  # plone.restapi's meta_type


def _json_body_outside_login(pas, credentials, request):
    """Whether ``credentials`` are a JSON body's ``login`` / ``password`` sent to
    another service than ``@login`` (a form's fields, not a login)."""
    extractor = credentials.get("extractor")
    if not extractor or "token" in credentials:
        return False
    plugin = getattr(aq_base(pas), extractor, None)
    if getattr(plugin, "meta_type", None) != JWT_PLUGIN:
        return False
    path = str(request.get("PATH_INFO", "")) if request is not None else ""
    return path.rstrip("/").rsplit("/", 1)[-1] != "@login"


def _tell_locked(request, until):
    """Mark the request (429, see ``events``); on the intranet, say it in a status message."""
    from ccas.vault.bruteforce.events import locked_message
    from ccas.vault.interfaces import IPublicSkinLayer
    from Products.statusmessages.interfaces import IStatusMessage

    request.other[LOCKED] = until
    if not IPublicSkinLayer.providedBy(request):
        IStatusMessage(request).add(locked_message(request, until), type="error")


@implementer(IAuthenticationPlugin)
class LoginThrottle(BasePlugin):
    """Counts and limits login attempts (see module)."""

    meta_type = "ccas.vault login throttle"

    def __init__(self, id, title=None):
        self._setId(id)
        self.title = title

    def authenticateCredentials(self, credentials):
        login, password = credentials.get("login"), credentials.get("password")
        if not login or password is None:
            return None
        request = getRequest()
        if _json_body_outside_login(self._getPAS(), credentials, request):
            credentials["password"] = None  # PAS hands these to the next plugins
            return None
        seen = request.other.setdefault(SEEN, {}) if request is not None else {}
        address = client_address(request) if request is not None else ""
        if login in seen:
            if seen[login] == "locked":
                credentials["password"] = None
            return None
        until = throttle.locked_until(login, address)
        if until is not None:
            seen[login] = "locked"
            credentials["password"] = None
            if request is not None:
                _tell_locked(request, until)
            return None
        if _outcome(self._getPAS(), self.getId(), credentials, request):
            seen[login] = "ok"
            if request is not None and throttle.has_failures(login):
                request.other.setdefault(SUCCEEDED, []).append(login)
            return None
        seen[login] = "failed"
        if request is not None:
            request.other.setdefault(FAILURES, []).append((login, address))
        until = throttle.failed(login, address)
        if until is not None and request is not None:
            _tell_locked(request, until)
        return None


InitializeClass(LoginThrottle)


def after_request(event):
    """``IPubSuccess`` / ``IPubFailure``: forget the failures of the accounts that logged in;
    count again the failures an aborted transaction lost.

    Both in a transaction of their own, after the request's: a success happens in
    an authenticated request, often a GET, whose writes plone.protect refuses.
    """
    if getattr(event, "retry", False):
        return
    failures = event.request.other.get(FAILURES) if hasattr(event, "exc_info") else None
    succeeded = event.request.other.get(SUCCEEDED)
    if not failures and not succeeded:
        return
    try:
        transaction.begin()
        for login, address in failures or ():
            throttle.failed(login, address)
        for login in succeeded or ():
            throttle.succeeded(login)
        transaction.commit()
    except Exception:  # counting must never break the answer
        logger.exception("Could not count login attempts after the request")
        transaction.abort()


def install(pas):
    """Add the plugin to ``pas`` as the first authentication plugin."""
    pas_plugins.install_first(
        pas,
        PLUGIN_ID,
        lambda: LoginThrottle(PLUGIN_ID, "Login attempts (ccas.vault)"),
        IAuthenticationPlugin,
    )


def uninstall(pas):
    pas_plugins.remove(pas, PLUGIN_ID)
