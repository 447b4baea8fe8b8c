"""No Plone content UI inside the vaults, none for the person anywhere (decision 0034).

Plone registers some two hundred browser views for any Dexterity object, folder or
site: the edit form, ``folder_contents``, ``object_rename``, ``delete_confirmation``,
``content_status_history``, the portlet and history screens, the personal preferences…
Each decides with its own permission, and some are open to whoever holds *Modify portal
content* or *View* on the object: a vault's owner could rename their vault, or edit its
GED person ids and claim another person's parked letters.  The vault has pages of its
own for everything a person or an agent does; Plone's are not part of the product there.

So, after traversal (``IPubAfterTraversal``, once the user is known):

* on the vaults' content (the directory ``/coffres``, vaults, spaces, papers, mandates,
  share links, letter folders) a browser view that is not the add-on's own is refused to
  everyone, Manager included — except :data:`ALLOWED_ON_VAULTS` (the default view, which
  the workflow guards and the add-on traces: an owner or a mandated agent reads a paper's
  page; nothing there edits) — an agent opening a space or a letter folder by its address
  is sent to the vault's ``@@dossier`` instead of Plone's folder listing;
* a person (global role ``Beneficiary`` and no staff role) is refused every browser view
  that is not the add-on's own, anywhere in the site — except :data:`ALLOWED_FOR_PERSONS`
  (logging in and out).

Deny by default: a view a Plone upgrade adds is refused too.  The REST services are not
browser views of this kind (``plone.rest``'s ``IService``): they check their permissions
themselves (the vault gives *Modify portal content* to nobody, so ``PATCH`` of a vault is
refused; an owner's ``PATCH`` of an uncertified paper's metadata still works).
Static resources are not views and are left alone.

The refusal is ``Forbidden`` (403) for staff: refusals inside a vault are recorded in its
history for agents (``refusals.py``).  The person is sent (302) to their own pages,
``/mon-coffre``, in their language, rather than to Plone's English error page.
"""

from AccessControl import getSecurityManager
from Acquisition import aq_base
from Acquisition import aq_inner
from Acquisition import aq_parent
from ccas.vault import roles
from ccas.vault.content.mail_folder import IMailFolder
from ccas.vault.content.markers import IVaultContent
from ccas.vault.content.spaces import IVaultSpace
from ccas.vault.lookup import vault_of
from plone import api
from plone.app.content.browser.vocabulary import PERMISSIONS as VOCABULARY_PERMISSIONS
from plone.rest.interfaces import IService
from zExceptions import Forbidden
from zExceptions import Redirect
from zope.browserresource.interfaces import IResource
from zope.publisher.interfaces.browser import IBrowserView


OWN_PACKAGE = "ccas."
SKIN = "mon-coffre"  # the person's pages (browser/public)
#: Plone's views still published on the vaults' content: the default view (guarded and
#: traced by the add-on: ``subscribers.record_view``, the workflow's View permission).
ALLOWED_ON_VAULTS = frozenset({"view"})
#: Plone's views a person may still reach: the login and logout machinery.
ALLOWED_FOR_PERSONS = frozenset(
    {"login", "logout", "logged-out", "logged_out", "require_login", "insufficient-privileges"}
)
#: Global roles that make an account staff, not a person.
STAFF_ROLES = frozenset(
    {
        "Manager",
        "Site Administrator",
        roles.VAULT_AGENT,
        roles.RECORDS_MANAGER,
        roles.GED_CONNECTOR,
    }
)
#: Skin objects (``portal_skins``) reached by acquisition on an object.
SKIN_META_TYPES = frozenset(
    {"Filesystem Script (Python)", "Filesystem Page Template", "Script (Python)", "Page Template"}
)

#: plone.app.content's map of vocabulary → permission (read by ``@vocabularies`` and
#: ``@@getVocabulary``): the roster groups of a workspace are for who manages the roster.
#: The user, group and principal vocabularies ask ``List portal members`` (rolemap.xml).
VOCABULARY_PERMISSIONS.setdefault(
    "collective.workspace.groups", "collective.workspace: Manage roster"
)

REFUSAL = (
    "Cette page n'est pas disponible. Utilisez les pages de votre coffre. "
    "(This page is not available.)"
)


def is_own_view(view):
    """Whether the add-on made this view: its class, its form or its template is ccas.vault's
    (a Plone view the add-on only mends, ``plone_view = True``, stays Plone's: decision 0042)."""
    if getattr(view, "plone_view", False):
        return False
    classes = [type(view)]
    form = getattr(view, "form", None)
    if isinstance(form, type):
        classes.append(form)
    for klass in classes:
        for base in klass.__mro__:
            if base.__module__.startswith(OWN_PACKAGE):
                return True
    for attribute in ("index", "template"):
        template = getattr(type(view), attribute, None)
        filename = getattr(template, "filename", "") or ""
        if "/ccas/vault/" in filename.replace("\\", "/"):
            return True
    return False


def is_person(user):
    """A person: the global role ``Beneficiary`` and no staff role."""
    held = set(user.getRoles())
    return roles.BENEFICIARY in held and not held & STAFF_ROLES


def published_view(published):
    """``(name, context)`` of a published Plone browser view or skin object, else ``None``."""
    if published is None or IService.providedBy(published) or IResource.providedBy(published):
        return None
    if IBrowserView.providedBy(published):
        return getattr(published, "__name__", "") or "", aq_inner(published.context)
    if getattr(aq_base(published), "meta_type", None) in SKIN_META_TYPES:
        return published.getId(), aq_parent(published)
    return None


def _send_agents_to_their_page(context):
    """An agent opening a space or a letter folder of a vault by its address (Plone's folder
    listing: papers as ids) is sent to the product's own page of the vault, ``@@dossier``
    (decision 0045); a paper's own page stays (guarded and traced by the workflow)."""
    if not (IVaultSpace.providedBy(context) or IMailFolder.providedBy(context)):
        return
    if roles.VAULT_AGENT not in getSecurityManager().getUser().getRoles():
        return
    vault = vault_of(context)
    if vault is not None:
        raise Redirect(f"{vault.absolute_url()}/@@dossier")


class Refused:
    """A Plone view that fails while it is traversed (before any check of ours: Five's
    adding view ``+`` answers 500), replaced on the add-on's layer by this refusal."""

    def __init__(self, context, request):
        self.context, self.request = context, request

    def __call__(self):
        raise Forbidden(REFUSAL)


def refuse_plone_ui(event):
    """``IPubAfterTraversal``: refuse Plone's views inside vaults, and to persons."""
    request = event.request
    found = published_view(request.get("PUBLISHED"))
    if found is None:
        return
    name, context = found
    name = name.removeprefix("@@")
    if name in ALLOWED_FOR_PERSONS or is_own_view(request["PUBLISHED"]):
        return
    on_vault = IVaultContent.providedBy(context)
    if on_vault and name in ALLOWED_ON_VAULTS:
        _send_agents_to_their_page(context)
        return
    if is_person(getSecurityManager().getUser()):
        # the person's pages are the skin's, in French: sent there, not to a Plone error page
        raise Redirect(f"{api.portal.get().absolute_url()}/{SKIN}")
    if on_vault:
        raise Forbidden(REFUSAL)
