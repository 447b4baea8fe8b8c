"""The parts of the skin's login and account pages about the public identity.

Both render nothing while no provider is configured. ``identite=<outcome>``
in the address (set by ``views``) becomes a French sentence.
"""

from ccas.vault import _
from ccas.vault.browser.public.router import PublicPage
from ccas.vault.oidc.setup import configured_plugin
from plone import api
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from urllib.parse import urlencode


OUTCOMES = {
    "inconnue": (
        "error",
        _(
            "This public identity opens no safe. Log in with your login and your password, "
            'then link your public identity in "My account".'
        ),
    ),
    "echec": (
        "error",
        _("The login with your public identity did not work. Try again, or use your password."),
    ),
    "indisponible": (
        "error",
        _("The login with a public identity does not work at the moment. Use your password."),
    ),
    "connectez-vous": ("error", _("Log in with your password first.")),
    "deja-liee": ("error", _("This public identity is already linked to another safe.")),
    "liee": (
        "done",
        _("Your public identity is linked. Next time, you may log in with it."),
    ),
    "deliee": ("done", _("Your public identity is no longer linked to your safe.")),
}


class Snippet(PublicPage):
    def __call__(self):
        self.plugin = configured_plugin()
        if self.plugin is None:
            return ""
        return self.template()

    def message(self):
        kind, text = OUTCOMES.get(self.request.form.get("identite", ""), (None, None))
        return {"kind": kind, "text": self.translate(text)} if text else None


class LoginButton(Snippet):
    """On ``/mon-coffre/connexion``: "Log in with a public identity"."""

    template = ViewPageTemplateFile("templates/login_button.pt")

    def login_url(self):
        query = urlencode({"came_from": self.request.form.get("came_from", "")})
        return f"{self.plugin.absolute_url()}/connexion?{query}"


class AccountSection(Snippet):
    """On ``/mon-coffre/compte``: link or unlink the public identity."""

    template = ViewPageTemplateFile("templates/account_section.pt")

    def linked(self):
        return self.plugin.sub_of(api.user.get_current().getId()) is not None
