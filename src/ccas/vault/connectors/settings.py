"""The connectors of the CCAS: which ones exist, which are switched on, their settings.

A connector is a named utility providing :class:`~ccas.vault.connectors.interfaces.IConnector`.
Its state for the CCAS lives in the Plone registry, one record per value, created on first
write (no profile record to keep in step with the ZCML)::

    ccas.vault.connectors.<name>.enabled       Bool
    ccas.vault.connectors.<name>.<setting>     TextLine

A secret setting (:attr:`SettingField.secret`) is stored as ``enc:<base64>``: AES-256-GCM under
the site's ``connectors`` data key, itself wrapped by the master key outside the ZODB
(:mod:`ccas.vault.encryption.keys`, decision 0025), like the papers: a copy of ``Data.fs``
alone opens no token.
"""

from ccas.vault.connectors.interfaces import IConnector
from ccas.vault.encryption import blobs
from ccas.vault.encryption import keys
from plone.registry import field
from plone.registry.interfaces import IRegistry
from plone.registry.record import Record
from zope.component import getUtilitiesFor
from zope.component import getUtility
from zope.component import queryUtility
import base64


PREFIX = "ccas.vault.connectors"
KEY_ID = "connectors"
SECRET_MARK = "enc:"


def connectors():
    """Every registered connector, sorted by name: ``[(name, utility)]``."""
    return sorted(getUtilitiesFor(IConnector), key=lambda pair: pair[0])


def get_connector(name):
    """The connector ``name`` or ``None``."""
    return queryUtility(IConnector, name=name or "")


def _registry():
    return getUtility(IRegistry)


def _key(name, setting):
    return f"{PREFIX}.{name}.{setting}"


def _get(name, setting, default=None):
    record = _registry().records.get(_key(name, setting))
    return default if record is None or record.value is None else record.value


def _set(name, setting, value, kind):
    registry = _registry()
    key = _key(name, setting)
    if key not in registry.records:
        registry.records[key] = Record(kind, value)
    else:
        registry.records[key].value = value


def is_enabled(name):
    return bool(_get(name, "enabled", False)) and get_connector(name) is not None


def set_enabled(name, enabled):
    _set(name, "enabled", bool(enabled), field.Bool(title="enabled"))


def enabled_connectors(kind=None):
    """The connectors switched on for the CCAS (of ``kind`` when given)."""
    return [
        (name, connector)
        for name, connector in connectors()
        if is_enabled(name) and (kind is None or connector.kind == kind)
    ]


def _key_id():
    store = keys.registry(create=True)
    if KEY_ID not in store:
        keys.new_data_key(KEY_ID)
    return KEY_ID


def encrypt_secret(value):
    sealed = blobs.encrypt(value.encode("utf-8"), _key_id())
    return SECRET_MARK + base64.b64encode(sealed).decode("ascii")


def decrypt_secret(stored):
    if not stored.startswith(SECRET_MARK):
        return stored  # never stored this way; kept readable rather than lost
    sealed = base64.b64decode(stored[len(SECRET_MARK) :])
    return blobs.decrypt(sealed, KEY_ID, where="connector setting").decode("utf-8")


def stored_value(name, setting):
    """The registry's text for one setting (a secret stays encrypted): for tests, checks."""
    return _get(name, setting, "")


def get_settings(name):
    """The settings of connector ``name`` as a dict, secrets decrypted, defaults filled."""
    connector = get_connector(name)
    if connector is None:
        return {}
    values = {}
    for setting in connector.settings_fields:
        value = _get(name, setting.name, "") or ""
        if value and setting.secret:
            value = decrypt_secret(value)
        values[setting.name] = value or setting.default
    return values


def has_secret(name, setting):
    return bool(_get(name, setting, ""))


def set_settings(name, values):
    """Store the settings in ``values`` (unknown keys ignored; a secret left empty is kept)."""
    connector = get_connector(name)
    if connector is None:
        raise KeyError(name)
    for setting in connector.settings_fields:
        if setting.name not in values:
            continue
        value = (values[setting.name] or "").strip()
        if setting.secret:
            if not value:
                continue  # the form never shows a secret back: empty means "unchanged"
            value = encrypt_secret(value)
        _set(name, setting.name, value, field.TextLine(title=setting.name, required=False))


def missing_settings(name):
    """Labels of the required settings still empty (the connector cannot run without them)."""
    connector = get_connector(name)
    values = get_settings(name)
    return [
        setting.label_fr
        for setting in connector.settings_fields
        if setting.required and not values.get(setting.name)
    ]
