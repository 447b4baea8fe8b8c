"""Control panel of organisations: list, add, edit and disable (never delete)."""

from ccas.vault import _
from ccas.vault.controlpanels.document_types import check_type_id
from ccas.vault.organisations import add_organisation
from ccas.vault.organisations import get_organisation
from ccas.vault.organisations import IOrganisation
from ccas.vault.organisations import list_organisations
from ccas.vault.organisations import PREFIX
from ccas.vault.organisations import set_enabled
from ccas.vault.vocabularies.organisations import KIND_TITLES
from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from plone.registry.interfaces import IRegistry
from Products.Five import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from Products.statusmessages.interfaces import IStatusMessage
from z3c.form import button
from z3c.form import field
from z3c.form import form
from z3c.form.interfaces import WidgetActionExecutionError
from zExceptions import NotFound
from zope import schema
from zope.component import getUtility
from zope.interface import implementer
from zope.interface import Interface
from zope.interface import Invalid
from zope.publisher.interfaces import IPublishTraverse


LISTING = "@@ccas-organisations"


class IOrganisationAdd(Interface):
    organisation_id = schema.ASCIILine(
        title=_("Identifier"),
        description=_(
            "Short and permanent, e.g. departement: mandates refer to it. "
            "It cannot be changed later."
        ),
        constraint=check_type_id,
    )


def _fields(*extra):
    return field.Fields(*extra) + field.Fields(IOrganisation).omit("enabled")


def _go_to_listing(form, message):
    IStatusMessage(form.request).addStatusMessage(message, "info")
    form.request.response.redirect(f"{form.context.absolute_url()}/{LISTING}")


class OrganisationsListing(BrowserView):
    """Every organisation, enabled or not, with a link to edit it."""

    index = ViewPageTemplateFile("listing.pt")
    label = _("Organisations")
    description = _(
        "The organisations whose agents may act in a vault under a mandate: their "
        "group of agents and whether those agents may certify documents. An "
        "organisation is never deleted, because mandates refer to it; disable it instead."
    )

    def __call__(self):
        return self.index()

    def rows(self):
        """One row per organisation, sorted by title."""
        base = f"{self.context.absolute_url()}/@@ccas-organisations-edit"
        for info in list_organisations(include_disabled=True):
            yield {
                "id": info.id,
                "title": info.title,
                "kind": KIND_TITLES.get(info.kind, info.kind),
                "group_id": info.group_id or "—",
                "may_certify": info.may_certify,
                "enabled": info.enabled,
                "edit_url": f"{base}/{info.id}",
            }

    def add_url(self):
        return f"{self.context.absolute_url()}/@@ccas-organisations-add"


class OrganisationEditForm(form.EditForm):
    """Edit the records of one organisation (``@@ccas-organisations-edit/<id>``)."""

    fields = _fields()
    enableCSRFProtection = True
    organisation_id = None

    @property
    def info(self):
        return get_organisation(self.organisation_id)

    @property
    def label(self):
        return _("Organisation: ${title}", mapping={"title": self.info.title})

    @property
    def description(self):
        if self.info.enabled:
            return _("Identifier: ${id}", mapping={"id": self.organisation_id})
        return _(
            "Identifier: ${id}. This organisation is disabled: it can no longer be chosen.",
            mapping={"id": self.organisation_id},
        )

    def getContent(self):
        return getUtility(IRegistry).forInterface(
            IOrganisation, check=False, prefix=f"{PREFIX}/{self.organisation_id}"
        )

    @button.buttonAndHandler(_("Save"), name="save")
    def handle_save(self, action):
        data, errors = self.extractData()
        if errors:
            self.status = self.formErrorsMessage
            return
        self.applyChanges(data)
        _go_to_listing(self, _("Changes saved."))

    @button.buttonAndHandler(_("Disable"), name="disable", condition=lambda form: form.info.enabled)
    def handle_disable(self, action):
        set_enabled(self.organisation_id, False)
        _go_to_listing(
            self, _("Organisation disabled: it can no longer be chosen, mandates keep it.")
        )

    @button.buttonAndHandler(
        _("Enable"), name="enable", condition=lambda form: not form.info.enabled
    )
    def handle_enable(self, action):
        set_enabled(self.organisation_id, True)
        _go_to_listing(self, _("Organisation enabled."))

    @button.buttonAndHandler(_("Cancel"), name="cancel")
    def handle_cancel(self, action):
        _go_to_listing(self, _("Changes canceled."))


@implementer(IPublishTraverse)
class OrganisationEditView(ControlPanelFormWrapper):
    """Control panel page of one organisation; its id is the next path segment."""

    form = OrganisationEditForm

    def publishTraverse(self, request, name):
        if self.form_instance.organisation_id is None and get_organisation(name) is not None:
            self.form_instance.organisation_id = name
            return self
        raise NotFound(name)

    def __call__(self):
        if self.form_instance.organisation_id is None:
            raise NotFound("ccas-organisations-edit")
        return super().__call__()


class OrganisationAddForm(form.Form):
    """Register a new organisation (enabled)."""

    fields = _fields(IOrganisationAdd)
    ignoreContext = True
    enableCSRFProtection = True
    label = _("Add an organisation")

    @button.buttonAndHandler(_("Add"), name="add")
    def handle_add(self, action):
        data, errors = self.extractData()
        if errors:
            self.status = self.formErrorsMessage
            return
        organisation_id = data.pop("organisation_id")
        if get_organisation(organisation_id) is not None:
            raise WidgetActionExecutionError(
                "organisation_id",
                Invalid(_("An organisation with this identifier already exists.")),
            )
        add_organisation(organisation_id, **data)
        _go_to_listing(self, _("Organisation added."))

    @button.buttonAndHandler(_("Cancel"), name="cancel")
    def handle_cancel(self, action):
        _go_to_listing(self, _("Changes canceled."))


class OrganisationAddView(ControlPanelFormWrapper):
    """Control panel page wrapping the add form."""

    form = OrganisationAddForm
