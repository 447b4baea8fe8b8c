"""What the registry control panels share: edit one entry, add one, go back to the listing.

Each registry (document types, organisations, checklists) is a collection of
plone.registry records ``<prefix>/<id>.<field>``; its entries are disabled,
never deleted.  A control panel subclasses :class:`RegistryEditForm` and
:class:`RegistryAddForm`, sets the class attributes, and wraps them in
:class:`RegistryEditView` / ``ControlPanelFormWrapper``.
"""

from ccas.vault import _
from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from plone.registry.interfaces import IRegistry
from Products.statusmessages.interfaces import IStatusMessage
from z3c.form import button
from z3c.form import form
from z3c.form.interfaces import WidgetActionExecutionError
from zExceptions import NotFound
from zope.component import getUtility
from zope.interface import implementer
from zope.interface import Invalid
from zope.publisher.interfaces import IPublishTraverse


def go_to_listing(form, listing, message):
    """Show ``message`` and redirect to the control panel ``listing`` (``@@…``)."""
    IStatusMessage(form.request).addStatusMessage(message, "info")
    form.request.response.redirect(f"{form.context.absolute_url()}/{listing}")


class RegistryEditForm(form.EditForm):
    """Edit the records of one entry; subclasses set the attributes below."""

    enableCSRFProtection = True
    records_schema = None  # the records' interface
    prefix_root = None  # e.g. "ccas.vault.checklists"
    listing = None  # e.g. "@@ccas-checklists"
    entry_id = None  # set by RegistryEditView from the URL
    disabled_message = enabled_message = None

    @staticmethod
    def get_info(entry_id):
        raise NotImplementedError

    @staticmethod
    def set_enabled(entry_id, enabled):
        raise NotImplementedError

    @property
    def info(self):
        return self.get_info(self.entry_id)

    def getContent(self):
        return getUtility(IRegistry).forInterface(
            self.records_schema, check=False, prefix=f"{self.prefix_root}/{self.entry_id}"
        )

    def save(self, data):
        """Store the changes (override to go through the registry module)."""
        self.applyChanges(data)

    @button.buttonAndHandler(_("Save"), name="save")
    def handle_save(self, action):
        data, errors = self.extractData()
        if errors:
            self.status = self.formErrorsMessage
            return
        self.save(data)
        go_to_listing(self, self.listing, _("Changes saved."))

    @button.buttonAndHandler(_("Disable"), name="disable", condition=lambda form: form.info.enabled)
    def handle_disable(self, action):
        self.set_enabled(self.entry_id, False)
        go_to_listing(self, self.listing, self.disabled_message)

    @button.buttonAndHandler(
        _("Enable"), name="enable", condition=lambda form: not form.info.enabled
    )
    def handle_enable(self, action):
        self.set_enabled(self.entry_id, True)
        go_to_listing(self, self.listing, self.enabled_message)

    @button.buttonAndHandler(_("Cancel"), name="cancel")
    def handle_cancel(self, action):
        go_to_listing(self, self.listing, _("Changes canceled."))


@implementer(IPublishTraverse)
class RegistryEditView(ControlPanelFormWrapper):
    """Control panel page of one entry; the entry id is the next path segment."""

    def publishTraverse(self, request, name):
        form = self.form_instance
        if form.entry_id is None and form.get_info(name) is not None:
            form.entry_id = name
            return self
        raise NotFound(name)

    def __call__(self):
        if self.form_instance.entry_id is None:
            raise NotFound(self.__name__)
        return super().__call__()


class RegistryAddForm(form.Form):
    """Register a new entry (enabled); subclasses set the attributes below."""

    ignoreContext = True
    enableCSRFProtection = True
    id_field = None  # name of the identifier field
    listing = None
    duplicate_message = added_message = None

    @staticmethod
    def get_info(entry_id):
        raise NotImplementedError

    @staticmethod
    def add(entry_id, **values):
        raise NotImplementedError

    @button.buttonAndHandler(_("Add"), name="add")
    def handle_add(self, action):
        data, errors = self.extractData()
        if errors:
            self.status = self.formErrorsMessage
            return
        entry_id = data.pop(self.id_field)
        if self.get_info(entry_id) is not None:
            raise WidgetActionExecutionError(self.id_field, Invalid(self.duplicate_message))
        self.add(entry_id, **data)
        go_to_listing(self, self.listing, self.added_message)

    @button.buttonAndHandler(_("Cancel"), name="cancel")
    def handle_cancel(self, action):
        go_to_listing(self, self.listing, _("Changes canceled."))
