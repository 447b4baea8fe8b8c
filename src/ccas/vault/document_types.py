"""The registry of document types that records managers configure.

Each type is a set of plone.registry records named
``ccas.vault.document_types/<type id>.<field>`` (a collection of records of
:class:`IDocumentType`). Types are never deleted, only disabled: existing
documents keep referring to them.
"""

from calendar import monthrange
from ccas.vault import _
from dataclasses import dataclass
from dataclasses import fields
from datetime import date
from plone.registry.interfaces import IRegistry
from zope import schema
from zope.component import getUtility
from zope.globalrequest import getRequest
from zope.interface import Interface
import re
import unicodedata


PREFIX = "ccas.vault.document_types"

CATEGORIES = (
    "identity",
    "health",
    "family",
    "income",
    "housing",
    "work",
    "bank",
    "education",
    "personal",
    "other",
)

LANGUAGES = ("fr", "en")

_TYPE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def is_valid_type_id(value) -> bool:
    """Tell whether ``value`` can be a type id: a lower-case ASCII slug (``titre-sejour``)."""
    return isinstance(value, str) and len(value) <= 50 and bool(_TYPE_ID.match(value))


class IDocumentType(Interface):
    """One type of paper (the key of its records is the type id)."""

    label_fr = schema.TextLine(title=_("Label in French"), required=True)
    label_en = schema.TextLine(title=_("Label in English"), required=True)
    category = schema.Choice(
        title=_("Category"), vocabulary="ccas.vault.DocumentCategories", default="other"
    )
    validity_months = schema.Int(
        title=_("Validity (months)"),
        description=_("Leave empty when this paper does not expire."),
        required=False,
        min=1,
    )
    reminder_days = schema.List(
        title=_("Reminders (days before expiry)"),
        description=_("One number per line, e.g. 30 then 7."),
        value_type=schema.Int(min=1),
        required=False,
        default=[],
    )
    health = schema.Bool(
        title=_("Health data"),
        description=_(
            "The person is warned that the vault is not a certified health-data host "
            "and must confirm before depositing this paper."
        ),
        required=False,
        default=False,
    )
    retention_days_after_closure = schema.Int(
        title=_("Retention after closure (days)"),
        description=_("How long this paper is kept once the vault is closed; 0: deleted."),
        required=False,
        default=0,
        min=0,
    )
    enabled = schema.Bool(
        title=_("Enabled"),
        description=_("A disabled type can no longer be chosen; documents keep it."),
        required=False,
        default=True,
    )


@dataclass(frozen=True)
class DocumentTypeInfo:
    """A read-only snapshot of one document type."""

    id: str
    label_fr: str
    label_en: str
    category: str
    validity_months: int | None
    reminder_days: tuple[int, ...]
    health: bool
    retention_days_after_closure: int
    enabled: bool

    def label(self, lang: str = "fr") -> str:
        """The label in ``lang`` (French when English is missing)."""
        if lang == "en" and self.label_en:
            return self.label_en
        return self.label_fr or self.label_en or self.id


FIELDS = tuple(f.name for f in fields(DocumentTypeInfo) if f.name != "id")


def records(registry=None):
    """The mutable collection of records proxies, keyed by type id."""
    registry = registry if registry is not None else getUtility(IRegistry)
    return registry.collectionOfInterface(IDocumentType, prefix=PREFIX, check=False)


def _record_prefix(type_id: str) -> str:
    return f"{PREFIX}/{type_id}."


def get_document_type(type_id: str, registry=None) -> DocumentTypeInfo | None:
    """The type ``type_id``, enabled or not; ``None`` when it does not exist."""
    if not is_valid_type_id(type_id):
        return None
    registry = registry if registry is not None else getUtility(IRegistry)
    prefix = _record_prefix(type_id)
    if prefix + "label_fr" not in registry.records:
        return None
    values = {name: registry.get(prefix + name, IDocumentType[name].default) for name in FIELDS}
    return DocumentTypeInfo(
        id=type_id,
        label_fr=values["label_fr"] or "",
        label_en=values["label_en"] or "",
        category=values["category"] or "other",
        validity_months=values["validity_months"] or None,
        reminder_days=tuple(sorted(set(values["reminder_days"] or ()), reverse=True)),
        health=bool(values["health"]),
        retention_days_after_closure=values["retention_days_after_closure"] or 0,
        enabled=values["enabled"] is not False,
    )


def sort_key(text: str) -> str:
    """Case- and accent-insensitive sort key (``Écran`` sorts with ``ecran``)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def list_document_types(include_disabled: bool = False, registry=None) -> list[DocumentTypeInfo]:
    """Every (enabled, unless ``include_disabled``) type, sorted by French label."""
    registry = registry if registry is not None else getUtility(IRegistry)
    found = (get_document_type(key, registry) for key in records(registry))
    types = [t for t in found if t is not None and (include_disabled or t.enabled)]
    return sorted(types, key=lambda t: (sort_key(t.label_fr), t.id))


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months``, the day clamped to the end of the month (Jan 31 + 1 → Feb 28)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def validity_end(type_id: str, issued: date | None) -> date | None:
    """Default end of validity of a paper of ``type_id`` issued on ``issued``.

    ``None`` when the type is unknown, has no validity, or the issue date is unknown.
    """
    info = get_document_type(type_id)
    if info is None or not info.validity_months or issued is None:
        return None
    return add_months(issued, info.validity_months)


def current_language(request=None) -> str:
    """``en`` when the negotiated language of the request is English, ``fr`` otherwise."""
    request = request if request is not None else getRequest()
    lang = request.get("LANGUAGE", "") if request is not None else ""
    return "en" if str(lang or "").lower().startswith("en") else "fr"


def label(type_id: str, lang: str | None = None) -> str:
    """Label of ``type_id`` in ``lang`` (default: the request's); the id itself if unknown."""
    info = get_document_type(type_id)
    if info is None:
        return type_id
    return info.label(lang or current_language())


def add_document_type(type_id: str, **values) -> DocumentTypeInfo:
    """Register a new type; ``ValueError`` if the id is invalid or already taken."""
    if not is_valid_type_id(type_id):
        raise ValueError(f"Invalid document type id: {type_id!r}")
    if get_document_type(type_id) is not None:
        raise ValueError(f"Document type {type_id!r} already exists")
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown document type fields: {sorted(unknown)}")
    proxy = records().add(type_id)
    for name, value in values.items():
        setattr(proxy, name, value)
    return get_document_type(type_id)


def update_document_type(type_id: str, **values) -> DocumentTypeInfo:
    """Change some fields of an existing type; ``KeyError`` if it does not exist."""
    if get_document_type(type_id) is None:
        raise KeyError(type_id)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown document type fields: {sorted(unknown)}")
    registry = getUtility(IRegistry)
    proxy = registry.forInterface(IDocumentType, check=False, prefix=f"{PREFIX}/{type_id}")
    for name, value in values.items():
        setattr(proxy, name, value)
    return get_document_type(type_id)


def set_enabled(type_id: str, enabled: bool) -> DocumentTypeInfo:
    """Disable (or enable again) a type. Types are never deleted."""
    return update_document_type(type_id, enabled=bool(enabled))
