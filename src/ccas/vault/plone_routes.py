"""Plone's own routes answer an incomplete or malformed request with a 4xx, never a 5xx.

The hostile suite (issue 19) enumerates every route a site answers and tries each as each
actor: some of Plone's own views and REST services, called without what they need, ended
in a 500 or a 503 (decision 0042 lists each one and its cause).  Plone's code is not
changed; the add-on answers the request before it reaches that code, *after* traversal,
so that each route's own permission answers first (401/403, unchanged), and only a caller
who may use the route learns that the request is incomplete:

* :func:`check_plone_route` (``IPubAfterTraversal``) looks up the published view or
  service in :data:`VIEW_CHECKS` / :data:`SERVICE_CHECKS` (by Plone's class) and runs its
  check, which raises ``BadRequest`` (400: a parameter or body is missing or malformed)
  or ``NotFound`` (404: the user, group, type, rule, version… named does not exist, or the
  route is not published on its own); a request that passes goes to Plone's code as is;
* two routes fail *during* traversal, before any subscriber: Five's adding view
  ``+rule`` has nothing to publish (``browserDefault`` asks for ``__call__``), and the
  ``++skin++`` namespace shifts its name to the application, which Zope allows only at the
  start of the path.  On the add-on's layer they are replaced by :class:`RuleAdding`
  (a 404 when published alone; ``+rule/<type>`` adds a rule as before) and :class:`Skin`
  (an unknown skin or a skin below the root is a 404).

REST answers carry the add-on's error shape (``api_errors.py``), with the type and the
messages of :func:`api_errors.route_error`.
"""

from AccessControl import getSecurityManager
from ccas.vault.api_errors import route_error
from collective.workspace.vocabs import find_workspace
from plone.app.content.browser.vocabulary import DEFAULT_PERMISSION
from plone.app.content.browser.vocabulary import PERMISSIONS
from plone.app.content.browser.vocabulary import VocabularyView
from plone.app.contentrules.browser import adding
from plone.app.portlets.browser.manage import ManageContentTypePortlets
from plone.app.portlets.browser.manage import ManageGroupDashboardPortlets
from plone.app.portlets.browser.manage import ManageGroupPortlets
from plone.base.interfaces.constrains import ISelectableConstrainTypes
from plone.contentrules.engine.interfaces import IRuleAssignmentManager
from plone.contentrules.engine.interfaces import IRuleStorage
from plone.registry.interfaces import IRegistry
from plone.restapi.deserializer import json_body
from plone.restapi.exceptions import DeserializationError
from plone.restapi.services.addons.post import AddonsPost
from plone.restapi.services.controlpanels.add import ControlpanelsAdd
from plone.restapi.services.controlpanels.delete import ControlpanelsDelete
from plone.restapi.services.controlpanels.update import ControlpanelsUpdate
from plone.restapi.services.groups.delete import GroupsDelete
from plone.restapi.services.groups.get import GroupsGet
from plone.restapi.services.groups.update import GroupsPatch
from plone.restapi.services.history.patch import HistoryPatch
from plone.restapi.services.relations.add import PostRelations
from plone.restapi.services.rules.add import ContentRulesAdd
from plone.restapi.services.rules.delete import ContentRulesDelete
from plone.restapi.services.rules.update import ContentRulesUpdate
from plone.restapi.services.users.add import UsersPost
from plone.restapi.services.users.delete import UsersDelete
from plone.restapi.services.users.get import UsersGet
from plone.restapi.services.users.update import UsersPatch
from plone.restapi.services.vocabularies.get import VocabulariesGet
from Products.CMFCore.utils import getToolByName
from Products.CMFEditions.interfaces.IArchivist import ArchivistUnregisteredError
from Products.CMFPlone.controlpanel.browser.error_log_form import ErrorLogSetProperties
from Products.CMFPlone.controlpanel.browser.usergroups_groupmembership import (
    GroupMembershipControlPanel,
)
from Products.CMFPlone.controlpanel.browser.usergroups_usermembership import (
    UserMembershipControlPanel,
)
from Products.CMFPlone.RegistrationTool import get_member_by_login_name
from zExceptions import BadRequest
from zExceptions import NotFound
from zope.component import getMultiAdapter
from zope.component import getUtility
from zope.component import queryUtility
from zope.publisher.interfaces.browser import IBrowserSkinType
from zope.publisher.skinnable import applySkin
from zope.traversing import namespace
import json


# --- the answers -------------------------------------------------------------------------


def missing(what, message_fr):
    """A 400: ``what`` (English) is missing or malformed."""
    return route_error(BadRequest, "bad_request", f"The request is incomplete: {what}.", message_fr)


def unknown(what, message_fr):
    """A 404: ``what`` (English) names nothing that exists."""
    return route_error(NotFound, "not_found", f"Nothing matches: {what}.", message_fr)


NOT_ALONE = (
    "This address is part of another page; it is not published on its own.",
    "Cette adresse fait partie d'une autre page : elle ne s'ouvre pas seule.",
)


def form_text(request, name, message_fr):
    """The non-empty string parameter ``name`` of the request, else a 400."""
    value = request.form.get(name)
    if not isinstance(value, str) or not value.strip():
        raise missing(f"the parameter {name!r}", message_fr)
    return value


def body(request):
    """The JSON body (``{}`` when empty), else a 400."""
    try:
        return json_body(request)
    except DeserializationError:
        raise missing("a JSON body", "Le contenu de la demande n'est pas du JSON valide.") from None


def body_object(request):
    data = body(request)
    if not isinstance(data, dict):
        raise missing("a JSON object as body", "Le contenu de la demande doit être un objet JSON.")
    return data


# --- the views ---------------------------------------------------------------------------


def check_user_membership(view, request):
    userid = form_text(request, "userid", "Indiquez le compte (userid).")
    if getToolByName(view.context, "portal_membership").getMemberById(userid) is None:
        raise unknown(f"the user {userid!r}", "Ce compte n'existe pas.")


def _group(context, key, message_fr):
    if getToolByName(context, "portal_groups").getGroupById(key) is None:
        raise unknown(f"the group {key!r}", message_fr)


def check_group_membership(view, request):
    name = form_text(request, "groupname", "Indiquez le groupe (groupname).")
    _group(view.context, name, "Ce groupe n'existe pas.")


def check_group_portlets(view, request):
    key = form_text(request, "key", "Indiquez le groupe (key).")
    _group(view.context, key, "Ce groupe n'existe pas.")


def check_content_type_portlets(view, request):
    key = form_text(request, "key", "Indiquez le type de contenu (key).")
    if getToolByName(view.context, "portal_types").getTypeInfo(key) is None:
        raise unknown(f"the content type {key!r}", "Ce type de contenu n'existe pas.")


def check_error_log_properties(view, request):
    keep = request.form.get("keep_entries")
    try:
        if int(keep) < 0:
            raise ValueError(keep)
    except (TypeError, ValueError):
        raise missing(
            "'keep_entries' (a whole number)", "Indiquez un nombre d'entrées à garder."
        ) from None
    if not isinstance(request.form.get("ignored_exceptions"), (list, tuple, str)):
        raise missing("'ignored_exceptions'", "Indiquez les exceptions à ignorer.")


def check_not_alone(view, request):
    raise route_error(NotFound, "not_found", *NOT_ALONE)


#: vocabularies made for a form, that need a context of a kind (else they fail):
#: name -> whether ``context`` is one
CONTEXT_BOUND_VOCABULARIES = {
    # the constrain-types form's own vocabulary: its context is the form's adapter
    "plone.app.content.ValidAddableTypes": lambda context: ISelectableConstrainTypes.providedBy(
        getattr(context, "context", None)
    ),
    # the roster groups of the workspace the context is in
    "collective.workspace.groups": lambda context: find_workspace(context) is not None,
}


def check_vocabulary_here(name, context):
    applies = CONTEXT_BOUND_VOCABULARIES.get(name)
    if applies is not None and not applies(context):
        raise route_error(
            NotFound,
            "not_found",
            f"The vocabulary {name!r} belongs to a form: it has no values at this address.",
            "Cette liste de valeurs appartient à un formulaire : elle n'a rien à cette adresse.",
        )


#: vocabularies that answer catalog brains: ``@@getVocabulary`` lists them by ``attributes``
#: only (without, it reads ``brain.value``, which brains have not)
CATALOG_VOCABULARIES = frozenset(
    {"plone.app.vocabularies.Catalog", "plone.app.multilingual.RootCatalog"}
)


def json_parameter(request, name):
    """A parameter ``@@getVocabulary`` reads as JSON when it looks like JSON, else a 400."""
    value = request.form.get(name, "")
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            raise missing(
                f"{name!r} (valid JSON)", f"Le paramètre {name} n'est pas du JSON valide."
            ) from None
    return value


def check_catalog_query(query):
    """plone.app.querystring's form query: ``{"criteria": [{"i", "o", "v"}…]}``, each
    operation registered."""
    if not query:
        return
    registry = getUtility(IRegistry)
    rows = query.get("criteria") if isinstance(query, dict) else None
    if not isinstance(rows, list) or not all(
        isinstance(row, dict)
        and isinstance(row.get("o"), str)
        and f"{row['o']}.operation" in registry
        for row in rows
    ):
        raise missing(
            '\'query\': {"criteria": [{"i", "o", "v"}]} with known operations',
            "Indiquez une recherche valide (query.criteria).",
        )


def check_get_vocabulary(view, request):
    name = request.form.get("name")
    if not isinstance(name, str):
        return
    check_vocabulary_here(name, view.context)
    query = json_parameter(request, "query")
    for parameter in ("batch", "attributes"):
        json_parameter(request, parameter)
    if name in CATALOG_VOCABULARIES:
        if not request.form.get("attributes"):
            raise missing(
                "'attributes' (the catalog columns to list)", "Indiquez les colonnes (attributes)."
            )
        check_catalog_query(query)


#: Plone's views (by class) -> the check of a request before the view runs
VIEW_CHECKS = (
    (UserMembershipControlPanel, check_user_membership),
    (GroupMembershipControlPanel, check_group_membership),
    (ManageGroupPortlets, check_group_portlets),
    (ManageGroupDashboardPortlets, check_group_portlets),
    (ManageContentTypePortlets, check_content_type_portlets),
    (ErrorLogSetProperties, check_error_log_properties),
    (VocabularyView, check_get_vocabulary),
)
#: template-only pages (no class of their own), by name
NAMED_VIEW_CHECKS = {
    # the body of the "contact the author" e-mail, rendered by @@author with its options
    "author-feedback-template": check_not_alone,
}


# --- the REST services -------------------------------------------------------------------


def _one_id(what, message_fr, listing=False):
    def check(service, request):
        count = len(service.params)
        if count > 1 or (count == 0 and not listing):
            raise missing(f"exactly one {what} in the path", message_fr)

    return check


check_one_user = _one_id("user id", "Indiquez un seul compte dans l'adresse (@users/<id>).")
check_one_group = _one_id("group id", "Indiquez un seul groupe dans l'adresse (@groups/<id>).")
check_user_listing = _one_id("user id", "Indiquez au plus un compte dans l'adresse.", listing=True)
check_group_listing = _one_id(
    "group id", "Indiquez au plus un groupe dans l'adresse.", listing=True
)


def mail_configured(context, request):
    """Plone's own test (the overview control panel): a mail server and a sender address."""
    overview = getMultiAdapter((context, request), name="overview-controlpanel")
    return not overview.mailhost_warning()


def check_users_post(service, request):
    """``POST @users`` (a new account) or ``POST @users/<login>/reset-password``."""
    params = service.params
    if len(params) == 2 and params[1] != "reset-password":
        raise unknown(f"@users/<login>/{params[1]}", "Cette adresse n'existe pas.")
    if len(params) not in (0, 2):
        raise missing(
            "@users (a new account) or @users/<login>/reset-password",
            "Utilisez @users pour créer un compte ou @users/<identifiant>/reset-password.",
        )
    if not params or body(request) != {}:
        return
    registration = getToolByName(service.context, "portal_registration")
    if not getSecurityManager().checkPermission("Mail forgotten password", registration):
        return  # Plone refuses it (401) before anything else
    # an empty body: Plone mails a reset link (RegistrationTool.mailPassword), whose
    # failures are 500s: no mail server (the mail fails at commit), no valid address
    if not mail_configured(service.context, request):
        raise route_error(
            BadRequest,
            "mail_not_configured",
            "No mail server is configured on this site: no reset e-mail can be sent.",
            "Aucun serveur de courriel n'est configuré sur ce site : "
            "le courriel de réinitialisation ne peut pas partir.",
        )
    member = get_member_by_login_name(service.context, params[0], raise_exceptions=False)
    email = member.getProperty("email") if member is not None else None
    utils = getToolByName(service.context, "plone_utils")
    if member is not None and not (email and utils.validateSingleEmailAddress(email)):
        raise route_error(
            BadRequest,
            "no_email",
            "This account has no valid e-mail address: no reset e-mail can be sent.",
            "Ce compte n'a pas d'adresse de courriel valide : "
            "le courriel de réinitialisation ne peut pas partir.",
        )


def check_history_patch(service, request):
    data = body_object(request)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise missing("'version' (a whole number)", "Indiquez la version à rétablir (un nombre).")
    archivist = getToolByName(service.context, "portal_archivist")
    try:
        history = archivist.getHistoryMetadata(service.context)
    except ArchivistUnregisteredError:
        history = None
    if not history or version >= history.getLength(countPurged=True):
        raise unknown(f"version {version}", "Cette version n'existe pas.")


#: the buttons plone.restapi's PATCH @content-rules hands to ``manage-content-rules``
CONTENT_RULES_BUTTONS = (
    "form.button.Enable",
    "form.button.Disable",
    "form.button.Bubble",
    "form.button.NoBubble",
)
CONTENT_RULES_OPERATIONS = ("move_up", "move_down")


def _assigned_rules(context, rule_ids):
    """A 404 unless each of ``rule_ids`` (a list of strings, else a 400) is assigned here."""
    if not isinstance(rule_ids, list) or not all(isinstance(r, str) for r in rule_ids):
        raise missing("'rule_ids': a list of rule ids", "Indiquez les règles (rule_ids).")
    assigned = IRuleAssignmentManager(context, None) or {}
    for rule_id in rule_ids:
        if rule_id not in assigned:
            raise unknown(f"the rule {rule_id!r} here", "Cette règle n'est pas appliquée ici.")


def check_content_rules_patch(service, request):
    data = body_object(request)
    operation = data.get("operation")
    if operation:
        if operation not in CONTENT_RULES_OPERATIONS:
            raise missing(
                "'operation': move_up or move_down", "Indiquez l'opération : move_up ou move_down."
            )
        _assigned_rules(service.context, [data.get("rule_id")])
    elif any(data.get(button) for button in CONTENT_RULES_BUTTONS):
        _assigned_rules(service.context, data.get("rule_ids"))
    else:
        raise missing(
            "'operation' or one of " + ", ".join(CONTENT_RULES_BUTTONS),
            "Indiquez l'opération à faire sur les règles.",
        )


def check_content_rules_add(service, request):
    if not service.params:
        raise missing("the rule id in the path", "Indiquez la règle dans l'adresse.")
    storage = queryUtility(IRuleStorage)
    if storage is None or service.params[0] not in storage:
        raise unknown(f"the rule {service.params[0]!r}", "Cette règle n'existe pas.")


def check_content_rules_delete(service, request):
    _assigned_rules(service.context, body_object(request).get("rule_ids"))


def check_relations_post(service, request):
    data = body_object(request)
    if "rebuild" in service.params:
        return
    items = data.get("items")
    fields = ("source", "target", "relation")
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and all(isinstance(item.get(key), str) for key in fields)
        for item in items
    ):
        raise missing(
            "'items': a list of {source, target, relation}",
            "Indiquez les relations (items : source, target, relation).",
        )


ADDON_ACTIONS = ("install", "uninstall", "upgrade", "import")


def check_addons_post(service, request):
    params = service.params
    if len(params) < 2 or params[1] not in ADDON_ACTIONS:
        raise missing(
            "@addons/<add-on>/(install|uninstall|upgrade|import)",
            "Indiquez le module et l'action : install, uninstall, upgrade ou import.",
        )


def check_controlpanel(service, request):
    if service.params and service.panel_by_name(service.params[0]) is None:
        raise unknown(f"the control panel {service.params[0]!r}", "Ce panneau n'existe pas.")


def check_vocabularies_get(service, request):
    if not service.params:
        return
    name = service.params[0]
    permission = PERMISSIONS.get(name, DEFAULT_PERMISSION)
    if getSecurityManager().checkPermission(permission, service.context):
        check_vocabulary_here(name, service.context)  # else the service refuses (401/403)


#: plone.restapi's services (by class) -> the check of a request before the service runs
SERVICE_CHECKS = (
    (UsersGet, check_user_listing),
    (UsersPatch, check_one_user),
    (UsersDelete, check_one_user),
    (UsersPost, check_users_post),
    (GroupsGet, check_group_listing),
    (GroupsPatch, check_one_group),
    (GroupsDelete, check_one_group),
    (HistoryPatch, check_history_patch),
    (ContentRulesUpdate, check_content_rules_patch),
    (ContentRulesAdd, check_content_rules_add),
    (ContentRulesDelete, check_content_rules_delete),
    (PostRelations, check_relations_post),
    (AddonsPost, check_addons_post),
    (ControlpanelsAdd, check_controlpanel),
    (ControlpanelsUpdate, check_controlpanel),
    (ControlpanelsDelete, check_controlpanel),
    (VocabulariesGet, check_vocabularies_get),
)


def check_plone_route(event):
    """``IPubAfterTraversal``: an incomplete request to one of Plone's routes is a 4xx."""
    request = event.request
    published = request.get("PUBLISHED")
    if published is None:
        return
    view = getattr(published, "__self__", published)  # a view published by its method
    for checks in (SERVICE_CHECKS, VIEW_CHECKS):
        for klass, check in checks:
            if isinstance(view, klass):
                check(view, request)
                return
    check = NAMED_VIEW_CHECKS.get(getattr(view, "__name__", None))
    if check is not None:
        check(view, request)


# --- the two routes that fail while traversed ------------------------------------------


class RuleAdding(adding.RuleAdding):
    """``+rule``: traversed to ``+rule/<rule type>`` (the add form); alone, a 404."""

    #: Plone's view mended, not a page of the add-on (``plone_ui.is_own_view``)
    plone_view = True

    def __call__(self):
        raise route_error(NotFound, "not_found", *NOT_ALONE)


class Skin(namespace.skin):
    """``++skin++<name>``: Zope applies a skin only at the start of a path; elsewhere, or
    for a skin that does not exist, a 404 (zope.traversing's answer is a 500)."""

    def traverse(self, name, ignored):
        the_skin = queryUtility(IBrowserSkinType, name) if name else None
        if the_skin is None:
            raise route_error(
                NotFound, "not_found", f"No skin named {name!r}.", "Cette apparence n'existe pas."
            )
        try:
            self.request.shiftNameToApplication()
        except ValueError:
            raise route_error(
                NotFound,
                "not_found",
                "A skin is chosen only at the start of the address.",
                "Une apparence se choisit seulement au début de l'adresse.",
            ) from None
        applySkin(self.request, the_skin)
        return self.context
