"""Running a pull connector for one person: checks, the call, the storing, the history.

``run_connector(vault, name)`` is what the agent's page, the person's page and the clock call:

1. the connector exists, is a pull connector, is switched on and configured
   (:class:`ConnectorDisabled`);
2. the caller is the person or an agent whose mandate in force has the deposit scope
   (:func:`may_run`) — ``Unauthorized`` otherwise; the clock runs as the system;
3. the person's consent is active (:class:`ConsentMissing`);
4. the connector fetches; each :class:`Delivery` is stored by :func:`.delivery.deliver`
   inside a savepoint: on any error nothing of this run stays (no paper, no file), and the
   history gets one ``connector_failed`` line with the error's code.
"""

from AccessControl import getSecurityManager
from AccessControl import SpecialUsers
from AccessControl import Unauthorized
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault.connectors import consent
from ccas.vault.connectors import delivery as delivering
from ccas.vault.connectors import settings
from ccas.vault.connectors.interfaces import ConnectorDisabled
from ccas.vault.connectors.interfaces import ConnectorError
from ccas.vault.connectors.interfaces import PULL
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.history import api as history
from ccas.vault.sharing import links
from dataclasses import replace
from plone import api
import transaction


def pull_connector(name):
    """The switched-on, configured pull connector ``name``; :class:`ConnectorDisabled` else."""
    connector = settings.get_connector(name)
    if connector is None or connector.kind != PULL:
        raise ConnectorDisabled(f"no pull connector {name!r}", "Ce connecteur n'existe pas.")
    if not settings.is_enabled(name):
        raise ConnectorDisabled(
            f"{name} is switched off",
            f"Le connecteur « {connector.title_fr} » n'est pas activé par le CCAS.",
        )
    missing = settings.missing_settings(name)
    if missing:
        raise ConnectorDisabled(
            f"{name} is not configured: {missing}",
            f"Le connecteur « {connector.title_fr} » n'est pas encore réglé par le CCAS "
            f"({', '.join(missing)}).",
        )
    return connector


def person_of(vault, record):
    """What the connector receives about the person: their consent's values and identity."""
    person = dict(record.get("person") or {})
    person.update(
        first_name=vault.first_name or "",
        last_name=vault.last_name or "",
        birth_date=vault.birth_date.isoformat() if vault.birth_date else "",
    )
    return person


def may_run(vault):
    """Whether the current user may run a connector for the person of ``vault``.

    The person, or an agent (``VaultAgent``) whose mandate in force has the deposit scope —
    both hold ``Deposit document`` on the shared space of an open vault; a relative with the
    deposit scope (decision 0049) holds it too but is no agent: refused.  The system (the
    clock's scheduled refresh) passes.
    """
    shared = vault.get(SHARED_SPACE_ID)
    manager = getSecurityManager()
    if shared is None or not manager.checkPermission(permissions.DEPOSIT, shared):
        return False
    user = manager.getUser()
    if SpecialUsers.system is not None and user.getId() == SpecialUsers.system.getId():
        return True
    return links.is_owner(vault) or roles.VAULT_AGENT in user.getRoles()


def run_connector(vault, name, *, on_behalf_of="", scheduled=False):
    """Fetch and store for the person of ``vault``; return the list of ``(document, created)``.

    Raises :class:`ConnectorError` (with ``message_fr``) or ``Unauthorized``; stores nothing
    then but the ``connector_failed`` history line.
    """
    connector = pull_connector(name)
    if not may_run(vault):
        raise Unauthorized("Only the person or an agent with the deposit scope runs a connector")
    record = consent.require(vault, connector)
    user = api.user.get_current()
    actor = user.getId() if user is not None else ""
    savepoint = transaction.savepoint()
    try:
        fetched = connector.fetch(settings.get_settings(name), person_of(vault, record))
        now = clock.paris_now().isoformat(timespec="seconds")
        results = [
            delivering.deliver(
                vault,
                connector,
                item if item.fetched_at else replace(item, fetched_at=now),
                on_behalf_of=on_behalf_of,
                actor=actor,
            )
            for item in fetched
        ]
    except ConnectorError as error:
        savepoint.rollback()
        history.record(
            vault,
            "connector_failed",
            details={
                "connector": name,
                "code": error.code,
                "scheduled": "yes" if scheduled else "no",
            },
            on_behalf_of=on_behalf_of,
        )
        raise
    except Exception:
        savepoint.rollback()
        raise
    if record:
        consent.note_refresh(record)
    return results
