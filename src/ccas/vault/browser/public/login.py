"""Log in (login + password, no e-mail) and log out of the skin."""

from ccas.vault import _
from ccas.vault.account.sessions import open_session
from ccas.vault.browser.public.router import PublicPage
from ccas.vault.browser.public.router import skin_url
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from urllib.parse import urlsplit
from zope.interface import alsoProvides
import hashlib
import hmac
import secrets


LOGIN_FIELD = "__ac_name"
PASSWORD_FIELD = "__ac_password"
LOGIN_COOKIE = "ccas_login_nonce"  # the pre-login cookie (decision 0036)
LOGIN_TOKEN = "login_token"  # the login form's field tied to it
SAME_ORIGIN = ("same-origin", "none")  # Sec-Fetch-Site values of the site's own pages


def _origin(url):
    parts = urlsplit(url or "")
    return (parts.scheme.lower(), parts.netloc.lower())


def _token_for(nonce):
    from plone.keyring.interfaces import IKeyManager
    from zope.component import getUtility

    secret = getUtility(IKeyManager).secret()
    return hmac.new(secret.encode(), f"login|{nonce}".encode(), hashlib.sha256).hexdigest()


def login_token_ok(request):
    """Whether the login form's token matches the browser's pre-login cookie."""
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    token = request.form.get(LOGIN_TOKEN) or ""
    return bool(nonce and token) and hmac.compare_digest(token, _token_for(nonce))


def forged_login(request):
    """True when a login post comes from another site (login CSRF, decision 0036).

    Browsers say where a post comes from: ``Sec-Fetch-Site`` (current browsers:
    only ``same-origin`` — or ``none``, typed by the person — passes), else
    ``Origin`` (must be the site's), else ``Referer``.  ``Origin: null`` (sent
    by a sandboxed frame, or by an older browser under the skin's
    ``no-referrer`` policy) passes only with the login form's token tied to
    the pre-login cookie.  A post with none of these headers comes from a
    program, not from a browser a third party could drive: it passes.
    """
    fetch_site = (request.getHeader("Sec-Fetch-Site") or "").strip().lower()
    if fetch_site:
        return fetch_site not in SAME_ORIGIN
    own = _origin(api.portal.get().absolute_url())
    origin = (request.getHeader("Origin") or "").strip()
    if origin and origin != "null":
        return _origin(origin) != own
    referer = (request.getHeader("Referer") or "").strip()
    if referer:
        return _origin(referer) != own
    if origin == "null":
        return not login_token_ok(request)
    return False


def safe_came_from(came_from):
    """Only an address of the skin itself (no open redirect)."""
    base = skin_url()
    inside = came_from and (came_from == base or came_from.startswith(base + "/"))
    if inside and "/connexion" not in came_from and "/deconnexion" not in came_from:
        return came_from
    return f"{base}/papiers"


class LoginPage(PublicPage):
    """``/mon-coffre/connexion``.

    The form posts ``__ac_name`` / ``__ac_password``: PAS's cookie plugin
    extracts and checks them while Zope traverses, as for Plone's ``@@login``;
    this view then only opens the session (``open_session`` sets the cookie and
    fires ``UserLoggedInEvent``, which writes the ``login`` line of the vault's
    history, see ``subscribers.record_login``).
    """

    template = ViewPageTemplateFile("templates/login.pt")
    errors = None

    def __call__(self):
        self.errors = {}
        form = self.request.form
        self.came_from = form.get("came_from", "")
        self.login = (form.get(LOGIN_FIELD) or "").strip()
        if self.request.get("REQUEST_METHOD") == "POST" and "form.submitted" in form:
            if forged_login(self.request):
                return self.refuse_forged()
            if not self.login:
                self.errors["login"] = self.translate(
                    _("Write your login. It is on your welcome sheet.")
                )
            if not form.get(PASSWORD_FIELD):
                self.errors["password"] = self.translate(_("Write your password."))
            if not self.errors:
                if self.locked_message():
                    self.request.response.expireCookie("__ac", path="/")
                    self.errors["password"] = self.locked_message()
                elif api.user.is_anonymous():
                    self.request.response.expireCookie("__ac", path="/")
                    self.errors["password"] = self.translate(
                        _(
                            "The login or the password is wrong. Check them and try again. "
                            "Capital letters count."
                        )
                    )
                else:
                    alsoProvides(self.request, IDisableCSRFProtection)
                    open_session(self.request)
                    self.request.response.redirect(safe_came_from(self.came_from), status=303)
                    return ""
        elif not api.user.is_anonymous():
            self.request.response.redirect(safe_came_from(self.came_from), status=303)
            return ""
        return self.render(status=200)

    def refuse_forged(self):
        """403, no session: the page again, with the message under the password."""
        self.request.response.expireCookie("__ac", path="/")
        self.errors["password"] = self.translate(
            _(
                "This login comes from another site: it is refused. "
                "Open the address of your safe yourself and log in there."
            )
        )
        self.login = ""
        return self.render(status=403)

    def login_token(self):
        """The form's token, tied to the pre-login cookie (set here when missing)."""
        nonce = self.request.cookies.get(LOGIN_COOKIE) or ""
        if not nonce:
            from ccas.vault.bruteforce.headers import is_https

            nonce = secrets.token_urlsafe(24)
            self.request.response.setCookie(
                LOGIN_COOKIE,
                nonce,
                path="/",
                http_only=True,
                same_site="Lax",
                secure=is_https(self.request),
            )
        return _token_for(nonce)

    def locked_message(self):
        """The French message of a locked login (decision 0026), else ``None``."""
        from ccas.vault.bruteforce.events import locked_message
        from ccas.vault.bruteforce.plugin import LOCKED

        until = self.request.other.get(LOCKED)
        return locked_message(self.request, until) if until is not None else None

    def idle_message(self):
        """The message after a logout for inactivity (decision 0026), else ``None``."""
        from ccas.vault.bruteforce.idle import EXPIRED
        from ccas.vault.bruteforce.idle import idle_minutes

        if not self.request.form.get(EXPIRED):
            return None
        return self.translate(
            _(
                "You were logged out after ${minutes} minutes without activity.",
                mapping={"minutes": idle_minutes()},
            )
        )

    def forgotten_url(self):
        return self.url("mot-de-passe-oublie")

    def open_url(self):
        """``/mon-coffre/ouvrir`` when people may open their safe online, else ``None``."""
        from ccas.vault.browser.public.self_service import self_service_enabled

        return self.url("ouvrir") if self_service_enabled() else None


class LogoutPage(PublicPage):
    """``/mon-coffre/deconnexion``: close the session, back to the login page."""

    def __call__(self):
        if not api.user.is_anonymous():
            api.portal.get_tool("portal_membership").logoutUser(self.request)
        self.request.response.expireCookie("__ac", path="/")
        return self.redirect("connexion", bye="1")
