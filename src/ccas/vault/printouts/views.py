"""The printouts as PDF downloads, and the intranet page listing them.

Declared ``zope2.Public``: each view decides who may print (``Unauthorized``
otherwise, which sends the visitor to the login page).

- ``@@feuille-accueil`` on a vault: the person (its owner) and the agents who may
  open vaults (``Open vault``).  Manager and Site Administrator are refused: the
  sheet names the person and their login.  Each print is in the vault's history.
- ``@@modele-*`` and ``@@modeles-a-imprimer`` on the site: whoever may open vaults
  or manage the settings (agents, records managers, Manager, Site Administrator).
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault import permissions
from ccas.vault.history import api as history
from ccas.vault.printouts import templates
from ccas.vault.printouts.welcome import welcome_sheet
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.interface import alsoProvides


#: view name -> (builder, French file name, title on the intranet page)
TEMPLATES = {
    "modele-notice": (
        templates.information_notice,
        "notice-d-information.pdf",
        _("Information notice (to hand over before opening a vault)"),
    ),
    "modele-accord": (
        templates.consent_form,
        "formulaire-d-accord.pdf",
        _("Consent form (to open and use a vault)"),
    ),
    "modele-charte": (
        templates.charter,
        "charte-du-coffre-fort.pdf",
        _("Charter of the digital vault"),
    ),
    "modele-mandat": (
        templates.mandate_form,
        "mandat-d-accompagnement.pdf",
        _("Mandate of administrative support (blank)"),
    ),
}


def may_print_templates():
    """Agents (``Open vault``) and records managers (``Manage settings``) on the site."""
    portal = api.portal.get()
    security = getSecurityManager()
    return bool(
        security.checkPermission(permissions.OPEN_VAULT, portal)
        or security.checkPermission(permissions.MANAGE_SETTINGS, portal)
    )


def may_print_welcome(vault):
    """The vault's owner, or an agent who may open vaults."""
    user = api.user.get_current()
    if api.user.is_anonymous():
        return False
    if user.getUserName() == vault.owner_login:
        return True
    return bool(getSecurityManager().checkPermission(permissions.OPEN_VAULT, vault))


def pdf(request, data, filename, private=False):
    response = request.response
    response.setHeader("Content-Type", "application/pdf")
    response.setHeader("Content-Disposition", f'inline; filename="{filename}"')
    response.setHeader("Content-Length", str(len(data)))
    if private:
        response.setHeader("Cache-Control", "private, no-store")
    return data


class WelcomeSheetView(BrowserView):
    """``@@feuille-accueil``: the welcome sheet of the vault (PDF)."""

    def __call__(self):
        if not may_print_welcome(self.context):
            raise Unauthorized("Only the person and the agents who open vaults")
        data = welcome_sheet(self.context)
        alsoProvides(self.request, IDisableCSRFProtection)  # the trace is written on a GET
        history.record(self.context, "welcome_sheet_printed")
        return pdf(
            self.request,
            data,
            f"feuille-d-accueil-{self.context.owner_login}.pdf",
            private=True,
        )


class TemplateView(BrowserView):
    """``@@modele-…``: one blank template (PDF); the view name picks it."""

    def __call__(self):
        if not may_print_templates():
            raise Unauthorized("Only agents and records managers")
        builder, filename, _title = TEMPLATES[self.__name__]
        return pdf(self.request, builder(), filename)


class TemplatesPage(BrowserView):
    """``@@modeles-a-imprimer``: the list of the sheets to print."""

    index = ViewPageTemplateFile("templates/modeles.pt")

    def __call__(self):
        if not may_print_templates():
            raise Unauthorized("Only agents and records managers")
        return self.index()

    def links(self):
        base = api.portal.get().absolute_url()
        return [
            {"url": f"{base}/@@{name}", "id": name, "filename": filename, "title": title}
            for name, (_builder, filename, title) in TEMPLATES.items()
        ]
