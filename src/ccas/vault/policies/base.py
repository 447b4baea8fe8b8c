"""A policy whose options live in the registry: validation, state, preview skeleton."""

from ccas.vault.policies import registry
from ccas.vault.policies.errors import PolicyError
from ccas.vault.policies.interfaces import IWorkflowPolicy
from zope import schema
from zope.interface import implementer
from zope.schema.interfaces import ValidationError


BAD_VALUE = ("This value is not allowed.", "Cette valeur n'est pas acceptée.")
UNKNOWN_OPTION = ("Unknown option.", "Cette option n'existe pas.")


def _coerce(field, value):
    """``value`` (JSON or form text) as the type ``field`` expects; ``ValueError`` if it cannot."""
    if isinstance(field, schema.Bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "on", "yes", "oui"):
            return True
        if isinstance(value, str) and value.strip().lower() in (
            "false",
            "0",
            "off",
            "no",
            "non",
            "",
        ):
            return False
        raise ValueError(value)
    if isinstance(field, schema.Int):
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise ValueError(value)
    if isinstance(field, schema.List):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError(value)
        return [_coerce(field.value_type, item) for item in value]
    if isinstance(field, schema.Choice | schema.TextLine):
        if not isinstance(value, str):
            raise ValueError(value)
        return value.strip()
    return value


def clean_options(fields, values, defaults=None):
    """Validated options: ``defaults`` (or each field's default) updated by ``values``.

    Raises :class:`PolicyError` naming every bad option (nothing is stored).
    """
    if not isinstance(values, dict):
        raise PolicyError(
            "Options must be an object", "Les options doivent être un objet JSON.", "bad_options"
        )
    names = {field.getName(): field for field in fields}
    errors = {name: UNKNOWN_OPTION for name in values if name not in names}
    options = {}
    for name, field in names.items():
        base = (defaults or {}).get(name, field.default)
        value = values.get(name, base)
        try:
            value = _coerce(field, value)
            if isinstance(value, list):
                value = list(dict.fromkeys(value))
            field.bind(None).validate(value)
        except (ValueError, ValidationError):
            errors[name] = BAD_VALUE
            continue
        options[name] = value
    if errors:
        raise PolicyError(
            "Some options are not valid: " + ", ".join(sorted(errors)),
            "Certaines options ne sont pas valables. Corrigez-les, puis recommencez.",
            "bad_options",
            errors,
        )
    return options


@implementer(IWorkflowPolicy)
class RegistryPolicy:
    """Base class: subclasses set the attributes and write ``_apply`` / ``_revert``."""

    id = None
    title = None
    description = None
    options = ()

    def defaults(self):
        return {field.getName(): field.default for field in self.options}

    def current_options(self, portal):
        """The options in force (the defaults when the policy is off)."""
        active, options = registry.stored_state(self.id)
        merged = self.defaults()
        if active:
            merged.update({k: v for k, v in options.items() if k in merged})
        return merged

    def validate(self, options):
        """Clean and check ``options``; subclasses add cross-field checks."""
        return clean_options(self.options, options)

    def is_active(self, portal):
        return registry.stored_state(self.id)[0]

    def apply(self, portal, **options):
        options = self.validate(options)
        self._apply(portal, options)
        registry.store_state(self.id, True, options)

    def revert(self, portal):
        self._revert(portal)
        registry.store_state(self.id, False, {})

    def reverted_options(self, portal):
        """The options in force once the policy is off."""
        return self.defaults()

    def preview(self, portal, active, **options):
        options = self.validate(options) if active else self.reverted_options(portal)
        before = self.current_options(portal)
        settings = {
            name: (before.get(name), options.get(name))
            for name in options
            if before.get(name) != options.get(name)
        }
        result = {
            "states": [],
            "transitions": [],
            "permissions": [],
            "objects": 0,
            "settings": settings,
        }
        result.update(self._preview(portal, active, options))
        return result

    # --- for subclasses ----------------------------------------------------

    def _apply(self, portal, options):
        """Put ``options`` in force (the state is recorded afterwards)."""

    def _revert(self, portal):
        """Bring back the default rules."""

    def _preview(self, portal, active, options):
        """Extra preview keys (``objects``, ``transitions``…)."""
        return {}
