"""Control panel of organisations: list, add, edit and disable (never delete)."""

from ccas.vault import _
from ccas.vault.controlpanels.base import RegistryAddForm
from ccas.vault.controlpanels.base import RegistryEditForm
from ccas.vault.controlpanels.base import RegistryEditView
from ccas.vault.controlpanels.document_types import check_type_id
from ccas.vault.organisations import add_organisation
from ccas.vault.organisations import get_organisation
from ccas.vault.organisations import IOrganisation
from ccas.vault.organisations import list_organisations
from ccas.vault.organisations import PREFIX
from ccas.vault.organisations import set_enabled
from ccas.vault.vocabularies.organisations import KIND_TITLES
from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from Products.Five import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from z3c.form import field
from zope import schema
from zope.interface import Interface


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


class OrganisationEditForm(RegistryEditForm):
    """Edit the records of one organisation (``@@ccas-organisations-edit/<id>``)."""

    fields = _fields()
    records_schema = IOrganisation
    prefix_root = PREFIX
    listing = LISTING
    get_info = staticmethod(get_organisation)
    set_enabled = staticmethod(set_enabled)
    disabled_message = _("Organisation disabled: it can no longer be chosen, mandates keep it.")
    enabled_message = _("Organisation enabled.")

    @property
    def label(self):
        return _("Organisation: ${title}", mapping={"title": self.info.title})

    @property
    def description(self):
        if self.info.enabled:
            return _("Identifier: ${id}", mapping={"id": self.entry_id})
        return _(
            "Identifier: ${id}. This organisation is disabled: it can no longer be chosen.",
            mapping={"id": self.entry_id},
        )


class OrganisationEditView(RegistryEditView):
    """Control panel page of one organisation; its id is the next path segment."""

    form = OrganisationEditForm


class OrganisationAddForm(RegistryAddForm):
    """Register a new organisation (enabled)."""

    fields = _fields(IOrganisationAdd)
    label = _("Add an organisation")
    id_field = "organisation_id"
    listing = LISTING
    get_info = staticmethod(get_organisation)
    add = staticmethod(add_organisation)
    duplicate_message = _("An organisation with this identifier already exists.")
    added_message = _("Organisation added.")


class OrganisationAddView(ControlPanelFormWrapper):
    """Control panel page wrapping the add form."""

    form = OrganisationAddForm
