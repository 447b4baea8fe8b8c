"""The person's consent to a connector, kept in their vault (who, when, which connector, data).

Stored in the vault's annotations as ``connector name -> record``; a record is never deleted:
revoking it sets ``revoked_at`` / ``revoked_by`` (the history says it too).  Only the person
whose vault it is gives or revokes a consent (from the skin); without an active consent a
connector that :attr:`needs_consent` refuses (:class:`ConsentMissing`).
"""

from AccessControl import Unauthorized
from BTrees.OOBTree import OOBTree
from ccas.vault.connectors.interfaces import ConsentMissing
from ccas.vault.connectors.interfaces import PersonDataInvalid
from ccas.vault.history import api as history
from ccas.vault.sharing import links
from datetime import datetime
from datetime import UTC
from persistent.mapping import PersistentMapping
from plone import api
from zope.annotation.interfaces import IAnnotations
import re


ANNOTATION = "ccas.vault.connectors.consents"
SCHEDULED = "ccas.vault.connectors.scheduled"  # on the portal: vault id -> connector names


def scheduled_index(create=False):
    """``vault id -> tuple of connector names`` the person agreed to have refreshed."""
    annotations = IAnnotations(api.portal.get())
    index = annotations.get(SCHEDULED)
    if index is None and create:
        index = annotations[SCHEDULED] = OOBTree()
    return index if index is not None else {}


def _schedule(vault, name, on):
    index = scheduled_index(create=True)
    names = set(index.get(vault.getId(), ()))
    names = names | {name} if on else names - {name}
    if names:
        index[vault.getId()] = tuple(sorted(names))
    elif vault.getId() in index:
        del index[vault.getId()]


def _store(vault, create=False):
    annotations = IAnnotations(vault)
    store = annotations.get(ANNOTATION)
    if store is None and create:
        store = annotations[ANNOTATION] = PersistentMapping()
    return store


def notice(connector):
    """The information notice of ``connector``: what is fetched, from whom (French)."""
    return (
        f"Avec votre accord, le CCAS demande {connector.fetched_fr} "
        f"à {connector.source_fr}. Le papier obtenu est rangé dans votre espace partagé, "
        "certifié par le CCAS, avec la réponse reçue. Vous pouvez retirer votre accord à tout "
        "moment dans « Qui a accès » : plus rien n'est demandé ensuite."
    )


def validate_person(connector, values):
    """The person's values for ``connector``'s fields, cleaned; ``PersonDataInvalid`` else."""
    cleaned = {}
    for person_field in connector.person_fields:
        value = " ".join(str(values.get(person_field.name) or "").split()).upper()
        if not value:
            if person_field.required:
                raise PersonDataInvalid(
                    f"{person_field.name} is missing",
                    f"Indiquez : {person_field.label_fr}.",
                    code=f"missing_{person_field.name}",
                )
            cleaned[person_field.name] = ""
            continue
        if person_field.pattern and not re.fullmatch(person_field.pattern, value):
            message = f"« {person_field.label_fr} » n'a pas la bonne forme. {person_field.help_fr}"
            raise PersonDataInvalid(
                f"{person_field.name} does not match {person_field.pattern}",
                message.strip(),
                code=f"invalid_{person_field.name}",
            )
        cleaned[person_field.name] = value[:200]
    return cleaned


def consent_of(vault, name):
    """The active consent record of ``name`` in ``vault``, or ``None``."""
    store = _store(vault)
    record = store.get(name) if store is not None else None
    if record is None or record.get("revoked_at"):
        return None
    return record


def all_consents(vault):
    """Every record (active and revoked), newest first."""
    store = _store(vault) or {}
    return sorted(store.values(), key=lambda r: r.get("given_at", ""), reverse=True)


def _now():
    return datetime.now(UTC).isoformat(timespec="seconds")


def give(vault, connector, values, scheduled=False):
    """Record the person's consent to ``connector`` with their ``values``; return the record.

    Only the vault's owner consents.  Giving it again replaces the earlier record (new data,
    new date); the history keeps both.
    """
    if not links.is_owner(vault):
        raise Unauthorized("Only the person whose vault it is consents to a connector")
    person = validate_person(connector, values)
    user = api.user.get_current()
    record = PersistentMapping(
        connector=connector.name,
        title=connector.title_fr,
        source=connector.source_fr,
        fetched=connector.fetched_fr,
        notice=notice(connector),
        data_categories=tuple(connector.data_categories),
        person=PersistentMapping(person),
        scheduled=bool(scheduled and connector.refresh_days),
        given_by=user.getId(),
        given_at=_now(),
        revoked_at="",
        revoked_by="",
        last_refresh="",
    )
    _store(vault, create=True)[connector.name] = record
    _schedule(vault, connector.name, record["scheduled"])
    history.record(
        vault,
        "connector_consent",
        actor=user,
        details={
            "connector": connector.name,
            "data": ", ".join(connector.data_categories),
            "scheduled": "yes" if record["scheduled"] else "no",
        },
    )
    return record


def revoke(vault, name):
    """Revoke the consent to ``name`` (the owner only); ``False`` when there was none."""
    if not links.is_owner(vault):
        raise Unauthorized("Only the person whose vault it is revokes a consent")
    record = consent_of(vault, name)
    if record is None:
        return False
    user = api.user.get_current()
    record["revoked_at"] = _now()
    record["revoked_by"] = user.getId()
    record["scheduled"] = False
    _schedule(vault, name, False)
    history.record(vault, "connector_consent_revoked", actor=user, details={"connector": name})
    return True


def require(vault, connector):
    """The active consent record; :class:`ConsentMissing` when the connector needs one and
    there is none.  (A connector that needs no consent gets an empty dict.)"""
    record = consent_of(vault, connector.name)
    if record is None:
        if not connector.needs_consent:
            return {}
        raise ConsentMissing(
            f"no consent to {connector.name}",
            f"La personne n'a pas donné son accord pour « {connector.title_fr} ». "
            "Elle peut le donner dans son coffre, page « Ajouter un papier ».",
        )
    return record


def note_refresh(record):
    record["last_refresh"] = _now()
