"""Procedure checklists: the papers a procedure asks for, and which of them a vault holds.

Records managers define each checklist ("Dossier RSA", "Domiciliation"…) as a
set of plone.registry records named ``ccas.vault.checklists/<id>.<field>`` (a
collection of records of :class:`IChecklist`), like document types.  Each line
of ``items`` is one paper the procedure asks for::

    cni|passeport|titre-sejour              any one of these types
    justificatif-domicile:3m                issued less than 3 months ago
    bulletin-salaire:90d|attestation-caf:3m alternatives, each with its own age

An age is a number of months (``3m``, ``3mois``) or days (``90d``, ``90j``).
Checklists are never deleted, only disabled.

:func:`checklist_status` runs as the current user: it only looks at the papers
that user may see (the owner: the whole vault; a mandated agent: the shared
space), so an agent never learns anything about the private space.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault.content.spaces import IVaultSpace
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault import IVault
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.document_types import add_months
from ccas.vault.document_types import current_language
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import is_valid_type_id
from ccas.vault.document_types import sort_key
from ccas.vault.lookup import vault_of
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.registry.interfaces import IRegistry
from urllib.parse import urlencode
from zope import schema
from zope.component import getUtility
from zope.globalrequest import getRequest
from zope.i18n import translate
from zope.i18nmessageid import Message
from zope.interface import Interface
import re


PREFIX = "ccas.vault.checklists"

# Item states, from the best to the worst.
VALID = "valid"
TOO_OLD = "too_old"
EXPIRED = "expired"
MISSING = "missing"
STATES = (VALID, TOO_OLD, EXPIRED, MISSING)

VALID_STATES = ("deposited", "certified")
COUNTED_STATES = (*VALID_STATES, "expired")  # superseded papers never count

LIST_FOLDER = "List folder contents"  # held by the owner and the consult-like mandate roles

# Checklist ids follow the same rule as document type ids: a lower-case slug.
is_valid_checklist_id = is_valid_type_id

_AGE = re.compile(r"^(\d{1,4})\s*(m|mo|mois|months?|d|j|jours?|days?)$")
_MONTHS = ("m", "mo", "mois", "month", "months")


class IChecklist(Interface):
    """One procedure checklist (the key of its records is the checklist id)."""

    title_fr = schema.TextLine(title=_("Title in French"), required=True)
    title_en = schema.TextLine(title=_("Title in English"), required=False)
    items = schema.List(
        title=_("Papers asked for"),
        description=_(
            "One paper per line, by document type identifier. Alternatives: "
            "cni|passeport|titre-sejour. Maximum age (optional): "
            "justificatif-domicile:3m (3 months) or bulletin-salaire:90d (90 days)."
        ),
        value_type=schema.TextLine(),
        required=True,
        default=[],
    )
    enabled = schema.Bool(
        title=_("Enabled"),
        description=_("A disabled checklist is no longer shown to people and agents."),
        required=False,
        default=True,
    )


class ChecklistItemError(ValueError):
    """A line of ``items`` that cannot be read; ``message`` is a translatable text."""

    def __init__(self, message: Message):
        super().__init__(translate(message, target_language="en"))
        self.message = message


@dataclass(frozen=True)
class Option:
    """One acceptable document type for an item, with its optional maximum age."""

    type_id: str
    max_age_months: int | None = None
    max_age_days: int | None = None

    def oldest_issue(self, today: date) -> date | None:
        """The earliest issue date still recent enough on ``today`` (``None``: no limit)."""
        if self.max_age_months:
            return add_months(today, -self.max_age_months)
        if self.max_age_days:
            return today - timedelta(days=self.max_age_days)
        return None

    def as_text(self) -> str:
        if self.max_age_months:
            return f"{self.type_id}:{self.max_age_months}m"
        if self.max_age_days:
            return f"{self.type_id}:{self.max_age_days}d"
        return self.type_id


@dataclass(frozen=True)
class ChecklistItem:
    """One paper a procedure asks for: any of ``options``."""

    options: tuple[Option, ...]

    @property
    def type_ids(self) -> tuple[str, ...]:
        return tuple(option.type_id for option in self.options)

    def as_text(self) -> str:
        return "|".join(option.as_text() for option in self.options)


def _parse_option(text: str, number: int) -> Option:
    type_id, _sep, age = (part.strip() for part in text.partition(":"))
    if not type_id:
        raise ChecklistItemError(
            _("Line ${line}: a document type identifier is missing.", mapping={"line": number})
        )
    if get_document_type(type_id) is None:
        raise ChecklistItemError(
            _(
                "Line ${line}: “${type}” is not a document type identifier.",
                mapping={"line": number, "type": type_id},
            )
        )
    if not _sep:
        return Option(type_id)
    match = _AGE.match(age.lower())
    if match is None or int(match.group(1)) < 1:
        raise ChecklistItemError(
            _(
                "Line ${line}: write the maximum age as a number of months (3m) or of days "
                "(90d), e.g. justificatif-domicile:3m.",
                mapping={"line": number},
            )
        )
    count = int(match.group(1))
    if match.group(2) in _MONTHS:
        return Option(type_id, max_age_months=count)
    return Option(type_id, max_age_days=count)


def parse_item(line: str, number: int = 1) -> ChecklistItem:
    """Read one line of ``items``; ``ChecklistItemError`` when it cannot be read."""
    parts = [part.strip() for part in (line or "").split("|")]
    options = tuple(_parse_option(part, number) for part in parts)
    type_ids = [option.type_id for option in options]
    if len(set(type_ids)) != len(type_ids):
        raise ChecklistItemError(
            _("Line ${line}: a document type appears twice.", mapping={"line": number})
        )
    return ChecklistItem(options)


def parse_items(lines) -> tuple[ChecklistItem, ...]:
    """Read every non-blank line; ``ChecklistItemError`` on the first bad one or when empty."""
    items = tuple(
        parse_item(line, number)
        for number, line in enumerate(lines or (), start=1)
        if line and line.strip()
    )
    if not items:
        raise ChecklistItemError(_("Add at least one paper, one per line."))
    return items


def _lenient_items(lines) -> tuple[ChecklistItem, ...]:
    """The readable lines only (a document type may have been renamed in the registry)."""
    items = []
    for number, line in enumerate(lines or (), start=1):
        try:
            items.append(parse_item(line, number))
        except ChecklistItemError:
            continue
    return tuple(items)


@dataclass(frozen=True)
class ChecklistInfo:
    """A read-only snapshot of one checklist."""

    id: str
    title_fr: str
    title_en: str
    items: tuple[ChecklistItem, ...]
    enabled: bool

    def title(self, lang: str = "fr") -> str:
        """The title in ``lang`` (French when English is missing)."""
        if lang == "en" and self.title_en:
            return self.title_en
        return self.title_fr or self.title_en or self.id


FIELDS = ("title_fr", "title_en", "items", "enabled")


def records(registry=None):
    """The mutable collection of records proxies, keyed by checklist id."""
    registry = registry if registry is not None else getUtility(IRegistry)
    return registry.collectionOfInterface(IChecklist, prefix=PREFIX, check=False)


def get_checklist(checklist_id: str, registry=None) -> ChecklistInfo | None:
    """The checklist ``checklist_id``, enabled or not; ``None`` when it does not exist."""
    if not is_valid_checklist_id(checklist_id):
        return None
    registry = registry if registry is not None else getUtility(IRegistry)
    prefix = f"{PREFIX}/{checklist_id}."
    if prefix + "title_fr" not in registry.records:
        return None
    values = {name: registry.get(prefix + name, IChecklist[name].default) for name in FIELDS}
    return ChecklistInfo(
        id=checklist_id,
        title_fr=values["title_fr"] or "",
        title_en=values["title_en"] or "",
        items=_lenient_items(values["items"]),
        enabled=values["enabled"] is not False,
    )


def list_checklists(include_disabled: bool = False, lang: str = "fr") -> list[ChecklistInfo]:
    """Every (enabled, unless ``include_disabled``) checklist, sorted by title in ``lang``."""
    registry = getUtility(IRegistry)
    found = (get_checklist(key, registry) for key in records(registry))
    checklists = [c for c in found if c is not None and (include_disabled or c.enabled)]
    return sorted(checklists, key=lambda c: (sort_key(c.title(lang)), c.id))


def _clean(values: dict) -> dict:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown checklist fields: {sorted(unknown)}")
    if "items" in values:
        values = {**values, "items": [item.as_text() for item in parse_items(values["items"])]}
    if "title_fr" in values and not (values["title_fr"] or "").strip():
        raise ValueError("A checklist needs a French title")
    return values


def add_checklist(checklist_id: str, **values) -> ChecklistInfo:
    """Register a new checklist; ``ValueError`` if the id is taken or a value is invalid."""
    if not is_valid_checklist_id(checklist_id):
        raise ValueError(f"Invalid checklist id: {checklist_id!r}")
    if get_checklist(checklist_id) is not None:
        raise ValueError(f"Checklist {checklist_id!r} already exists")
    if not values.get("title_fr"):
        raise ValueError("A checklist needs a French title")
    values = _clean({"items": [], **values})
    proxy = records().add(checklist_id)
    for name, value in values.items():
        setattr(proxy, name, value)
    return get_checklist(checklist_id)


def update_checklist(checklist_id: str, **values) -> ChecklistInfo:
    """Change some fields of a checklist; ``KeyError`` if it does not exist."""
    if get_checklist(checklist_id) is None:
        raise KeyError(checklist_id)
    values = _clean(values)
    proxy = getUtility(IRegistry).forInterface(
        IChecklist, check=False, prefix=f"{PREFIX}/{checklist_id}"
    )
    for name, value in values.items():
        setattr(proxy, name, value)
    return get_checklist(checklist_id)


def set_enabled(checklist_id: str, enabled: bool) -> ChecklistInfo:
    """Disable (or enable again) a checklist. Checklists are never deleted."""
    return update_checklist(checklist_id, enabled=bool(enabled))


# --- Status of a checklist in a vault -------------------------------------


@dataclass(frozen=True)
class ItemStatus:
    """One item of a checklist in a vault: its state and the best matching paper."""

    item: ChecklistItem
    state: str
    document: object = None


@dataclass(frozen=True)
class ChecklistStatus:
    """A checklist as seen, by the current user, in a vault or a space."""

    checklist: ChecklistInfo
    items: tuple[ItemStatus, ...]
    today: date
    counts: dict = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return all(status.state == VALID for status in self.items)

    @property
    def valid_documents(self) -> list:
        """The valid papers, each once, in the order of the items."""
        seen, documents = set(), []
        for status in self.items:
            if status.state == VALID and status.document.UID() not in seen:
                seen.add(status.document.UID())
                documents.append(status.document)
        return documents


def _can_list(obj) -> bool:
    return bool(getSecurityManager().checkPermission(LIST_FOLDER, obj))


def sees_whole_vault(context) -> bool:
    """Whether the current user sees every space of the vault ``context`` is in (the owner)."""
    vault = vault_of(context)
    return vault is not None and _can_list(vault)


def visible_spaces(context) -> list:
    """The containers whose papers the current user may see, from a vault or a space.

    The owner: the whole vault (or the space asked for).  A mandated agent with
    a consult-like role: the shared space only.  ``Unauthorized`` for anybody
    else (strangers, Manager, Site Administrator: they hold nothing in vaults).
    """
    if IVault.providedBy(context):
        if _can_list(context):
            return [obj for obj in context.objectValues() if IVaultSpace.providedBy(obj)]
        shared = context.get(SHARED_SPACE_ID)
        if shared is not None and _can_list(shared):
            return [shared]
    elif IVaultSpace.providedBy(context) and _can_list(context):
        return [context]
    raise Unauthorized("Reading the papers of this vault is not allowed")


def bundle_context(context):
    """Where the share and print views of a bundle are called: the shared space for an agent."""
    if IVault.providedBy(context) and not _can_list(context):
        return context[SHARED_SPACE_ID]
    return context


def bundle_urls(context, status) -> tuple[str | None, str | None]:
    """``(share_url, print_url)`` of the valid papers the current user may share / print.

    They link to ``@@partager`` and ``@@print-bundle`` with the papers' ``uids``;
    ``None`` when there is nothing the user may share (or print).
    """
    checker = getSecurityManager()
    valid = status.valid_documents
    base = bundle_context(context).absolute_url()
    urls = []
    for permission, view in (
        (permissions.SHARE, "@@partager"),
        (permissions.DOWNLOAD_ORIGINAL, "@@print-bundle"),
    ):
        uids = [d.UID() for d in valid if checker.checkPermission(permission, d)]
        urls.append(f"{base}/{view}?{urlencode({'uids': uids}, doseq=True)}" if uids else None)
    return tuple(urls)


def _walk(container):
    for obj in container.objectValues():
        if IVaultDocument.providedBy(obj):
            yield obj
        elif hasattr(obj, "objectValues"):
            yield from _walk(obj)


def visible_documents(context, type_ids=None) -> list:
    """Papers (not superseded) in ``context`` the current user may see the metadata of."""
    checker = getSecurityManager()
    wanted = set(type_ids) if type_ids is not None else None
    documents = []
    for container in visible_spaces(context):
        for document in _walk(container):
            if wanted is not None and document.document_type not in wanted:
                continue
            if api.content.get_state(document) not in COUNTED_STATES:
                continue
            if checker.checkPermission(permissions.VIEW_METADATA, document):
                documents.append(document)
    return documents


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def document_state(document, option: Option, today: date) -> str:
    """``valid``, ``expired`` or ``too_old`` for ``document`` against ``option`` on ``today``.

    Expired: its workflow state, or a ``valid_until`` already past (the clock may
    not have run yet).  Too old: issued before the option's age limit, or
    without an issue date when the option has an age limit.
    """
    valid_until = _as_date(document.valid_until)
    if api.content.get_state(document) == "expired" or (valid_until and valid_until < today):
        return EXPIRED
    oldest = option.oldest_issue(today)
    issued = _as_date(document.issued)
    if oldest is not None and (issued is None or issued < oldest):
        return TOO_OLD
    return VALID


def _rank(state, document):
    issued = _as_date(document.issued) or date.min
    valid_until = _as_date(document.valid_until) or date.max
    return (STATES.index(state), -issued.toordinal(), -valid_until.toordinal())


def item_status(item: ChecklistItem, documents, today: date) -> ItemStatus:
    """The best paper for ``item`` among ``documents``: valid, then too old, then expired."""
    best = None
    for document in documents:
        for option in item.options:
            if document.document_type != option.type_id:
                continue
            state = document_state(document, option, today)
            rank = _rank(state, document)
            if best is None or rank < best[0]:
                best = (rank, state, document)
    if best is None:
        return ItemStatus(item, MISSING)
    return ItemStatus(item, best[1], best[2])


def checklist_status(space_or_vault, checklist_id: str, today=None) -> ChecklistStatus:
    """The state of every item of ``checklist_id`` in a vault or a space, for the current user.

    ``KeyError`` for an unknown or disabled checklist; ``Unauthorized`` when the
    current user may not see the papers of ``space_or_vault``.
    """
    checklist = get_checklist(checklist_id)
    if checklist is None or not checklist.enabled:
        raise KeyError(checklist_id)
    today = today or clock.paris_now().date()
    wanted = {type_id for item in checklist.items for type_id in item.type_ids}
    documents = visible_documents(space_or_vault, wanted)
    items = tuple(item_status(item, documents, today) for item in checklist.items)
    counts = {state: sum(1 for s in items if s.state == state) for state in STATES}
    return ChecklistStatus(checklist, items, today, counts)


def option_label(option: Option, lang: str = "fr") -> str:
    """``Justificatif de domicile`` (the age is shown apart)."""
    info = get_document_type(option.type_id)
    return info.label(lang) if info is not None else option.type_id


def option_text(option: Option, request=None) -> str:
    """``Justificatif de domicile (de moins de 3 mois)``, in the request's language."""
    request = request if request is not None else getRequest()
    name = option_label(option, current_language(request))
    if option.max_age_months:
        message = _(
            "${type} (less than ${count} months old)",
            mapping={"type": name, "count": option.max_age_months},
        )
    elif option.max_age_days:
        message = _(
            "${type} (less than ${count} days old)",
            mapping={"type": name, "count": option.max_age_days},
        )
    else:
        return name
    return translate(message, context=request)


def item_text(item: ChecklistItem, request=None) -> str:
    """Every acceptable paper of ``item``: ``Passeport or Titre de séjour`` (``ou`` in French)."""
    request = request if request is not None else getRequest()
    separator = f" {translate(_('or'), context=request)} "
    return separator.join(option_text(option, request) for option in item.options)
