"""Connectors, for the pages and services: what is offered, consent, fetching, the CCAS's settings.

The domain code is :mod:`ccas.vault.connectors` (decision 0051); this module is what the outer
layers (browser, services, scripts) call.
"""

from ccas.vault.connectors import consent
from ccas.vault.connectors import delivery
from ccas.vault.connectors import run
from ccas.vault.connectors import settings
from ccas.vault.connectors.interfaces import ConnectorDisabled
from ccas.vault.connectors.interfaces import ConnectorError
from ccas.vault.connectors.interfaces import PULL
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.history import api as history


__all__ = (
    "ConnectorError",
    "active_consents",
    "answer_of",
    "fetch",
    "give",
    "may_run",
    "offered",
    "offered_to_person",
    "panel",
    "papers_received",
    "revoke",
    "save_settings",
)


def _describe(name, connector):
    return {
        "name": name,
        "title": connector.title_fr,
        "source": connector.source_fr,
        "fetched": connector.fetched_fr,
        "notice": consent.notice(connector),
        "refresh": bool(connector.refresh_days),
        "fields": [
            {
                "name": field.name,
                "label": field.label_fr,
                "help": field.help_fr,
                "required": field.required,
            }
            for field in connector.person_fields
        ],
    }


def offered(vault):
    """The pull connectors switched on for the CCAS, each with the vault's active consent."""
    found = []
    for name, connector in settings.enabled_connectors(PULL):
        item = _describe(name, connector)
        item["pull"] = True
        item["consent"] = consent.consent_of(vault, name)
        found.append(item)
    return found


def offered_to_person(vault):
    """What the person may agree to: :func:`offered`, and the push connectors switched on
    that need a consent (the partners' drop folder, decision 0055), which nobody asks to
    fetch: their papers arrive by themselves once the person agreed."""
    found = offered(vault)
    for name, connector in settings.enabled_connectors():
        if connector.kind == PULL or not connector.needs_consent:
            continue
        item = _describe(name, connector)
        item["pull"] = False
        item["consent"] = consent.consent_of(vault, name)
        found.append(item)
    return found


def papers_received(vault, name):
    """The papers ``name`` delivered in ``vault`` (newest first) that keep an answer beside them."""
    shared = vault.get(SHARED_SPACE_ID)
    found = [
        document
        for document in (delivery.papers_of(shared) if shared is not None else ())
        if (getattr(document, "connector_info", None) or {}).get("connector") == name
        and getattr(document, "connector_files", None)
    ]
    return sorted(found, key=lambda d: d.connector_info.get("fetched_at", ""), reverse=True)


def answer_of(vault, uid):
    """``(document, file)``: the answer kept beside the paper ``uid`` of ``vault``; ``None``
    when the paper is not in this vault or keeps no answer.  The caller checks who asks; the
    download is written in the vault's history."""
    for name, _connector in settings.connectors():
        for document in papers_received(vault, name):
            if document.UID() == uid:
                history.record(
                    vault,
                    "download",
                    target=document,
                    details={"what": "connector_answer", "connector": name},
                )
                return document, document.connector_files[0]
    return None


def active_consents(vault):
    """The vault's active consents, for « Qui a accès »."""
    return [
        {
            "connector": record["connector"],
            "title": record["title"],
            "source": record["source"],
            "fetched": record["fetched"],
            "given_at": record["given_at"],
            "scheduled": record.get("scheduled", False),
        }
        for record in consent.all_consents(vault)
        if not record.get("revoked_at")
    ]


def _connector(name):
    connector = settings.get_connector(name)
    if connector is None or not settings.is_enabled(name):
        raise ConnectorDisabled(f"{name!r} is not switched on", "Ce connecteur n'est pas activé.")
    return connector


def give(vault, name, values, scheduled=False):
    """The person's consent to ``name`` with ``values`` (the owner only)."""
    return consent.give(vault, _connector(name), values, scheduled=scheduled)


def revoke(vault, name):
    return consent.revoke(vault, name)


def may_run(vault):
    return run.may_run(vault)


def fetch(vault, name, on_behalf_of=""):
    """Run ``name`` for the person of ``vault``: ``[(document, created)]`` or ConnectorError."""
    return run.run_connector(vault, name, on_behalf_of=on_behalf_of)


# -- the CCAS's settings (records managers) ----------------------------------------------


def panel():
    """Every connector with its state and settings (secrets only say whether they are set)."""
    rows = []
    for name, connector in settings.connectors():
        values = settings.get_settings(name)
        rows.append(
            {
                "name": name,
                "title": connector.title_fr,
                "kind": connector.kind,
                "source": connector.source_fr,
                "fetched": connector.fetched_fr,
                "enabled": settings.is_enabled(name),
                "missing": settings.missing_settings(name),
                "fields": [
                    {
                        "name": field.name,
                        "label": field.label_fr,
                        "help": field.help_fr,
                        "secret": field.secret,
                        "value": "" if field.secret else values.get(field.name, ""),
                        "is_set": settings.has_secret(name, field.name)
                        if field.secret
                        else bool(values.get(field.name)),
                    }
                    for field in connector.settings_fields
                ],
            }
        )
    return rows


def save_settings(name, enabled, values):
    """Switch ``name`` on or off and store its settings (a secret left empty is kept)."""
    if settings.get_connector(name) is None:
        raise ConnectorDisabled(f"no connector {name!r}", "Ce connecteur n'existe pas.")
    settings.set_settings(name, values)
    settings.set_enabled(name, enabled)
