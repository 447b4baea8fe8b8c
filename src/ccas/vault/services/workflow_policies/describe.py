"""Plain descriptions of policies and their options (for REST and the control panel)."""

from ccas.vault.policies import apply
from zope import schema
from zope.i18n import translate


def _text(message, request):
    return translate(message, context=request) if message else ""


def field_info(field, request, policy=None):
    """``{"name", "type", "title", "description", "default", "choices"?, "min"?, "max"?}``."""
    kind = "text"
    info = {}
    if isinstance(field, schema.Bool):
        kind = "boolean"
    elif isinstance(field, schema.Int):
        kind = "integer"
        info = {"min": field.min, "max": field.max}
    elif isinstance(field, schema.List):
        kind = "list"
        if isinstance(field.value_type, schema.Choice):
            info = {"choices": sorted(term.value for term in field.value_type.vocabulary)}
        elif getattr(policy, "option_choices", None) is not None:
            info = {"choices": list(policy.option_choices(field.getName()) or [])}
    elif isinstance(field, schema.Choice):
        kind = "choice"
        info = {"choices": [term.value for term in field.vocabulary]}
    return {
        "name": field.getName(),
        "type": kind,
        "title": _text(field.title, request),
        "description": _text(field.description, request),
        "default": field.default,
        **info,
    }


def policy_info(policy, portal, request):
    """What a client needs to show and change ``policy``."""
    active = bool(policy.is_active(portal))
    return {
        "id": policy.id,
        "title": _text(policy.title, request),
        "description": _text(policy.description, request),
        "active": active,
        "options": apply.current_options(policy, portal),
        "fields": [field_info(field, request, policy) for field in policy.options],
    }


def options_from_form(policy, form):
    """The options of ``policy`` found in a form (checkbox lists, numbers, booleans)."""
    options = {}
    for field in policy.options:
        name = field.getName()
        if isinstance(field, schema.Bool):
            options[name] = bool(form.get(name))
        elif isinstance(field, schema.List):
            value = form.get(name) or []
            if isinstance(value, str):
                value = [part.strip() for part in value.split(",") if part.strip()]
            options[name] = value
        elif name in form:
            options[name] = form[name]
    return options
