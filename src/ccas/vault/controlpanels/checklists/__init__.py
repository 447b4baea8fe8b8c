"""Control panel of procedure checklists: list, add, edit and disable (never delete)."""

from ccas.vault import _
from ccas.vault.checklists import add_checklist
from ccas.vault.checklists import ChecklistItemError
from ccas.vault.checklists import get_checklist
from ccas.vault.checklists import IChecklist
from ccas.vault.checklists import item_text
from ccas.vault.checklists import list_checklists
from ccas.vault.checklists import parse_items
from ccas.vault.checklists import PREFIX
from ccas.vault.checklists import set_enabled
from ccas.vault.checklists import update_checklist
from ccas.vault.controlpanels.base import RegistryAddForm
from ccas.vault.controlpanels.base import RegistryEditForm
from ccas.vault.controlpanels.base import RegistryEditView
from ccas.vault.controlpanels.document_types import check_type_id
from ccas.vault.document_types import current_language
from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from Products.Five import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from z3c.form import field
from z3c.form.browser.textlines import TextLinesWidget
from z3c.form.converter import BaseDataConverter
from z3c.form.converter import FormatterValidationError
from z3c.form.interfaces import ITextLinesWidget
from z3c.form.widget import FieldWidget
from zope import schema
from zope.component import adapter
from zope.interface import implementer
from zope.interface import Interface
from zope.schema.interfaces import IList


LISTING = "@@ccas-checklists"


class IChecklistItemsWidget(ITextLinesWidget):
    """Text area holding one checklist item per line."""


@implementer(IChecklistItemsWidget)
class ChecklistItemsWidget(TextLinesWidget):
    """``cni|passeport`` and ``justificatif-domicile:3m`` lines, checked on submit."""


def ChecklistItemsFieldWidget(field, request):
    return FieldWidget(field, ChecklistItemsWidget(request))


@adapter(IList, IChecklistItemsWidget)
class ChecklistItemsConverter(BaseDataConverter):
    """Lines read by :func:`ccas.vault.checklists.parse_items`, stored in their canonical form."""

    def toWidgetValue(self, value):
        return "\n".join(value or ())

    def toFieldValue(self, value):
        lines = (value or "").splitlines()
        try:
            items = parse_items(lines)
        except ChecklistItemError as error:
            raise FormatterValidationError(error.message, value) from None
        return [item.as_text() for item in items]


class IChecklistAdd(Interface):
    checklist_id = schema.ASCIILine(
        title=_("Identifier"),
        description=_(
            "Short and permanent, e.g. dossier-apl: links refer to it. It cannot be changed later."
        ),
        constraint=check_type_id,
    )


def _fields(*extra):
    fields = field.Fields(*extra) + field.Fields(IChecklist).omit("enabled")
    fields["items"].widgetFactory = ChecklistItemsFieldWidget
    return fields


class ChecklistsListing(BrowserView):
    """Every checklist, enabled or not, with a link to edit it."""

    index = ViewPageTemplateFile("listing.pt")
    label = _("Procedure checklists")
    description = _(
        "The papers each procedure asks for, and how recent they must be. People and "
        "their mandated agents see which papers are present, missing or too old, and "
        "share or print the valid ones at once. A checklist is never deleted; disable it "
        "instead."
    )

    def __call__(self):
        return self.index()

    def rows(self):
        """One row per checklist, sorted by the title displayed."""
        lang = current_language(self.request)
        base = f"{self.context.absolute_url()}/@@ccas-checklists-edit"
        for info in list_checklists(include_disabled=True, lang=lang):
            yield {
                "id": info.id,
                "title": info.title(lang),
                "other_title": info.title("en" if lang == "fr" else "fr"),
                "items": [item_text(item, self.request) for item in info.items],
                "enabled": info.enabled,
                "edit_url": f"{base}/{info.id}",
            }

    def add_url(self):
        return f"{self.context.absolute_url()}/@@ccas-checklists-add"


class ChecklistEditForm(RegistryEditForm):
    """Edit one checklist (``@@ccas-checklists-edit/<id>``)."""

    fields = _fields()
    records_schema = IChecklist
    prefix_root = PREFIX
    listing = LISTING
    get_info = staticmethod(get_checklist)
    set_enabled = staticmethod(set_enabled)
    disabled_message = _("Checklist disabled: people and agents no longer see it.")
    enabled_message = _("Checklist enabled.")

    @property
    def label(self):
        return _(
            "Procedure checklist: ${title}",
            mapping={"title": self.info.title(current_language(self.request))},
        )

    @property
    def description(self):
        if self.info.enabled:
            return _("Identifier: ${id}", mapping={"id": self.entry_id})
        return _(
            "Identifier: ${id}. This checklist is disabled: nobody sees it.",
            mapping={"id": self.entry_id},
        )

    def save(self, data):
        update_checklist(self.entry_id, **data)


class ChecklistEditView(RegistryEditView):
    form = ChecklistEditForm


class ChecklistAddForm(RegistryAddForm):
    """Register a new checklist (enabled)."""

    fields = _fields(IChecklistAdd)
    label = _("Add a procedure checklist")
    id_field = "checklist_id"
    listing = LISTING
    get_info = staticmethod(get_checklist)
    add = staticmethod(add_checklist)
    duplicate_message = _("A checklist with this identifier already exists.")
    added_message = _("Checklist added.")


class ChecklistAddView(ControlPanelFormWrapper):
    form = ChecklistAddForm
