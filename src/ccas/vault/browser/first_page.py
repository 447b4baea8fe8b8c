"""The site root's first page ``@@bienvenue`` and where each account lands (decision 0033).

``@@bienvenue`` is the default view of the site root (``profiles/default/types/Plone_Site.xml``),
so ``/ccas``, ``/ccas/`` and ``/ccas/view`` all show it:

* an anonymous visitor sees a light French page in the public skin's style: a big "I have a
  digital safe" button to ``/mon-coffre`` and a discreet "CCAS staff: log in" link to Plone's
  login form;
* someone logged in is sent to their own start page (:func:`home_url`).

After Plone's login form, :class:`HomeAfterLogin` (``IRedirectAfterLogin``) sends the account
to the same start page when the form was opened from the site root (or from nowhere); a
``came_from`` naming another page is kept.
"""

from ccas.vault import roles
from ccas.vault.api import vaults
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.public.router import CSS_VERSION
from ccas.vault.browser.public.router import SKIN
from ccas.vault.bruteforce.headers import SKIN_HEADERS
from plone import api
from plone.base.interfaces import IRedirectAfterLogin
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from urllib.parse import urlsplit
from zope.interface import implementer


VIEW_NAME = "bienvenue"
AGENT_HOME = "@@accueil-agent"
SITE_SETUP = "@@overview-controlpanel"
#: what the site root is also reached by: its default view's names
ROOT_ALIASES = ("", "view", "index_html", VIEW_NAME, f"@@{VIEW_NAME}")
ADMINISTRATORS = ("Manager", "Site Administrator")


def home_url(user=None):
    """Where ``user`` (the current user by default) starts, or ``None`` (anonymous, or an
    account that is neither staff nor a person with a safe).

    An agent (global VaultAgent role) goes to "Mon accueil"; a records manager, Manager or
    Site Administrator to Site Setup (where the records manager's control panels and the
    indicators are); a person (Beneficiary role, or the owner of a vault) to ``/mon-coffre``.
    The staff roles come first: the root is the staff's door, ``/mon-coffre`` the person's.
    """
    if user is None:
        if api.user.is_anonymous():
            return None
        user = api.user.get_current()
    held = set(user.getRoles())
    portal_url = api.portal.get().absolute_url()
    if roles.VAULT_AGENT in held:
        return f"{portal_url}/{AGENT_HOME}"
    if roles.RECORDS_MANAGER in held or held & set(ADMINISTRATORS):
        return f"{portal_url}/{SITE_SETUP}"
    if roles.BENEFICIARY in held or vaults.vault_of(user.getUserName()) is not None:
        return f"{portal_url}/{SKIN}"
    return None


def is_site_root(url):
    """Whether ``url`` names the site root itself (its default view included)."""
    root = urlsplit(api.portal.get().absolute_url()).path.rstrip("/")
    path = urlsplit(url).path.rstrip("/")
    return any(path == (f"{root}/{alias}" if alias else root) for alias in ROOT_ALIASES)


class FirstPageView(BrowserView):
    """``@@bienvenue``: the landing page, or a redirect to the user's start page."""

    template = ViewPageTemplateFile("templates/first_page.pt")

    def __call__(self):
        response = self.request.response
        response.setHeader("Cache-Control", NO_STORE)
        target = home_url()
        if target:
            response.redirect(target)
            return ""
        for name, value in SKIN_HEADERS.items():
            response.setHeader(name, value)
        response.setHeader("X-Theme-Disabled", "1")  # the skin's own light page, not Diazo's
        portal = api.portal.get()
        self.portal_url = portal.absolute_url()
        self.site_title = portal.Title() or "CCAS"
        self.logged_in = not api.user.is_anonymous()
        return self.template()

    @property
    def lang(self):
        state = self.context.restrictedTraverse("@@plone_portal_state")
        return state.language() or "fr"

    @property
    def skin_url(self):
        return f"{self.portal_url}/{SKIN}"

    @property
    def css_url(self):
        return f"{self.skin_url}/style.css?v={CSS_VERSION}"

    @property
    def login_url(self):
        return f"{self.portal_url}/login"

    @property
    def logout_url(self):
        return f"{self.portal_url}/logout"


@implementer(IRedirectAfterLogin)
class HomeAfterLogin:
    """After Plone's login form: the site root (or no ``came_from``) becomes the start page."""

    def __init__(self, context, request):
        self.context = context
        self.request = request

    def __call__(self, came_from=None, is_initial_login=False):
        if came_from and not is_site_root(came_from):
            return came_from
        return home_url() or came_from
