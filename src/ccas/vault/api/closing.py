"""Closing a vault: the owner's request, its cancellation, and the deletion by the clock.

The owner may ask to close the vault at any time (rule 9).  The vault then
enters *closing*: nothing new can be deposited, the owner can still read and
export everything (:func:`ccas.vault.export.build_export`) and can change their
mind.  Once the grace period (setting ``closing_grace_days``, 7 days by
default) is over, :func:`close_due_vaults` (run by ``ccas-vault-clock``)
deletes the papers, the spaces, the history, the person's account and the
vault, and keeps an anonymous tombstone for the indicators.
"""

from Acquisition import aq_base
from ccas.vault import permissions
from ccas.vault import tombstones
from ccas.vault.api.errors import VaultError
from ccas.vault.api.mandates import end_mandates_of_closed_vault
from ccas.vault.api.vaults import _person_key
from ccas.vault.api.vaults import OWNER_INDEX
from ccas.vault.api.vaults import PERSON_INDEX
from ccas.vault.api.vaults import vault_directory
from ccas.vault.clock import PARIS
from ccas.vault.clock import paris_now
from ccas.vault.content.vault_document import ORIGINS
from ccas.vault.encryption.migrate import shred_vault
from ccas.vault.export import iter_documents
from ccas.vault.history import api as history
from ccas.vault.indicators import store as indicator_counters
from ccas.vault.security import as_system
from ccas.vault.security import check_permission
from ccas.vault.settings import get_setting
from contextlib import suppress
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from plone import api


WORKFLOW_ID = "ccas_vault_workflow"


def _grace_days():
    return get_setting("closing_grace_days")


def closure_requested_at(vault):
    """When the closure now pending was requested (aware, Europe/Paris), or ``None``.

    Falls back on the workflow history when the transition was made without
    this module (e.g. through the ``@workflow`` REST endpoint).
    """
    requested = getattr(aq_base(vault), "closure_requested_at", None)
    if requested is not None:
        return requested.astimezone(PARIS)
    workflow = api.portal.get_tool("portal_workflow")
    for status in reversed(workflow.getHistoryOf(WORKFLOW_ID, vault) or ()):
        if status.get("action") == "request_closure":
            return status["time"].asdatetime().astimezone(PARIS)
    return None


def deletion_due(vault):
    """When the clock may delete the vault (aware, Europe/Paris), or ``None``."""
    due = getattr(aq_base(vault), "deletion_due", None)
    if due is not None:
        return due.astimezone(PARIS)
    requested = closure_requested_at(vault)
    return requested + timedelta(days=_grace_days()) if requested is not None else None


def request_closure(vault):
    """Ask to close ``vault`` (its owner only); return the planned deletion date-time.

    The vault goes to *closing*: no more deposits; the owner may still export
    everything, and cancel until the clock deletes it, ``closing_grace_days``
    from now (same Paris wall-clock time).  Stores ``closure_requested_at`` and
    ``deletion_due`` on the vault (aware, in UTC: ZODB cannot pickle
    ``ZoneInfo``; read them with :func:`closure_requested_at` and
    :func:`deletion_due`) and records ``close_requested``.
    """
    check_permission(permissions.REQUEST_CLOSURE, vault)
    if api.content.get_state(vault) == "closing":
        raise VaultError(
            "The closure of this vault was already requested",
            "Vous avez déjà demandé la fermeture de ce coffre.",
            code="already_closing",
        )
    grace_days = _grace_days()
    now = paris_now()
    due = now + timedelta(days=grace_days)  # same wall-clock time, even across a DST change
    with as_system():  # the transition's guard lets only the system through
        api.content.transition(obj=vault, transition="request_closure")
    vault.closure_requested_at = now.astimezone(UTC)
    vault.deletion_due = due.astimezone(UTC)
    history.record(
        vault,
        "close_requested",
        details={"deletion_due": due.isoformat(), "grace_days": str(grace_days)},
    )
    return due


def cancel_closure(vault):
    """Keep ``vault`` open after all (its owner, until the clock has deleted it).

    Records ``close_cancelled``.  A vault whose person never consented cannot
    be reopened this way: the workflow's ``cancel_closure`` leads to *open*.
    """
    check_permission(permissions.REQUEST_CLOSURE, vault)
    if api.content.get_state(vault) != "closing":
        raise VaultError(
            "This vault is not being closed",
            "La fermeture de ce coffre n'a pas été demandée.",
            code="not_closing",
        )
    if not vault.consents:
        raise VaultError(
            "This vault was never opened with the person's consent: it cannot be kept",
            "Ce coffre n'a jamais été ouvert avec votre accord : il ne peut pas être gardé. "
            "Un agent du CCAS peut vous ouvrir un nouveau coffre.",
            code="no_consent",
        )
    due = deletion_due(vault)
    with as_system():
        api.content.transition(obj=vault, transition="cancel_closure")
    vault.closure_requested_at = None
    vault.deletion_due = None
    history.record(
        vault,
        "close_cancelled",
        details={"deletion_due": due.isoformat() if due is not None else ""},
    )


def _paris_date(value):
    """The Europe/Paris day of a Zope ``DateTime``, a ``datetime`` or an ISO text."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif not isinstance(value, datetime):
        value = value.asdatetime()
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value.astimezone(PARIS).date()


def _tombstone_of(vault, now):
    """The anonymous facts of ``vault`` kept after its deletion: dates and counts."""
    documents = certified = 0
    by_origin = dict.fromkeys(ORIGINS, 0)
    for _folders, document in iter_documents(vault):
        documents += 1
        certified += bool(document.certification)
        if document.origin in by_origin:
            by_origin[document.origin] += 1
    consents = list(vault.consents)
    return {
        "opened": _paris_date(vault.created()),
        "consented": _paris_date(consents[0]["when"]) if consents else None,
        "closure_requested": (closure_requested_at(vault) or now).date(),
        "closed": now.date(),
        "documents": documents,
        "certified": certified,
        "deposits_by_origin": by_origin,
    }


def _unindex(directory, vault):
    """Remove ``vault`` from the directory's person and owner indexes."""
    vault_id = vault.getId()
    owners = getattr(directory, OWNER_INDEX, None)
    if owners is not None and owners.get(vault.owner_login) == vault_id:
        del owners[vault.owner_login]
    persons = getattr(directory, PERSON_INDEX, None)
    if persons is None:
        return
    try:
        key = _person_key(vault.last_name, vault.first_name, vault.birth_date)
    except AttributeError:  # no date of birth
        key = None
    if key in persons and vault_id in persons[key]:
        keys = [key]
    else:  # names edited since the opening: look everywhere
        keys = [other for other, vault_ids in persons.items() if vault_id in vault_ids]
    for key in keys:
        vault_ids = persons[key]
        del vault_ids[vault_id]
        if not len(vault_ids):
            del persons[key]


def _delete_account(login):
    """Delete the person's Plone account, leaving no trace of the login (no-op when gone).

    Not ``api.user.delete``: it walks the whole site to remove local roles and
    reindexes the security of every object, while the person's only local role
    is on the vault being deleted.  PAS keeps a deleted id in its group and
    role mappings (and would give them to a new account with the same login):
    those entries go too.
    """
    member = api.user.get(username=login)
    if member is None:
        return
    user_id = member.getId()
    groups = api.portal.get_tool("portal_groups")
    for group_id in member.getGroups():
        with suppress(KeyError):  # a virtual group (AuthenticatedUsers)
            groups.removePrincipalFromGroup(user_id, group_id)
    api.portal.get_tool("portal_membership").deleteMembers(
        (user_id,), delete_memberareas=0, delete_localroles=0
    )
    for plugin in api.portal.get_tool("acl_users").objectValues():
        for name in ("_principal_groups", "_principal_roles"):  # ZODB group and role managers
            mapping = getattr(aq_base(plugin), name, None)
            if mapping is not None and user_id in mapping:
                del mapping[user_id]


def _close(directory, vault, now):
    record = _tombstone_of(vault, now)
    login = vault.owner_login
    owns_account = getattr(directory, OWNER_INDEX, {}).get(login) in (None, vault.getId())
    # Every mandate still running ends with the vault (roster and agent index emptied).
    end_mandates_of_closed_vault(vault)
    # The indicators keep its flows; it only leaves the stocks (decision 0044).
    indicator_counters.vault_deleted(vault, now)
    api.content.transition(obj=vault, transition="close")
    _unindex(directory, vault)
    shred_vault(vault)  # crypto-shredding: its blobs, in any copy, open no more
    api.content.delete(obj=vault, check_linkintegrity=False)
    if owns_account:
        _delete_account(login)
    return tombstones.add_tombstone(directory=directory, **record)


def close_due_vaults(now=None):
    """Delete every vault in *closing* whose ``deletion_due`` is ``<= now``; return tombstones.

    Clock job (``Run clock jobs``: the system user only).  For each vault: the
    papers (every version), the spaces, the history, the vault's entries in
    the directory indexes and the owner's account go; an anonymous tombstone
    (:mod:`ccas.vault.tombstones`) is added.  Vaults not yet due are left
    alone, so running it twice changes nothing the second time.
    """
    directory = vault_directory()
    check_permission(permissions.RUN_CLOCK, directory)
    now = paris_now(now)
    catalog = api.portal.get_tool("portal_catalog")
    brains = catalog.unrestrictedSearchResults(portal_type="Vault", review_state="closing")
    candidates = [brain._unrestrictedGetObject() for brain in brains]
    closed = []
    with as_system():
        for vault in candidates:
            due = deletion_due(vault)
            if due is not None and due <= now:
                closed.append(_close(directory, vault, now))
    return closed
