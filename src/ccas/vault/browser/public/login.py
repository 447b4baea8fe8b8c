"""Log in (login + password, no e-mail) and log out of the skin."""

from ccas.vault import _
from ccas.vault.browser.public.router import PublicPage
from ccas.vault.browser.public.router import skin_url
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.interface import alsoProvides


LOGIN_FIELD = "__ac_name"
PASSWORD_FIELD = "__ac_password"


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
    this view then only opens the session (``loginUser`` sets the cookie and
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
                    api.portal.get_tool("portal_membership").loginUser(self.request)
                    self.request.response.redirect(safe_came_from(self.came_from), status=303)
                    return ""
        elif not api.user.is_anonymous():
            self.request.response.redirect(safe_came_from(self.came_from), status=303)
            return ""
        return self.render(status=200)

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
