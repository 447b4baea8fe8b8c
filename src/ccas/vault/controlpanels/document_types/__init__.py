"""Control panel of document types: list, add, edit and disable (never delete)."""

from ccas.vault import _
from ccas.vault.controlpanels.base import RegistryAddForm
from ccas.vault.controlpanels.base import RegistryEditForm
from ccas.vault.controlpanels.base import RegistryEditView
from ccas.vault.document_types import add_document_type
from ccas.vault.document_types import current_language
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import IDocumentType
from ccas.vault.document_types import is_valid_type_id
from ccas.vault.document_types import list_document_types
from ccas.vault.document_types import PREFIX
from ccas.vault.document_types import set_enabled
from ccas.vault.document_types import sort_key
from ccas.vault.vocabularies.document_types import CATEGORY_TITLES
from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from plone.protect import CheckAuthenticator
from Products.Five import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from Products.statusmessages.interfaces import IStatusMessage
from z3c.form import field
from z3c.form.browser.textlines import TextLinesWidget
from z3c.form.converter import BaseDataConverter
from z3c.form.converter import FormatterValidationError
from z3c.form.interfaces import ITextLinesWidget
from z3c.form.widget import FieldWidget
from zExceptions import NotFound
from zope import schema
from zope.component import adapter
from zope.interface import implementer
from zope.interface import Interface
from zope.interface import Invalid
from zope.publisher.interfaces import IPublishTraverse
from zope.schema.interfaces import IList
import re


LISTING = "@@ccas-document-types"
RECOMPUTE = "@@ccas-document-types-recompute"


class IIntLinesWidget(ITextLinesWidget):
    """Text area holding whole numbers, one per line (commas accepted too)."""


@implementer(IIntLinesWidget)
class IntLinesWidget(TextLinesWidget):
    """Reminder delays typed as ``30`` and ``7`` on two lines, or ``30, 7``."""


def IntLinesFieldWidget(field, request):
    return FieldWidget(field, IntLinesWidget(request))


@adapter(IList, IIntLinesWidget)
class IntLinesConverter(BaseDataConverter):
    """Whole numbers, de-duplicated and sorted from the largest."""

    def toWidgetValue(self, value):
        return "\n".join(str(v) for v in value or ())

    def toFieldValue(self, value):
        parts = [p for p in re.split(r"[\s,;]+", value or "") if p]
        try:
            numbers = {int(p) for p in parts}
        except ValueError:
            raise FormatterValidationError(
                _("Enter whole numbers of days, one per line."), value
            ) from None
        return sorted(numbers, reverse=True)


def check_type_id(value):
    """Constraint of new type ids: a lower-case ASCII slug."""
    if not is_valid_type_id(value):
        raise Invalid(
            _("Use lower-case letters without accents, digits and hyphens, starting with a letter.")
        )
    return True


class IDocumentTypeAdd(Interface):
    type_id = schema.ASCIILine(
        title=_("Identifier"),
        description=_(
            "Short and permanent, e.g. attestation-msa: documents refer to it. "
            "It cannot be changed later."
        ),
        constraint=check_type_id,
    )


def _fields(*extra):
    fields = field.Fields(*extra) + field.Fields(IDocumentType).omit("enabled")
    fields["reminder_days"].widgetFactory = IntLinesFieldWidget
    return fields


def _validity(months):
    if not months:
        return _("No expiry")
    if months == 1:
        return _("1 month")
    return _("${months} months", mapping={"months": months})


class DocumentTypesListing(BrowserView):
    """Every type, enabled or not, with a link to edit it."""

    index = ViewPageTemplateFile("listing.pt")
    label = _("Document types")
    description = _(
        "The types of papers people keep in their vault: labels, validity, reminders "
        "before expiry, health warning and retention after closure. A type is never "
        "deleted, because documents refer to it; disable it instead."
    )

    def __call__(self):
        return self.index()

    def rows(self):
        """One row per type, sorted by the label displayed."""
        lang = current_language(self.request)
        base = f"{self.context.absolute_url()}/@@ccas-document-types-edit"
        types = list_document_types(include_disabled=True)
        for info in sorted(types, key=lambda t: (sort_key(t.label(lang)), t.id)):
            yield {
                "id": info.id,
                "label": info.label(lang),
                "other_label": info.label("en" if lang == "fr" else "fr"),
                "category": CATEGORY_TITLES.get(info.category, info.category),
                "validity": _validity(info.validity_months),
                "reminders": ", ".join(str(d) for d in info.reminder_days) or "—",
                "health": info.health,
                "enabled": info.enabled,
                "edit_url": f"{base}/{info.id}",
                "recompute_url": f"{self.context.absolute_url()}/{RECOMPUTE}/{info.id}",
            }

    def add_url(self):
        return f"{self.context.absolute_url()}/@@ccas-document-types-add"


class DocumentTypeEditForm(RegistryEditForm):
    """Edit the records of one type (``@@ccas-document-types-edit/<type id>``)."""

    fields = _fields()
    records_schema = IDocumentType
    prefix_root = PREFIX
    listing = LISTING
    get_info = staticmethod(get_document_type)
    set_enabled = staticmethod(set_enabled)
    disabled_message = _("Document type disabled: it can no longer be chosen, documents keep it.")
    enabled_message = _("Document type enabled.")

    @property
    def label(self):
        return _(
            "Document type: ${label}",
            mapping={"label": self.info.label(current_language(self.request))},
        )

    def save(self, data):
        """Save; after a change of validity, go on to recompute the papers already stored."""
        before = self.info.validity_months
        super().save(data)
        if (data.get("validity_months") or None) != before:
            self.listing = f"{RECOMPUTE}/{self.entry_id}"
            IStatusMessage(self.request).addStatusMessage(
                _(
                    "The new validity applies to new papers; the papers already stored "
                    "keep their dates unless you recompute them here."
                ),
                "info",
            )

    @property
    def description(self):
        if self.info.enabled:
            return _("Identifier: ${id}", mapping={"id": self.entry_id})
        return _(
            "Identifier: ${id}. This type is disabled: it can no longer be chosen.",
            mapping={"id": self.entry_id},
        )


class DocumentTypeEditView(RegistryEditView):
    """Control panel page of one type; the type id is the next path segment."""

    form = DocumentTypeEditForm


class DocumentTypeAddForm(RegistryAddForm):
    """Register a new type (enabled)."""

    fields = _fields(IDocumentTypeAdd)
    label = _("Add a document type")
    id_field = "type_id"
    listing = LISTING
    get_info = staticmethod(get_document_type)
    add = staticmethod(add_document_type)
    duplicate_message = _("A document type with this identifier already exists.")
    added_message = _("Document type added.")


class DocumentTypeAddView(ControlPanelFormWrapper):
    """Control panel page wrapping the add form."""

    form = DocumentTypeAddForm


@implementer(IPublishTraverse)
class RecomputeView(BrowserView):
    """``@@ccas-document-types-recompute/<type id>``: preview, then recompute (counts only)."""

    index = ViewPageTemplateFile("recompute.pt")
    type_id = None
    done = None

    def publishTraverse(self, request, name):
        if self.type_id is None and get_document_type(name) is not None:
            self.type_id = name
            return self
        raise NotFound(name)

    def __call__(self):
        from ccas.vault.controlpanels.document_types import recompute

        if self.type_id is None:
            raise NotFound(self.__name__)
        self.info = get_document_type(self.type_id)
        if self.request.method == "POST":
            CheckAuthenticator(self.request)  # any post: the page's form (apply)
        if self.request.method == "POST" and self.request.form.get("form.buttons.apply"):
            done = recompute.apply(self.type_id)
            IStatusMessage(self.request).addStatusMessage(
                _(
                    "${count} papers recomputed in ${vaults} vaults: ${expired} out of date, "
                    "${renewed} valid again. Each vault's history says so.",
                    mapping={
                        "count": done.changed,
                        "vaults": done.vaults,
                        "expired": done.expiring,
                        "renewed": done.renewing,
                    },
                ),
                "info",
            )
            url = f"{self.context.absolute_url()}/{RECOMPUTE}/{self.type_id}"
            return self.request.response.redirect(url, status=303)
        self.plan = recompute.plan(self.type_id)
        return self.index()

    def label(self):
        return _(
            "Recompute the papers already stored: ${label}",
            mapping={"label": self.info.label(current_language(self.request))},
        )

    def validity(self):
        return _validity(self.info.validity_months)

    def edit_url(self):
        return f"{self.context.absolute_url()}/@@ccas-document-types-edit/{self.type_id}"

    def listing_url(self):
        return f"{self.context.absolute_url()}/{LISTING}"
