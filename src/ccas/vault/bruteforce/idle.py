"""The skin's idle timeout: a person is logged out after some minutes without activity.

Each authenticated request to the skin renews a cookie holding the time of
the request, signed with the site's keyring secret and the user id.  When
the last activity is older than the ``public_session_idle_minutes`` setting
(default 15), the session is closed and the person lands on the login page
with a message.  The intranet keeps plone.session's longer timeout.  A
missing or forged cookie restarts the count (the session ticket's own
lifetime still bounds a stolen session).
"""

from AccessControl import getSecurityManager
from ccas.vault import clock
from ccas.vault.bruteforce.headers import is_https
from ccas.vault.interfaces import IPublicSkinLayer
from plone.keyring.interfaces import IKeyManager
from zExceptions import Redirect
from zope.component import queryUtility
import hashlib
import hmac


COOKIE = "ccas_skin_seen"
STATIC = ("style.css", "photos.js")
EXPIRED = "inactif"  # query of the login page after an idle logout


def idle_minutes():
    from ccas.vault.settings import get_setting

    return get_setting("public_session_idle_minutes") or 15


def _now():
    return int(clock.paris_now().timestamp())


def _signature(user_id, moment):
    manager = queryUtility(IKeyManager)
    secret = manager.secret() if manager is not None else ""
    message = f"{user_id}|{moment}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def stamp(user_id, moment):
    return f"{moment}.{_signature(user_id, moment)}"


def last_activity(request, user_id):
    """The signed time of the last activity (seconds), or ``None``."""
    moment, _dot, signature = (request.cookies.get(COOKIE) or "").partition(".")
    if not moment.isdigit() or not hmac.compare_digest(signature, _signature(user_id, moment)):
        return None
    return int(moment)


def _set_cookie(request, value):
    request.response.setCookie(
        COOKIE, value, path="/", http_only=True, same_site="Lax", secure=is_https(request)
    )


def check_idle(event):
    """``IPubAfterTraversal``: log out an idle person of the skin, or note the activity."""
    request = event.request
    if not IPublicSkinLayer.providedBy(request):
        return
    if request.get("PATH_INFO", "").rstrip("/").rsplit("/", 1)[-1] in STATIC:
        return
    user = getSecurityManager().getUser()
    if user is None or user.getUserName() == "Anonymous User":
        return
    now = _now()
    seen = last_activity(request, user.getId())
    if seen is not None and now - seen > idle_minutes() * 60:
        from ccas.vault.browser.public.router import skin_url
        from plone import api

        api.portal.get_tool("portal_membership").logoutUser(request)
        request.response.expireCookie("__ac", path="/")
        request.response.expireCookie(COOKIE, path="/")
        raise Redirect(f"{skin_url()}/connexion?{EXPIRED}=1")
    _set_cookie(request, stamp(user.getId(), now))
