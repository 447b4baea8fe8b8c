"""The registry of organisations whose agents may hold mandates.

Each organisation (the CCAS itself, the CAF, the Département, an association…)
is a set of plone.registry records named
``ccas.vault.organisations/<organisation id>.<field>`` (a collection of records
of :class:`IOrganisation`). Its agents are the members of its Plone group;
``may_certify`` tells whether they may certify the documents they deposit.
Organisations are never deleted, only disabled: mandates keep referring to them.
"""

from ccas.vault import _
from ccas.vault.document_types import is_valid_type_id
from ccas.vault.document_types import sort_key
from dataclasses import dataclass
from dataclasses import fields
from plone import api
from plone.api.exc import UserNotFoundError
from plone.registry.interfaces import IRegistry
from zope import schema
from zope.component import getUtility
from zope.interface import Interface


PREFIX = "ccas.vault.organisations"

KINDS = (
    "ccas",
    "caf",
    "cpam",
    "departement",
    "france-travail",
    "association",
    "other",
)

# Organisation ids follow the same rule as document type ids: a lower-case slug.
is_valid_organisation_id = is_valid_type_id


class IOrganisation(Interface):
    """One organisation (the key of its records is the organisation id)."""

    title = schema.TextLine(title=_("Name"), required=True)
    kind = schema.Choice(
        title=_("Kind of organisation"),
        vocabulary="ccas.vault.OrganisationKinds",
        default="other",
    )
    may_certify = schema.Bool(
        title=_("Agents may certify documents"),
        description=_(
            "When checked, the agents of this organisation may certify the documents "
            "they deposit in a vault under a mandate."
        ),
        required=False,
        default=False,
    )
    group_id = schema.ASCIILine(
        title=_("Group of agents"),
        description=_(
            "Identifier of the Plone group whose members are this organisation's agents."
        ),
        required=False,
    )
    enabled = schema.Bool(
        title=_("Enabled"),
        description=_("A disabled organisation can no longer be chosen; mandates keep it."),
        required=False,
        default=True,
    )


@dataclass(frozen=True)
class OrganisationInfo:
    """A read-only snapshot of one organisation."""

    id: str
    title: str
    kind: str
    may_certify: bool
    group_id: str | None
    enabled: bool


FIELDS = tuple(f.name for f in fields(OrganisationInfo) if f.name != "id")


def records(registry=None):
    """The mutable collection of records proxies, keyed by organisation id."""
    registry = registry if registry is not None else getUtility(IRegistry)
    return registry.collectionOfInterface(IOrganisation, prefix=PREFIX, check=False)


def _record_prefix(organisation_id: str) -> str:
    return f"{PREFIX}/{organisation_id}."


def get_organisation(organisation_id: str, registry=None) -> OrganisationInfo | None:
    """The organisation ``organisation_id``, enabled or not; ``None`` when unknown."""
    if not is_valid_organisation_id(organisation_id):
        return None
    registry = registry if registry is not None else getUtility(IRegistry)
    prefix = _record_prefix(organisation_id)
    if prefix + "title" not in registry.records:
        return None
    values = {name: registry.get(prefix + name, IOrganisation[name].default) for name in FIELDS}
    return OrganisationInfo(
        id=organisation_id,
        title=values["title"] or organisation_id,
        kind=values["kind"] or "other",
        may_certify=bool(values["may_certify"]),
        group_id=values["group_id"] or None,
        enabled=values["enabled"] is not False,
    )


def list_organisations(include_disabled: bool = False, registry=None) -> list[OrganisationInfo]:
    """Every (enabled, unless ``include_disabled``) organisation, sorted by title."""
    registry = registry if registry is not None else getUtility(IRegistry)
    found = (get_organisation(key, registry) for key in records(registry))
    organisations = [o for o in found if o is not None and (include_disabled or o.enabled)]
    return sorted(organisations, key=lambda o: (sort_key(o.title), o.id))


def _group_ids(user) -> set[str]:
    """Ids of the groups ``user`` (a user object or a user name) belongs to."""
    if user is None:
        return set()
    try:
        if isinstance(user, str):
            groups = api.group.get_groups(username=user)
        else:
            groups = api.group.get_groups(user=user)
    except UserNotFoundError:
        return set()
    return {group.getId() for group in groups if group is not None}


def organisation_of(user) -> OrganisationInfo | None:
    """The first enabled organisation (by title) whose group ``user`` belongs to.

    ``user`` is a user object or a user name; ``None`` when the user is unknown,
    anonymous or in no organisation's group.
    """
    group_ids = _group_ids(user)
    if not group_ids:
        return None
    for info in list_organisations():
        if info.group_id and info.group_id in group_ids:
            return info
    return None


def _check_fields(values):
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown organisation fields: {sorted(unknown)}")


def add_organisation(organisation_id: str, **values) -> OrganisationInfo:
    """Register a new organisation; ``ValueError`` if the id is invalid or already taken."""
    if not is_valid_organisation_id(organisation_id):
        raise ValueError(f"Invalid organisation id: {organisation_id!r}")
    if get_organisation(organisation_id) is not None:
        raise ValueError(f"Organisation {organisation_id!r} already exists")
    _check_fields(values)
    proxy = records().add(organisation_id)
    for name, value in values.items():
        setattr(proxy, name, value)
    return get_organisation(organisation_id)


def update_organisation(organisation_id: str, **values) -> OrganisationInfo:
    """Change some fields of an existing organisation; ``KeyError`` if it does not exist."""
    if get_organisation(organisation_id) is None:
        raise KeyError(organisation_id)
    _check_fields(values)
    registry = getUtility(IRegistry)
    proxy = registry.forInterface(IOrganisation, check=False, prefix=f"{PREFIX}/{organisation_id}")
    for name, value in values.items():
        setattr(proxy, name, value)
    return get_organisation(organisation_id)


def set_enabled(organisation_id: str, enabled: bool) -> OrganisationInfo:
    """Disable (or enable again) an organisation. Organisations are never deleted."""
    return update_organisation(organisation_id, enabled=bool(enabled))
