"""Export and import the whole configuration of a CCAS as one JSON file.

The file holds the workflow policies (on/off and options), the settings that
are not tied to one server or one CCAS (``max_upload_size_mb``,
``closing_grace_days``), the document types, the organisations and the
procedure checklists.  The seal's key folder, the seal's name and the town's
name stay on each site.

Importing checks the whole file first and lists every error (English and
French, with its place in the file): when one is found nothing is changed.
Otherwise it adds or updates each entry (entries missing from the file are
left as they are: registries are disabled, never deleted), switches the
policies on or off through :func:`ccas.vault.policies.apply.change` (guarded
and traced), and traces the import in the configuration history.
"""

from ccas.vault import checklists
from ccas.vault import document_types
from ccas.vault import organisations
from ccas.vault import permissions
from ccas.vault.policies import apply
from ccas.vault.policies import registry
from ccas.vault.policies.base import clean_options
from ccas.vault.policies.errors import PolicyError
from ccas.vault.security import check_permission
from ccas.vault.settings import get_setting
from ccas.vault.settings import IVaultSettings
from ccas.vault.settings import PREFIX as SETTINGS_PREFIX
from datetime import datetime
from datetime import UTC
from plone import api
from zope.i18n import translate
from zope.schema.interfaces import ValidationError
import transaction


FORMAT = "ccas.vault.configuration"
VERSION = 1
SETTINGS = ("max_upload_size_mb", "closing_grace_days")
SECTIONS = (
    "format",
    "version",
    "exported_at",
    "policies",
    "settings",
    "document_types",
    "organisations",
    "checklists",
)

NOT_AN_OBJECT = ("Must be an object.", "Doit être un objet JSON.")
UNKNOWN_KEY = ("Unknown key.", "Clé inconnue.")
BAD_ID = ("Invalid identifier.", "Identifiant non valable (minuscules, chiffres et tirets).")
BAD_VALUE = ("This value is not allowed.", "Cette valeur n'est pas acceptée.")
MISSING = ("This value is required.", "Cette valeur est obligatoire.")
UNKNOWN_POLICY = ("No such policy on this site.", "Cette règle n'existe pas sur ce site.")


def _policy_state(policy, portal):
    return {
        "active": bool(policy.is_active(portal)),
        "options": apply.current_options(policy, portal),
    }


def export_configuration(portal=None):
    """The configuration as a JSON-ready dict."""
    portal = portal if portal is not None else api.portal.get()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "policies": {p.id: _policy_state(p, portal) for p in registry.list_policies()},
        "settings": {name: get_setting(name) for name in SETTINGS},
        "document_types": {
            t.id: {
                "label_fr": t.label_fr,
                "label_en": t.label_en,
                "category": t.category,
                "validity_months": t.validity_months,
                "reminder_days": list(t.reminder_days),
                "health": t.health,
                "retention_days_after_closure": t.retention_days_after_closure,
                "enabled": t.enabled,
            }
            for t in document_types.list_document_types(include_disabled=True)
        },
        "organisations": {
            o.id: {
                "title": o.title,
                "kind": o.kind,
                "may_certify": o.may_certify,
                "group_id": o.group_id,
                "enabled": o.enabled,
            }
            for o in organisations.list_organisations(include_disabled=True)
        },
        "checklists": {
            c.id: {
                "title_fr": c.title_fr,
                "title_en": c.title_en,
                "items": [item.as_text() for item in c.items],
                "enabled": c.enabled,
            }
            for c in checklists.list_checklists(include_disabled=True)
        },
    }


# --- validation ---------------------------------------------------------------------


def _check_entries(data, section, schema_, valid_id, errors, required):
    """Validated ``{id: values}`` of one registry section; errors keyed ``section/id/field``."""
    entries = data.get(section, {})
    if not isinstance(entries, dict):
        errors[section] = NOT_AN_OBJECT
        return {}
    cleaned = {}
    for entry_id, values in entries.items():
        place = f"{section}/{entry_id}"
        if not valid_id(entry_id):
            errors[place] = BAD_ID
            continue
        if not isinstance(values, dict):
            errors[place] = NOT_AN_OBJECT
            continue
        entry = {}
        for name, value in values.items():
            if name not in schema_:
                errors[f"{place}/{name}"] = UNKNOWN_KEY
                continue
            field = schema_[name].bind(None)
            if isinstance(value, list):
                value = tuple(value) if field._type is tuple else value
            if value is None and not field.required:
                entry[name] = None
                continue
            if isinstance(value, str) and field._type is bytes:
                value = value.encode("ascii", "replace")
            try:
                if field._type is str and isinstance(value, str):
                    value = value.strip()
                field.validate(value)
            except (ValidationError, ValueError, TypeError):
                errors[f"{place}/{name}"] = BAD_VALUE
                continue
            entry[name] = value
        for name in required:
            if name not in entry and name not in values:
                errors[f"{place}/{name}"] = MISSING
        cleaned[entry_id] = entry
    return cleaned


def _check_checklist_items(entries, errors):
    for entry_id, values in entries.items():
        if "items" in values:
            try:
                checklists.parse_items(values["items"])
            except ValueError as error:
                message = getattr(error, "message", None)
                french = translate(message, target_language="fr") if message else str(error)
                errors[f"checklists/{entry_id}/items"] = (str(error), french)


def _check_policies(data, errors):
    entries = data.get("policies", {})
    if not isinstance(entries, dict):
        errors["policies"] = NOT_AN_OBJECT
        return {}
    cleaned = {}
    for policy_id, state in entries.items():
        place = f"policies/{policy_id}"
        policy = registry.get_policy(policy_id)
        if policy is None:
            errors[place] = UNKNOWN_POLICY
            continue
        if not isinstance(state, dict) or not isinstance(state.get("active"), bool):
            errors[place] = (
                'Must be {"active": true or false, "options": {...}}.',
                'Doit être {"active": true ou false, "options": {...}}.',
            )
            continue
        options = state.get("options") or {}
        if state["active"]:
            try:
                validate = getattr(policy, "validate", None)
                options = validate(options) if validate else clean_options(policy.options, options)
            except PolicyError as error:
                for name, reason in (error.fields or {"": (str(error), error.message_fr)}).items():
                    errors[f"{place}/options/{name}".rstrip("/")] = reason
                continue
        cleaned[policy_id] = (state["active"], options)
    return cleaned


def validate_configuration(data):
    """The cleaned content of ``data``; :class:`PolicyError` listing every error otherwise."""
    errors = {}
    if not isinstance(data, dict):
        raise _invalid({"": NOT_AN_OBJECT})
    if data.get("format") != FORMAT:
        errors["format"] = (f'Must be "{FORMAT}".', f'Doit valoir "{FORMAT}".')
    if data.get("version") != VERSION:
        errors["version"] = (f"Must be {VERSION}.", f"Doit valoir {VERSION}.")
    for key in data:
        if key not in SECTIONS:
            errors[key] = UNKNOWN_KEY
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        errors["settings"] = NOT_AN_OBJECT
        settings = {}
    for name, value in settings.items():
        if name not in SETTINGS:
            errors[f"settings/{name}"] = UNKNOWN_KEY
            continue
        try:
            if isinstance(value, bool):
                raise ValidationError(value)
            IVaultSettings[name].bind(None).validate(value)
        except (ValidationError, ValueError, TypeError):
            errors[f"settings/{name}"] = BAD_VALUE
    cleaned = {
        "settings": {k: v for k, v in settings.items() if k in SETTINGS},
        "document_types": _check_entries(
            data,
            "document_types",
            document_types.IDocumentType,
            document_types.is_valid_type_id,
            errors,
            ("label_fr",),
        ),
        "organisations": _check_entries(
            data,
            "organisations",
            organisations.IOrganisation,
            organisations.is_valid_organisation_id,
            errors,
            ("title",),
        ),
        "checklists": _check_entries(
            data,
            "checklists",
            checklists.IChecklist,
            checklists.is_valid_checklist_id,
            errors,
            ("title_fr",),
        ),
        "policies": _check_policies(data, errors),
    }
    _check_checklist_items(cleaned["checklists"], errors)
    if errors:
        raise _invalid(errors)
    return cleaned


def _invalid(errors):
    return PolicyError(
        f"The configuration file is not valid ({len(errors)} errors): nothing was changed",
        f"Le fichier de configuration n'est pas valable ({len(errors)} erreur(s)). "
        "Rien n'a été changé. Corrigez-le, puis recommencez.",
        "invalid_configuration",
        errors,
    )


# --- import -------------------------------------------------------------------------


def _upsert(get, add, update, entries):
    for entry_id, values in entries.items():
        values = dict(values)
        if get(entry_id) is None:
            add(entry_id, **values)
        elif values:
            update(entry_id, **values)


def import_configuration(data, portal=None):
    """Check ``data`` (an exported configuration) and put it in force; return a summary.

    Needs ``ccas.vault: Manage settings``.  Raises :class:`PolicyError` when
    the file is not valid, or when a policy is refused: nothing is changed then.
    """
    portal = portal if portal is not None else api.portal.get()
    check_permission(permissions.MANAGE_SETTINGS, portal)
    cleaned = validate_configuration(data)
    savepoint = transaction.savepoint()
    try:
        for name, value in cleaned["settings"].items():
            api.portal.set_registry_record(f"{SETTINGS_PREFIX}.{name}", value)
        _upsert(
            document_types.get_document_type,
            document_types.add_document_type,
            document_types.update_document_type,
            cleaned["document_types"],
        )
        _upsert(
            organisations.get_organisation,
            organisations.add_organisation,
            organisations.update_organisation,
            cleaned["organisations"],
        )
        _upsert(
            checklists.get_checklist,
            checklists.add_checklist,
            checklists.update_checklist,
            cleaned["checklists"],
        )
        # certifying-organisations last: it re-reads the organisations' flags
        for policy_id, (active, options) in sorted(
            cleaned["policies"].items(), key=lambda item: item[0] == "certifying-organisations"
        ):
            policy = registry.get_policy(policy_id)
            if active or policy.is_active(portal):
                apply.change(policy_id, active, options, portal=portal)
    except BaseException:
        savepoint.rollback()
        raise
    summary = {
        "settings": len(cleaned["settings"]),
        "document_types": len(cleaned["document_types"]),
        "organisations": len(cleaned["organisations"]),
        "checklists": len(cleaned["checklists"]),
        "policies": len(cleaned["policies"]),
    }
    apply.trace("configuration_imported", summary, portal=portal)
    return summary
