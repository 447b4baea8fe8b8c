"""Login attempts, counted by the account recovery's throttle (one implementation).

Failures are counted per account (:data:`recovery.MAX_ATTEMPTS` in
:data:`recovery.WINDOW`) and per client address (:data:`ADDRESS_LIMIT`, higher:
the CCAS's public computers share one address), then locked for
:data:`recovery.LOCK`.  The lock is traced as ``account_locked`` in the
beneficiary's history (address locks in the vault directory's history) and
logged for staff accounts.  Only failures are stored: a success deletes the
account's entry when there is one and writes nothing otherwise.

The client address is Zope's ``getClientAddr()``: ``X-Forwarded-For`` counts
only when the direct peer is one of zope.conf's ``trusted-proxy`` addresses.
"""

from Acquisition import aq_base
from ccas.vault.account import recovery
from datetime import datetime
import logging


logger = logging.getLogger("ccas.vault.bruteforce")

ROUTE = "login"
ADDRESS_LIMIT = 20


def _account_key(login):
    return f"{ROUTE}|login:{login.lower()}"


def locked_until(login, address):
    """The end of the running lock of ``login`` or ``address`` (UTC datetime), else ``None``."""
    try:
        recovery.check_not_locked(ROUTE, recovery.normalise_login(login), address)
    except recovery.RecoveryLocked as locked:
        return locked.until
    return None


def failed(login, address):
    """Count a failed login; return the end of the lock this failure started, else ``None``."""
    login = recovery.normalise_login(login)
    if not recovery.attempt(ROUTE, login, address, address_limit=ADDRESS_LIMIT):
        return None
    until = locked_until(login, address)
    if recovery._vault_of_login(login) is None:
        logger.warning("Login locked until %s: account %r, address %r", until, login, address)
    return until


def has_failures(login):
    """Whether failures of ``login`` are stored (a read only)."""
    tree = getattr(aq_base(recovery._directory()), recovery.THROTTLE, None)
    return tree is not None and _account_key(recovery.normalise_login(login)) in tree


def succeeded(login):
    """Forget the account's past failures (writes only when some were stored)."""
    tree = getattr(aq_base(recovery._directory()), recovery.THROTTLE, None)
    key = _account_key(recovery.normalise_login(login))
    if tree is None or key not in tree:
        return
    entry = tree[key]
    locked = (
        entry["locked_until"] and datetime.fromisoformat(entry["locked_until"]) > recovery._now()
    )
    if not locked:
        del tree[key]


def address_locked_until(route, address):
    """The end of the running lock of ``address`` on ``route`` (share codes…), else ``None``."""
    try:
        recovery.check_not_locked(route, "", address)
    except recovery.RecoveryLocked as locked:
        return locked.until
    return None


def address_failed(route, address):
    """Count a wrong secret typed from ``address``; the end of the lock it started or ``None``."""
    if not address or not recovery.attempt(route, "", address, address_limit=ADDRESS_LIMIT):
        return None
    return address_locked_until(route, address)
