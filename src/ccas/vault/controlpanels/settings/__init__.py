"""``@@ccas-settings``: the CCAS's settings (identity, opening, notifications, limits).

One form over two sets of registry records: the vault's own
(``ccas.vault.settings.*``, :class:`~ccas.vault.settings.IVaultSettings`) and
Plone's mail settings (``plone.smtp_*``, ``plone.email_from_*``), which are not
duplicated.  "Send a test e-mail" saves, then sends a message through MailHost
at once and says whether it left.
"""

from ccas.vault import _
from ccas.vault.settings import IVaultSettings
from ccas.vault.settings import PREFIX
from copy import copy
from email.message import EmailMessage
from email.utils import formataddr
from plone import api
from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from plone.base.interfaces.controlpanel import IMailSchema
from plone.formwidget.namedfile.widget import NamedImageFieldWidget
from plone.registry.interfaces import IRegistry
from Products.statusmessages.interfaces import IStatusMessage
from z3c.form import button
from z3c.form import field
from z3c.form import form
from z3c.form import group
from z3c.form.browser.password import PasswordFieldWidget
from zope.component import getUtility
from zope.interface import implementer
import logging
import socket


logger = logging.getLogger("ccas.vault.settings")
PANEL = "@@ccas-settings"
MAIL_FIELDS = (
    "smtp_host",
    "smtp_port",
    "smtp_userid",
    "smtp_pass",
    "email_from_name",
    "email_from_address",
)

SECRETS = ("smtp_pass", "sms_gateway_token")


@implementer(IVaultSettings, IMailSchema)
class SettingsContent:
    """The form's content: Plone's mail records for the mail fields, the vault's for the rest."""

    def __init__(self):
        registry = getUtility(IRegistry)
        vault = registry.forInterface(IVaultSettings, prefix=PREFIX, check=False)
        mail = registry.forInterface(IMailSchema, prefix="plone")
        object.__setattr__(self, "_proxies", (vault, mail))

    def _proxy(self, name):
        vault, mail = self._proxies
        return mail if name in IMailSchema else vault

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._proxy(name), name)

    def __setattr__(self, name, value):
        setattr(self._proxy(name), name, value)


class SettingsGroup(group.Group):
    """A fieldset of the form, editing the form's records."""

    def getContent(self):
        return self.parentForm.getContent()


def _group(label, fields, description=None):
    attrs = {"__name__": label, "label": label, "fields": fields}
    if description:
        attrs["description"] = description
    return type("SettingsGroup", (SettingsGroup,), attrs)


def _mail_fields():
    """Plone's mail fields, optional here: an empty one keeps the stored value (see ``save``)."""
    fields = field.Fields(IMailSchema).select(*MAIL_FIELDS)
    for one in fields.values():
        one.field = copy(one.field)
        one.field.required = False
    return fields


identity_fields = field.Fields(IVaultSettings).select(
    "ccas_name",
    "ccas_address",
    "ccas_phone",
    "ccas_email",
    "ccas_hours",
    "ccas_logo",
    "seal_name",
    "city_name",
)
identity_fields["ccas_logo"].widgetFactory = NamedImageFieldWidget

sms_fields = field.Fields(IVaultSettings).select(
    "sms_gateway", "sms_gateway_url", "sms_gateway_token", "sms_sender"
)
sms_fields["sms_gateway_token"].widgetFactory = PasswordFieldWidget

GROUPS = (
    _group(
        _("Identity of the CCAS"),
        identity_fields,
        _("Printed at the top of every sheet the CCAS hands out."),
    ),
    _group(_("Opening vaults"), field.Fields(IVaultSettings).select("self_service_opening")),
    _group(
        _("Notifications"),
        _mail_fields() + sms_fields,
        _("E-mails leave through the mail server below (Plone's own mail settings)."),
    ),
    _group(
        _("Antivirus"),
        field.Fields(IVaultSettings).select(
            "clamd_socket", "clamd_address", "clamd_timeout_seconds"
        ),
        _("ClamAV scans every deposited file. Both empty: no scan."),
    ),
    _group(
        _("Limits"),
        field.Fields(IVaultSettings).select(
            "max_upload_size_mb", "closing_grace_days", "public_session_idle_minutes"
        ),
    ),
)


class SettingsForm(group.GroupForm, form.EditForm):
    label = _("Settings of the CCAS")
    description = _(
        "The CCAS's name and address on the printed sheets, self-service opening, "
        "e-mails and text messages, limits."
    )
    enableCSRFProtection = True
    fields = field.Fields()
    groups = GROUPS

    def update(self):
        super().update()
        for fieldset in self.groups:  # secrets are never sent back to the browser
            for name in SECRETS:
                if name in fieldset.widgets:
                    fieldset.widgets[name].value = ""

    def getContent(self):
        if getattr(self, "_content", None) is None:
            self._content = SettingsContent()
        return self._content

    def save(self):
        """Store the form; ``False`` (errors shown next to their fields) when it is invalid."""
        data, errors = self.extractData()
        if errors:
            self.status = self.formErrorsMessage
            return False
        # Plone requires the mail fields, and secrets are never shown back:
        # an empty one keeps the stored value.
        for name in (*MAIL_FIELDS, *SECRETS):
            if data.get(name) in (None, ""):
                data.pop(name, None)
        for name in ("ccas_address", "ccas_hours"):
            if data.get(name):
                data[name] = "\n".join(data[name].splitlines())
        self.applyChanges(data)
        return True

    def back(self, message, kind="info"):
        IStatusMessage(self.request).addStatusMessage(message, kind)
        self.request.response.redirect(f"{self.context.absolute_url()}/{PANEL}")

    @button.buttonAndHandler(_("Save"), name="save")
    def handle_save(self, action):
        if self.save():
            self.back(_("Changes saved."))

    @button.buttonAndHandler(_("Save and send a test e-mail"), name="test_mail")
    def handle_test_mail(self, action):
        if not self.save():
            return
        sent, recipient, error = send_test_mail()
        if sent:
            self.back(
                _(
                    "A test e-mail was sent to ${address}. Check that it arrived.",
                    mapping={"address": recipient},
                )
            )
        else:
            self.back(
                _(
                    "The settings are saved, but the test e-mail could not leave: ${error}",
                    mapping={"error": error},
                ),
                "error",
            )

    @button.buttonAndHandler(_("Cancel"), name="cancel")
    def handle_cancel(self, action):
        self.back(_("Changes canceled."))


def send_test_mail():
    """``(sent, recipient, error)``: a test message to the current user (else the sender)."""
    sender = api.portal.get_registry_record("plone.email_from_address", default="") or ""
    if not sender:
        return False, "", api.portal.translate(_("fill in the sender address first."))
    user = api.user.get_current()
    recipient = (user.getProperty("email", "") or "").strip() or sender
    name = api.portal.get_registry_record("plone.email_from_name", default="") or ""
    message = EmailMessage()
    message["From"] = formataddr((name, sender))
    message["To"] = recipient
    message["Subject"] = "E-mail d'essai du coffre-fort numérique"
    message.set_content(
        "Bonjour,\n\nCet e-mail d'essai a été envoyé depuis les réglages du CCAS. "
        "Les e-mails du coffre-fort numérique partent bien.\n"
    )
    timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)
    try:
        api.portal.get_tool("MailHost").send(message, immediate=True)
    except Exception as error:  # refused, unreachable, bad login: said on the page
        logger.warning("Test e-mail not sent: %s", error)
        return False, recipient, str(error) or error.__class__.__name__
    finally:
        socket.setdefaulttimeout(timeout)
    return True, recipient, ""


class SettingsControlPanel(ControlPanelFormWrapper):
    form = SettingsForm
