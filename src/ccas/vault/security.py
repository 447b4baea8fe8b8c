"""Running code with the system's rights, for the few operations that need it.

Vault creation, replacement bookkeeping and clock jobs act inside vaults where
no role — Manager included — holds the needed permission.  The public functions
of ``ccas.vault.api`` check the caller's permission first, then do the work in
:func:`as_system`.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import setSecurityManager
from AccessControl.users import system
from contextlib import contextmanager


@contextmanager
def as_system():
    """Run the block as Zope's system user; restore the caller afterwards."""
    previous = getSecurityManager()
    newSecurityManager(None, system)
    try:
        yield
    finally:
        setSecurityManager(previous)


def check_permission(permission, obj):
    """Raise ``Unauthorized`` unless the current user has ``permission`` on ``obj``."""
    if not getSecurityManager().checkPermission(permission, obj):
        raise Unauthorized(f"{permission!r} is needed on {obj.getId()!r}")


def current_user_id():
    return getSecurityManager().getUser().getId()
