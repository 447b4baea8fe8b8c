"""``/mon-coffre``: the beneficiary's light skin (routing, layer, language, base page).

``/mon-coffre/<name>[/<more>…]`` is served by the view ``coffre-<name>``:

* registered for ``INavigationRoot`` (pages without an account: ``connexion``,
  ``mot-de-passe-oublie``, ``style.css``, ``langue``) — returned at once;
* otherwise registered for ``IVault`` — looked up on the vault *of the person
  logged in* once Zope has authenticated the request (authentication happens
  after traversal, so traversal returns a :class:`VaultPage` placeholder that
  does the look-up when it is called).

Every view is registered with ``layer=IPublicSkinLayer``, which only this
router puts on the request: the pages never show in the staff intranet and
the intranet's views never show here.  The skin speaks French unless the
person chose English (``I18N_LANGUAGE`` cookie, set by ``/mon-coffre/langue``).
"""

from AccessControl import getSecurityManager
from Acquisition import aq_inner
from Acquisition import aq_parent
from ccas.vault import _
from ccas.vault.api import mandates
from ccas.vault.api import vaults
from ccas.vault.content.vault import IVault
from ccas.vault.interfaces import IPublicSkinLayer
from ccas.vault.security import as_system
from ccas.vault.workspace import vaults_of_agent
from pathlib import Path
from plone import api
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from urllib.parse import quote
from urllib.parse import urlencode
from zExceptions import NotFound
from zope.annotation.interfaces import IAnnotations
from zope.component import getMultiAdapter
from zope.component import getSiteManager
from zope.component import queryMultiAdapter
from zope.i18n import translate
from zope.i18nmessageid import Message
from zope.interface import alsoProvides
from zope.interface import implementer
from zope.interface import Interface
from zope.interface import providedBy
from zope.publisher.interfaces import IPublishTraverse
import hashlib
import json


SKIN = "mon-coffre"
PREFIX = "coffre-"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_COOKIE = "I18N_LANGUAGE"
NO_STORE = "private, no-store"

STATIC = Path(__file__).parent / "static"
CSS = (STATIC / "style.css").read_bytes()
CSS_VERSION = hashlib.sha256(CSS).hexdigest()[:10]
JS = (STATIC / "photos.js").read_bytes()
JS_VERSION = hashlib.sha256(JS).hexdigest()[:10]


def skin_language(request):
    """The skin's language: the cookie when it names fr or en, else French."""
    lang = request.cookies.get(LANGUAGE_COOKIE, "")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def apply_skin(request):
    """Mark ``request`` with the skin's layer and bind its language."""
    if IPublicSkinLayer.providedBy(request):
        return
    alsoProvides(request, IPublicSkinLayer)
    lang = skin_language(request)
    request["LANGUAGE"] = lang
    binding = request.get("LANGUAGE_TOOL", None)
    if binding is not None and hasattr(binding, "LANGUAGE"):
        binding.LANGUAGE = lang
        binding.LANGUAGE_LIST = [lang]
        binding.DEFAULT_LANGUAGE = lang
    request.response.setHeader("Content-Language", lang)


def _registered(for_, request, name):
    return (
        getSiteManager().adapters.lookup((for_, providedBy(request)), Interface, name=name)
        is not None
    )


def skin_url(request=None):
    return f"{api.portal.get().absolute_url()}/{SKIN}"


@implementer(IPublishTraverse)
class PublicRouter(BrowserView):
    """The view ``mon-coffre`` on the navigation root."""

    def __init__(self, context, request):
        super().__init__(context, request)
        apply_skin(request)

    def publishTraverse(self, request, name):
        apply_skin(request)
        view = queryMultiAdapter((self.context, request), name=PREFIX + name)
        if view is not None:
            view.__name__ = PREFIX + name
            return view
        if name == HELPER_ROUTE:
            return HelperPage(self.context, request, name)
        if _registered(IVault, request, PREFIX + name):
            return VaultPage(self.context, request, name)
        raise NotFound(name)

    def __call__(self):
        target = "connexion" if api.user.is_anonymous() else "papiers"
        self.request.response.redirect(f"{skin_url()}/{target}")
        return ""


class VaultPage:
    """Placeholder for ``/mon-coffre/<name>``: finds the person's vault when called.

    Public for the publisher (``__roles__ = None``); the real page checks the
    person's permission on their vault.
    """

    __roles__ = None
    __allow_access_to_unprotected_subobjects__ = 1

    def __init__(self, root, request, name):
        self.root = root
        self.request = request
        self.name = name
        self.subpath = []
        self.__name__ = name

    def __bobo_traverse__(self, request, name):
        self.subpath.append(name)
        return self

    def __call__(self):
        request = self.request
        user = getSecurityManager().getUser()
        if user is None or api.user.is_anonymous():
            came_from = request.get("ACTUAL_URL", "") or f"{skin_url()}/{self.name}"
            query = request.get("QUERY_STRING", "")
            if query:
                came_from = f"{came_from}?{query}"
            request.response.redirect(
                f"{skin_url()}/connexion?{urlencode({'came_from': came_from})}"
            )
            return ""
        vault = vaults.vault_of(user.getUserName())
        if vault is None and self.name == "papiers" and mandates.helped_vaults():
            # a relative without a vault of their own lands on the vaults they help with
            request.response.redirect(f"{skin_url()}/{HELPED_VAULTS}")
            return ""
        if vault is None:
            refused = getMultiAdapter((self.root, request), name="coffre-sans-coffre")
            return refused()
        if not getSecurityManager().checkPermission("View", vault):
            refused = getMultiAdapter((self.root, request), name="coffre-sans-coffre")
            return refused()
        view = queryMultiAdapter((vault, request), name=PREFIX + self.name)
        if view is None:
            raise NotFound(self.name)
        view.__name__ = PREFIX + self.name
        view.subpath = list(self.subpath)
        return view()


class HelperPage(VaultPage):
    """``/mon-coffre/aide/<vault id>/<page>[/…]``: a personal mandatary in a vault they help with.

    Decision 0049.  Lets through only a logged-in user holding a *personal*
    mandate in force on that vault (the roster, as agents), and only to the pages
    :data:`HELPER_PAGES` opens for their scopes; the page itself then decides every
    paper and action with the same Zope permissions as for the person (the
    mandate's local roles on the shared space: never the private space).
    """

    def __call__(self):
        request = self.request
        if api.user.is_anonymous():
            return super().__call__()
        path = list(self.subpath)
        if len(path) < 2:
            request.response.redirect(f"{skin_url()}/{HELPED_VAULTS}")
            return ""
        vault_id, page, rest = path[0], path[1], path[2:]
        vault = _helped_vault(vault_id)
        scopes = mandates.helper_scopes(vault)[0] if vault is not None else ()
        allowed = [name for name, needed in HELPER_PAGES.items() if set(needed) & set(scopes)]
        if page not in allowed:
            refused = getMultiAdapter((self.root, request), name=f"{PREFIX}{HELPED_VAULTS}")
            refused.refused = True
            return refused()
        # kept in the request's annotations: nothing a client sends can set it
        IAnnotations(request)[HELPING] = {"vault": vault.getId(), "scopes": tuple(scopes)}
        view = getMultiAdapter((vault, request), name=PREFIX + page)
        view.__name__ = PREFIX + page
        view.subpath = rest
        return view()


def _helps_somewhere(vault):
    """Whether the person logged in is on the roster of another vault (cheap: one index)."""
    user_id = getSecurityManager().getUser().getId()
    return bool(user_id and vaults_of_agent(aq_parent(aq_inner(vault)), user_id))


def _helped_vault(vault_id):
    with as_system():
        directory = vaults.vault_directory()
        found = directory.get(vault_id) if isinstance(vault_id, str) else None
        if found is None or not IVault.providedBy(found) or api.content.get_state(found) != "open":
            return None
        return found


class PublicPage(BrowserView):
    """Base of every page of the skin: the layout macro, URLs, headers, form token.

    A page sets ``template`` (a ``ViewPageTemplateFile`` using
    ``view/layout/macros/page``) and calls :meth:`render`.  ``subpath`` holds
    the names after ``/mon-coffre/<name>/``.
    """

    layout = ViewPageTemplateFile("templates/layout.pt")
    template = None
    subpath = ()
    #: the menu entry this page belongs to (``papiers``, ``partages``…)
    section = ""

    # -- URLs -------------------------------------------------------------------
    @property
    def skin_url(self):
        if "_skin_url" not in self.__dict__:
            self.__dict__["_skin_url"] = skin_url()
        return self.__dict__["_skin_url"]

    def url(self, name="", **query):
        helping = self.helping
        if helping and name.split("/", 1)[0] in HELPER_PAGES:
            name = f"{HELPER_ROUTE}/{helping['vault']}/{name}"
        base = f"{self.skin_url}/{name}" if name else self.skin_url
        query = {key: value for key, value in query.items() if value not in (None, "")}
        return f"{base}?{urlencode(query, doseq=True)}" if query else base

    @property
    def css_url(self):
        return f"{self.skin_url}/style.css?v={CSS_VERSION}"

    @property
    def js_url(self):
        return f"{self.skin_url}/photos.js?v={JS_VERSION}"

    def here_url(self):
        url = self.request.get("ACTUAL_URL", "")
        query = self.request.get("QUERY_STRING", "")
        return f"{url}?{query}" if query else url

    # -- language ---------------------------------------------------------------
    @property
    def lang(self):
        return skin_language(self.request)

    def language_links(self):
        here = self.here_url()
        return [
            {
                "code": code,
                "label": label,
                "current": code == self.lang,
                "url": self.url("langue", code=code, came_from=here),
            }
            for code, label in (("fr", "Français"), ("en", "English"))
        ]

    # -- who ---------------------------------------------------------------------
    @property
    def logged_in(self):
        return not api.user.is_anonymous()

    @property
    def vault(self):
        return self.context if IVault.providedBy(self.context) else None

    @property
    def helping(self):
        """``{"vault": id, "scopes": (…)}`` when a personal mandatary helps with this
        vault (set by :class:`HelperPage` after its check), else ``None``."""
        annotations = IAnnotations(self.request, None) if self.request is not None else None
        found = annotations.get(HELPING) if annotations is not None else None
        if not found or self.vault is None or found["vault"] != self.context.getId():
            return None
        return found

    def helping_text(self):
        """The line above a helper page: whose safe, and that it is not theirs (0049)."""
        return self.translate(
            _(
                "You help ${name}. You see only what ${name} shares with you.",
                mapping={"name": self.helped_person()},
            )
        )

    def helped_person(self):
        """The first and last name of the person helped (helper pages)."""
        if not self.helping:
            return ""
        return f"{self.context.first_name or ''} {self.context.last_name or ''}".strip()

    def site_title(self):
        return api.portal.get().Title() or "Plone"

    def menu(self):
        """The entries of the skin's menu, the current page's marked."""
        if self.vault is None:
            return []
        items = []
        helping = self.helping
        if helping:
            for index, (name, title, icon, needed) in enumerate(HELPER_MENU):
                if needed and not set(needed) & set(helping["scopes"]):
                    continue
                items.append(
                    {
                        "url": self.url(name),
                        "title": self.translate(title),
                        "icon": icon,
                        "current": name == self.section,
                        "main": index < MENU_MAIN,
                    }
                )
            return items
        menu = MENU
        if _helps_somewhere(self.context):
            menu = (*MENU, (HELPED_VAULTS, _("Safes I help with"), "people"))
        for index, (name, title, icon) in enumerate(menu):
            items.append(
                {
                    "url": self.url(name),
                    "title": self.translate(title),
                    "icon": icon,
                    "current": name == self.section,
                    "main": index < MENU_MAIN,
                }
            )
        return items

    def menu_main(self):
        """The menu's first entries, always shown (the rest is behind "Plus")."""
        return [item for item in self.menu() if item["main"]]

    def menu_more(self):
        return [item for item in self.menu() if not item["main"]]

    def label(self, name):
        """A translated text for an attribute (``aria-label``, ``data-*``) of the layout."""
        return self.translate(LABELS[name])

    def camera_texts(self):
        """The texts of photos.js's pages (``data-texts``), as JSON."""
        return json.dumps(
            {key: self.translate(text) for key, text in CAMERA_TEXTS.items()}, ensure_ascii=False
        )

    # -- forms -------------------------------------------------------------------
    def authenticator(self):
        return getMultiAdapter((self.context, self.request), name="authenticator").token()

    def check_authenticator(self):
        from plone.protect import CheckAuthenticator

        CheckAuthenticator(self.request)

    def translate(self, msgid, mapping=None):
        """``msgid`` in the skin's language (cached per page for messages without mapping)."""
        if mapping is None and getattr(msgid, "mapping", None) is None:
            cache = self.__dict__.setdefault("_translations", {})
            if msgid not in cache:
                cache[msgid] = translate(msgid, context=self.request, target_language=self.lang)
            return cache[msgid]
        if mapping is not None and isinstance(msgid, Message):
            # zope.i18n takes a message's own mapping and ignores the argument
            msgid = Message(msgid, mapping=mapping)
        return translate(msgid, mapping=mapping, context=self.request, target_language=self.lang)

    # -- rendering ---------------------------------------------------------------
    def set_headers(self, status=None):
        response = self.request.response
        if status:
            response.setStatus(status)
        response.setHeader("Content-Type", "text/html; charset=utf-8")
        response.setHeader("Cache-Control", NO_STORE)
        response.setHeader("X-Theme-Disabled", "1")
        response.setHeader("Referrer-Policy", "same-origin")
        response.setHeader("X-Content-Type-Options", "nosniff")

    def render(self, status=None):
        self.set_headers(status)
        return self.template()

    def redirect(self, name="", **query):
        self.request.response.redirect(self.url(name, **query), status=303)
        return ""


LABELS = {
    "language": _("Language"),
    "menu": _("Menu"),
    "photo": _("Photo"),
    "file": _("File"),
}

#: The texts of photos.js (``data-texts`` of a camera input): it replaces N with a number.
CAMERA_TEXTS = {
    "one": _("1 photo chosen"),
    "many": _("N photos chosen"),
    "page": _("Page N"),
    "next": _("Take the next page in photo"),
    "added": _("Page N added."),
    "removed": _("Page N removed."),
    "moved": _("The page is now page N."),
    "retaken": _("Page N taken again."),
    "up": _("Move up"),
    "up_long": _("Move up page N"),
    "down": _("Move down"),
    "down_long": _("Move down page N"),
    "remove": _("Remove"),
    "remove_long": _("Remove page N"),
    "retake": _("Retake"),
    "retake_long": _("Retake page N"),
}

#: The menu: the first MENU_MAIN entries are always shown (the most used on a phone:
#: see one's papers, add one, share one); the others are one tap away, under "Plus".
MENU_MAIN = 3
MENU = (
    ("papiers", _("My papers"), "papers"),
    ("ajouter", _("Add a paper"), "add"),
    ("partages", _("My shares"), "share"),
    ("acces", _("Who has access"), "people"),
    ("rendez-vous", _("My appointments"), "calendar"),
    ("historique", _("History"), "history"),
    ("dossiers", _("My files"), "folder"),
    ("compte", _("My account"), "account"),
)


#: Decision 0049: the pages a personal mandatary reaches in a vault they help with, and the
#: scopes that open each (the page then checks every paper and action by permission).
HELPER_ROUTE = "aide"
HELPED_VAULTS = "coffres-aides"
HELPING = "ccas.vault.helping"
HELPER_PAGES = {
    "papiers": ("consult", "deposit", "share"),
    "papier": ("consult", "share"),
    "ajouter": ("deposit",),
    "partager": ("share",),
}
HELPER_MENU = (
    (HELPED_VAULTS, _("Safes I help with"), "people", ()),
    ("papiers", _("Shared papers"), "papers", ()),
    ("ajouter", _("Add a paper"), "add", ("deposit",)),
    ("partager", _("Share papers"), "share", ("share",)),
)


class NoVaultPage(PublicPage):
    """``/mon-coffre/…`` for someone logged in without a vault (staff, Manager)."""

    template = ViewPageTemplateFile("templates/no_vault.pt")

    def __call__(self):
        return self.render(status=403)


class StaticFile(BrowserView):
    """The skin's CSS and JS: small, cached for a year (the URL carries a version)."""

    body = b""
    content_type = "text/plain"

    def __call__(self):
        response = self.request.response
        response.setHeader("Content-Type", self.content_type)
        response.setHeader("Cache-Control", "public, max-age=31536000, immutable")
        response.setHeader("X-Theme-Disabled", "1")
        response.setHeader("X-Content-Type-Options", "nosniff")
        return self.body


class StyleSheet(StaticFile):
    body = CSS
    content_type = "text/css; charset=utf-8"


class PhotosScript(StaticFile):
    body = JS
    content_type = "text/javascript; charset=utf-8"


class LanguageSwitch(BrowserView):
    """``/mon-coffre/langue?code=en&came_from=…``: remember the language, go back."""

    def __call__(self):
        code = self.request.form.get("code", "")
        if code not in LANGUAGES:
            code = DEFAULT_LANGUAGE
        self.request.response.setCookie(
            LANGUAGE_COOKIE, code, path="/", max_age=365 * 24 * 3600, same_site="Lax"
        )
        came_from = self.request.form.get("came_from", "")
        base = skin_url()
        if not (came_from == base or came_from.startswith(base + "/")):
            came_from = f"{base}/papiers"
        self.request.response.redirect(came_from, status=303)
        return ""


def quote_path(text):
    return quote(text, safe="")
