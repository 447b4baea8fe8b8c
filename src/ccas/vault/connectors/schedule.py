"""The scheduled refresh: a new paper before the old one expires, for people who agreed.

A clock job (:mod:`ccas.vault.clockwork`, with the dated jobs, hourly at most).  For each vault
of the portal's index of scheduled consents (:func:`.consent.scheduled_index`), and each
connector it names that is switched on: when the person's consent is still active and asks for
the refresh, and the connector's newest paper in the vault ends its validity within
``connector.refresh_days`` days (or there is none), the connector runs for the person.  An
attempt is made once a day at most (``last_attempt``), never before a ``Retry-After`` the
source gave (``not_before``).  Revoking the consent removes the vault from the index: nothing
is asked any more.
"""

from ccas.vault import clock
from ccas.vault.api.vaults import vault_directory
from ccas.vault.connectors import consent
from ccas.vault.connectors import delivery
from ccas.vault.connectors import run
from ccas.vault.connectors import settings
from ccas.vault.connectors.interfaces import ConnectorError
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.security import as_system
from datetime import timedelta
from plone import api
import logging
import transaction


logger = logging.getLogger("ccas.vault.connectors")


def newest_paper(vault, name):
    shared = vault.get(SHARED_SPACE_ID)
    found = [
        document
        for document in (delivery.papers_of(shared) if shared is not None else ())
        if (getattr(document, "connector_info", None) or {}).get("connector") == name
        and api.content.get_state(document) != "superseded"
    ]
    return max(found, key=lambda d: d.connector_info.get("fetched_at", ""), default=None)


def is_due(vault, connector, record, now):
    """Whether the scheduled refresh of ``connector`` runs for ``vault`` at ``now``."""
    if not record or not record.get("scheduled") or not connector.refresh_days:
        return False
    today = now.date()
    if record.get("not_before") and now.isoformat() < record["not_before"]:
        return False
    if (record.get("last_attempt") or "")[:10] == today.isoformat():
        return False
    paper = newest_paper(vault, connector.name)
    if paper is None or paper.valid_until is None:
        return paper is None
    return paper.valid_until - today <= timedelta(days=connector.refresh_days)


def refresh_due(now=None, commit=False):
    """Run the due refreshes; return ``{"refreshed": n, "failed": n}``.

    ``commit``: one transaction per person (the clock); tests leave it ``False``.
    """
    now = clock.paris_now(now)
    counts = {"refreshed": 0, "failed": 0}
    index = consent.scheduled_index()
    directory = vault_directory()
    with as_system():
        for vault_id, names in list(index.items()):
            vault = directory.get(vault_id)
            if vault is None:
                del consent.scheduled_index(create=True)[vault_id]
                continue
            for name in names:
                connector = settings.get_connector(name)
                if connector is None or not settings.is_enabled(name):
                    continue
                record = consent.consent_of(vault, name)
                if not is_due(vault, connector, record, now):
                    continue
                record["last_attempt"] = now.isoformat()
                try:
                    run.run_connector(vault, name, scheduled=True)
                    counts["refreshed"] += 1
                except ConnectorError as error:
                    counts["failed"] += 1
                    if error.retry_after:
                        wait = now + timedelta(seconds=error.retry_after)
                        record["not_before"] = wait.isoformat()
                    logger.warning("refresh of %s for %s: %s", name, vault_id, error.message)
                if commit:
                    transaction.commit()
    return counts
