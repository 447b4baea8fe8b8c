"""A beneficiary's account changes only through the add-on's own routes (decision 0035).

Plone's user management lets a Site Administrator or a Manager set any
account's password or e-mail (REST ``@users``, ``@@user-information``,
``@@usergroup-userprefs``, ``@@change-password``, ``mail_password`` /
``@@password-reset``, the ZMI forms of ``acl_users/source_users``…), then log
in as the person and read their vault.  Every one of those routes ends in a
few methods of two PAS plugins; this module guards them:

* the password: ``UserManager.doChangeUser`` (PlonePAS, behind PAS's
  ``userSetPassword``) and ``ZODBUserManager.updateUserPassword`` (the ZMI's
  ``manage_updatePassword`` / ``manage_updateUserPassword``);
* the login: ``ZODBUserManager.updateUser`` (a login name that changes);
* the account itself: ``ZODBUserManager.removeUser`` (deleting it, then
  creating it again with a password of one's choice);
* the e-mail, phone and name properties: ``ZODBMutablePropertyProvider.setPropertiesForUser``
  (only when their value changes: Plone writes ``login_time`` at each login).

For the account of a person who owns a vault (the directory's owner index),
these raise ``Forbidden`` (403) unless the add-on's own code runs them inside
:func:`own_route` — the person's "Mon compte", the lost-password routes, the
assisted reset — which write the vault's history and tell the person.  A
closed vault's account is deleted after the vault left the owner index, so
the closure needs no flag.

Zope's own classes are patched (small wrappers, named ``_ccas_guarded_*``):
the ZMI calls ``updateUserPassword`` on the plugin directly, so neither a PAS
plugin nor an event can veto every route.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from zExceptions import Forbidden
import logging


logger = logging.getLogger("ccas.vault.account")

_OWN_ROUTE = ContextVar("ccas_vault_own_account_route", default=None)

#: member properties that reach the person (recovery mail, SMS) or name them to others
#: (the name shown to agents and in the history: PATCH @users fullname, hostile suite)
GUARDED_PROPERTIES = (
    "email",
    "phone",
    "mobile",
    "mobile_phone",
    "telephone",
    "fullname",
    "location",
    "description",
    "home_page",
)

REFUSED = (
    "The account of a person who owns a vault changes only through the person's own pages "
    "or the assisted reset (decision 0035): not through Plone's user management."
)


@contextmanager
def own_route(what):
    """Run the add-on's own change of a beneficiary's account (``what``: for the log)."""
    token = _OWN_ROUTE.set(what)
    try:
        yield
    finally:
        _OWN_ROUTE.reset(token)


def in_own_route():
    return _OWN_ROUTE.get() is not None


def owns_a_vault(*names):
    """Whether one of ``names`` (user ids or logins) owns a vault (the directory's owner index)."""
    from ccas.vault.api.vaults import vault_of

    try:
        return any(name and vault_of(name) is not None for name in names)
    except Exception:  # outside a site (Zope root's user folder): no vault there
        return False


def check(user_id, login=None, what="account"):
    """Refuse (``Forbidden``) a change of a vault owner's account outside :func:`own_route`."""
    if in_own_route() or not owns_a_vault(user_id, login):
        return
    from AccessControl import getSecurityManager

    actor = getSecurityManager().getUser()
    logger.warning(
        "Refused: %s of the vault owner %r changed by %r outside the add-on's routes",
        what,
        user_id,
        actor.getId() if actor is not None else None,
    )
    raise Forbidden(REFUSED)


def _login_of(plugin, user_id):
    return getattr(plugin, "_userid_to_login", {}).get(user_id)


def _guard_user_manager(cls, name, what, changes=None):
    original = getattr(cls, name)
    if getattr(original, "_ccas_guarded", False):
        return

    @wraps(original)
    def guarded(self, user_id, *args, **kw):
        if changes is None or changes(self, user_id, *args, **kw):
            check(user_id, _login_of(self, user_id), what)
        return original(self, user_id, *args, **kw)

    guarded._ccas_guarded = True
    guarded.__name__ = f"_ccas_guarded_{name}"
    setattr(cls, name, guarded)


def _login_changes(plugin, user_id, login_name, *args, **kw):
    return _login_of(plugin, user_id) != login_name


def _same(old, new):
    return (old or "") == (new or "")


def _guard_properties(cls):
    original = cls.setPropertiesForUser
    if getattr(original, "_ccas_guarded", False):
        return

    @wraps(original)
    def guarded(self, user, propertysheet):
        if not in_own_route():
            user_id = user.getId()
            new = dict(propertysheet.propertyItems())
            old = self._storage.get(user_id) or {}
            changed = [
                key
                for key in GUARDED_PROPERTIES
                if key in new and not _same(old.get(key), new[key])
            ]
            if changed:
                check(user_id, getattr(user, "getUserName", lambda: None)(), "+".join(changed))
        return original(self, user, propertysheet)

    guarded._ccas_guarded = True
    guarded.__name__ = "_ccas_guarded_setPropertiesForUser"
    cls.setPropertiesForUser = guarded


def install():
    """Wrap the plugins' methods (idempotent; done when this module is imported)."""
    from Products.PlonePAS.plugins.property import ZODBMutablePropertyProvider
    from Products.PlonePAS.plugins.user import UserManager
    from Products.PluggableAuthService.plugins.ZODBUserManager import ZODBUserManager

    _guard_user_manager(UserManager, "doChangeUser", "password")
    _guard_user_manager(ZODBUserManager, "updateUserPassword", "password")
    _guard_user_manager(ZODBUserManager, "removeUser", "deletion")
    _guard_user_manager(ZODBUserManager, "updateUser", "login", changes=_login_changes)
    _guard_properties(ZODBMutablePropertyProvider)


def process_starting(event):
    """Registered in ZCML so that loading the configuration imports (and installs) this module."""


install()
