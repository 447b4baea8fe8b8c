"""Connectors in the staff's pages (decision 0051).

``@@connecteurs`` on a vault: the agent whose mandate has the deposit scope sees the
connectors switched on, whether the person agreed, and fetches a paper for them; anybody else
gets ``Unauthorized`` (registered with ``ccas.vault.ReachVault``, decision 0031: the view
decides).  ``@@ccas-connecteurs`` on the site: the records manager lists the connectors,
switches each one on and sets its settings (a token is never shown back).
"""

from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault import roles
from ccas.vault.api import connectors as connector_api
from plone import api
from plone.protect import CheckAuthenticator
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate
from zope.interface import alsoProvides


NO_STORE = "private, no-store"
DONE = _("The paper is in the person's shared space, certified.")
NOTHING_NEW = _("Nothing new: the person's paper is up to date.")


def _headers(response):
    response.setHeader("Cache-Control", NO_STORE)
    response.setHeader("X-Theme-Disabled", "1")
    response.setHeader("Referrer-Policy", "same-origin")
    response.setHeader("X-Frame-Options", "SAMEORIGIN")
    response.setHeader("X-Content-Type-Options", "nosniff")


class AgentConnectorsView(BrowserView):
    """``@@connecteurs`` on a vault: fetch a paper for the person (the deposit scope only)."""

    template = ViewPageTemplateFile("templates/agent_connectors.pt")

    def __call__(self):
        if api.user.is_anonymous():
            raise Unauthorized("Log in as an agent")
        user = api.user.get_current()
        if roles.VAULT_AGENT not in user.getRoles() or not connector_api.may_run(self.context):
            raise Unauthorized("A mandate in force with the deposit scope is needed")
        self.message = self.error = ""
        self.vault_url = self.context.absolute_url()
        self.person = f"{self.context.first_name} {self.context.last_name}"
        if self.request.method == "POST":
            CheckAuthenticator(self.request)
            name = self.request.form.get("connector", "")
            try:
                results = connector_api.fetch(self.context, name)
            except connector_api.ConnectorError as error:
                self.error = error.message_fr
                self.request.response.setStatus(error.status)
            else:
                created = [doc for doc, new in results if new]
                done = DONE if created else NOTHING_NEW
                self.message = translate(done, context=self.request)
        self.connectors = connector_api.offered(self.context)
        _headers(self.request.response)
        return self.template()

    def authenticator(self):
        return api.content.get_view("authenticator", self.context, self.request).token()


class ConnectorsPanel(BrowserView):
    """``@@ccas-connecteurs``: the records manager's list of connectors and their settings."""

    template = ViewPageTemplateFile("templates/connectors_panel.pt")

    def __call__(self):
        self.message = ""
        if self.request.method == "POST":
            CheckAuthenticator(self.request)
            alsoProvides(self.request, IDisableCSRFProtection)  # checked just above
            form = self.request.form
            name = form.get("connector", "")
            values = {key[8:]: value for key, value in form.items() if key.startswith("setting_")}
            connector_api.save_settings(name, bool(form.get("enabled")), values)
            self.message = translate(_("Connector settings saved."), context=self.request)
        self.rows = connector_api.panel()
        self.request.response.setHeader("Cache-Control", NO_STORE)
        return self.template()

    def authenticator(self):
        return api.content.get_view("authenticator", self.context, self.request).token()
