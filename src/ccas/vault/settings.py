"""Site-wide settings of the vault, kept in the Plone registry (prefix ``ccas.vault.settings``).

Records managers edit them on ``@@ccas-settings`` (``controlpanels/settings/``).  The
outgoing mail server is Plone's own (``plone.smtp_*``, ``plone.email_from_*``): it is
edited on the same page but never duplicated here.
"""

from ccas.vault import _
from io import BytesIO
from plone import api
from zope import schema
from zope.interface import Interface
from zope.schema import ValidationError


PREFIX = "ccas.vault.settings"
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
SMS_GATEWAYS = ("log", "http")


class BadLogo(ValidationError):
    __doc__ = _("The logo must be a PNG or JPEG picture.")


def logo_bytes(value):
    """The image bytes of a stored logo (``filenameb64:…;datab64:…`` or raw bytes), or ``b""``."""
    if not value:
        return b""
    if isinstance(value, str):
        value = value.encode("ascii")
    if value.startswith(b"filenameb64:"):
        from plone.formwidget.namedfile.converter import b64decode_file

        _filename, data = b64decode_file(value.decode("ascii"))
        return data
    return value


def logo_format(data):
    """``"PNG"`` or ``"JPEG"`` when ``data`` is such a picture, else ``None``."""
    from PIL import Image

    try:
        with Image.open(BytesIO(data)) as image:
            image.verify()
            return image.format if image.format in LOGO_FORMATS else None
    except Exception:
        return None


def check_logo(value):
    """Field constraint: empty, or a real PNG/JPEG picture."""
    data = logo_bytes(value)
    if data and logo_format(data) is None:
        raise BadLogo(value)
    return True


class IVaultSettings(Interface):
    """Settings a records manager may change."""

    max_upload_size_mb = schema.Int(
        title=_("Largest file that can be deposited (MB)"), default=20, min=1, max=200
    )
    closing_grace_days = schema.Int(
        title=_("Days between a closing request and the deletion of the vault"),
        default=7,
        min=0,
        max=365,
    )
    key_directory = schema.TextLine(
        title=_("Folder of the CCAS seal keys"),
        description=_(
            "Folder, outside the database, holding the keys that sign certified papers. "
            "Empty: next to the instance's var folder. The CCAS_VAULT_KEY_DIR environment "
            "variable overrides it."
        ),
        required=False,
        default="",
    )
    seal_name = schema.TextLine(
        title=_("Name on the CCAS seal"),
        description=_('For example "CCAS de Lyon". Empty: the site title.'),
        required=False,
        default="",
    )
    city_name = schema.TextLine(
        title=_("Name of the town in the watermark of shared copies"),
        description=_("Empty: the title of the site."),
        required=False,
        default="",
    )

    # --- the CCAS's identity (printed on every sheet the CCAS hands out) ---
    ccas_name = schema.TextLine(
        title=_("Name of the CCAS"),
        description=_('For example "CCAS de Villeneuve". Empty: the site title.'),
        required=False,
        default="",
    )
    ccas_address = schema.Text(title=_("Postal address of the CCAS"), required=False, default="")
    ccas_phone = schema.TextLine(title=_("Phone number of the CCAS"), required=False, default="")
    ccas_email = schema.TextLine(title=_("E-mail address of the CCAS"), required=False, default="")
    ccas_hours = schema.Text(
        title=_("Opening hours and where to get help"),
        description=_("Printed on the welcome sheet and the information notice."),
        required=False,
        default="",
    )
    ccas_logo = schema.Bytes(
        title=_("Logo of the CCAS"),
        description=_("A PNG or JPEG picture, printed at the top of the sheets."),
        required=False,
        constraint=check_logo,
    )

    # --- opening vaults ---
    self_service_opening = schema.Bool(
        title=_("People may open their vault themselves, online"),
        description=_("Off: only an agent of the CCAS opens a vault, with the person."),
        required=False,  # a required checkbox cannot be unticked in a browser (issue 20)
        default=False,
    )

    # --- text messages ---
    sms_gateway = schema.Choice(
        title=_("How text messages are sent"),
        description=_(
            '"log": written to the log only (tests, no provider). "http": sent to the '
            "SMS provider's address below."
        ),
        values=SMS_GATEWAYS,
        default="log",
    )
    sms_gateway_url = schema.TextLine(
        title=_("Address of the SMS provider (https://…)"), required=False, default=""
    )
    sms_gateway_token = schema.TextLine(
        title=_("Access key given by the SMS provider"),
        description=_("Never shown again once saved: leave empty to keep it."),
        required=False,
        default="",
    )
    sms_sender = schema.TextLine(
        title=_("Sender name shown on the phone"),
        description=_("11 letters or digits at most, for example CCASVILLE."),
        required=False,
        default="",
        max_length=11,
    )

    # --- antivirus (ClamAV clamd; both empty: no scan) ---
    clamd_socket = schema.TextLine(
        title=_("Path of the clamd socket"),
        description=_(
            "For example /var/run/clamav/clamd.ctl. When set (or the address below), every "
            "deposited file is scanned; if clamd does not answer, deposits are refused."
        ),
        required=False,
        default="",
    )
    clamd_address = schema.TextLine(
        title=_("Address of clamd on the network (host:port)"),
        description=_("Used when the socket path is empty, for example 127.0.0.1:3310."),
        required=False,
        default="",
    )
    clamd_timeout_seconds = schema.Int(
        title=_("Seconds to wait for the antivirus"), default=30, min=1, max=600
    )

    # --- the person's session (decision 0026) ---
    public_session_idle_minutes = schema.Int(
        title=_("Minutes without activity before a person is logged out of their vault"),
        description=_("On the person's pages (/mon-coffre) only. 15 minutes is advised."),
        default=15,
        min=1,
        max=240,
    )


def get_setting(name):
    """The value of one setting (its default when the record is missing)."""
    return api.portal.get_registry_record(f"{PREFIX}.{name}", default=IVaultSettings[name].default)


def _lines(name):
    return [line.strip() for line in (get_setting(name) or "").splitlines() if line.strip()]


def ccas_identity():
    """The CCAS as printed on its sheets: name, address lines, phone, e-mail, hours, logo bytes."""
    name = (get_setting("ccas_name") or "").strip() or (get_setting("seal_name") or "").strip()
    return {
        "name": name or api.portal.get().Title() or "CCAS",
        "address": _lines("ccas_address"),
        "phone": (get_setting("ccas_phone") or "").strip(),
        "email": (get_setting("ccas_email") or "").strip(),
        "hours": _lines("ccas_hours"),
        "logo": logo_bytes(get_setting("ccas_logo")),
    }
