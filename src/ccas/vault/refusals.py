"""Access refusals inside a vault are recorded in its history as ``access_refused`` entries.

(Before decision 0037 they were ``refused`` entries, the kind of a refused *file*: the person
read "A file was refused" each time an agent was refused a page.  Old entries stay as they
are in the hash-chained history; the person's page tells them apart by their ``url``.)

The control report of a mandate (``ccas.vault.api.control_report``) flags
every attempt the access layer refused.  Most refusals happen while the
publisher traverses (an agent without a mandate opening a paper's URL) or
in a view raising ``Unauthorized``; both end in the publisher's failure path.

When: ``IPubFailure``.  ``ZPublisher.WSGIPublisher.transaction_pubevents``
notifies ``IPubBeforeAbort``, aborts the request's transaction, then notifies
``IPubFailure``: anything written before the abort is lost.  So the entry is
written after the abort, in a transaction of its own, committed here (the
connection is still open: ``load_app`` closes it later).  Nothing else is in
that transaction.  A retried request (``ConflictError``) is not a refusal and
is skipped.

Who: a refusal at traversal leaves the security manager on Anonymous (the
user did not pass the check), so the identity is extracted again from the
request by the site's PAS.  Anonymous requests are not recorded (no
identity), nor refusals to the vault's owner, nor requests outside vaults.

Not covered: the vault's REST services (``VaultService``) catch
``Unauthorized`` themselves and answer 403 without going through the
publisher's failure path; they record their own refusals where they need to.

Repeats: one entry per user and vault per :data:`QUIET` (decision 0037).  A user
refused again on the same vault within that time — a script hammering a URL, a
page retried — is logged (``ccas.vault.refusals``), not written again: the first
entry says so (``details["quiet_minutes"]``).  Without this, each refused request
added a record to the person's history and to the database, for anyone logged in.

Recording must never break a request: every error is logged and swallowed.
"""

from AccessControl import getSecurityManager
from Acquisition import aq_chain
from Acquisition import aq_inner
from ccas.vault.history import api as history
from ccas.vault.history.storage import get_history
from ccas.vault.lookup import vault_of
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from Products.CMFCore.interfaces import ISiteRoot
from zExceptions import Forbidden
from zExceptions import Unauthorized
import logging
import transaction


logger = logging.getLogger("ccas.vault.refusals")

REFUSALS = (Unauthorized, Forbidden)
#: a user refused again on the same vault within this time is not written again
QUIET = timedelta(minutes=10)
#: how many of the history's last entries are read to find the user's last refusal
LOOK_BACK = 50


def _published_object(request):
    """The object the refused request aimed at: the view's context, or the last parent."""
    published = request.get("PUBLISHED")
    if published is not None:
        context = getattr(published, "context", None)
        if context is not None:
            return context
        if vault_of_safe(published) is not None:
            return published
    parents = request.get("PARENTS") or []
    return parents[0] if parents else None


def vault_of_safe(obj):
    try:
        return vault_of(obj)
    except (AttributeError, TypeError):
        return None


def _site(obj):
    for item in aq_chain(aq_inner(obj)):
        if ISiteRoot.providedBy(item):
            return item
    return None


def _current_user(request, site):
    """The authenticated user of ``request``, or ``None`` (anonymous)."""
    user = getSecurityManager().getUser()
    if user is not None and user.getUserName() != "Anonymous User":
        return user
    acl_users = getattr(site, "acl_users", None)
    if acl_users is None or not hasattr(acl_users, "_extractUserIds"):
        return None
    plugins = acl_users._getOb("plugins")
    for user_id, login in acl_users._extractUserIds(request, plugins):
        found = acl_users._findUser(plugins, user_id, login, request=request)
        if found is not None:
            return found
    return None


def _path_in_site(request, site):
    """The requested path inside the site, without the query string."""
    actual = request.get("ACTUAL_URL") or ""
    base = site.absolute_url()
    if actual.startswith(base):
        return actual[len(base) :] or "/"
    path = request.get("PATH_INFO") or ""
    site_path = "/".join(site.getPhysicalPath())
    if path.startswith(site_path):
        return path[len(site_path) :] or "/"
    return path


def _organisation_id(user):
    try:
        from ccas.vault.organisations import organisation_of

        organisation = organisation_of(user.getUserName())
    except Exception:  # the organisation is a detail of the trace
        return ""
    return organisation.id if organisation is not None else ""


def refusal_entry(request):
    """``(vault, user, details)`` to record for a refused ``request``, or ``None``."""
    obj = _published_object(request)
    if obj is None:
        return None
    vault = vault_of_safe(obj)
    if vault is None:
        return None
    site = _site(vault)
    if site is None:
        return None
    user = _current_user(request, site)
    if user is None or user.getUserName() == getattr(vault, "owner_login", None):
        return None
    details = {
        "url": _path_in_site(request, site)[:500],
        "method": str(request.get("REQUEST_METHOD", "GET"))[:10],
        "quiet_minutes": str(int(QUIET.total_seconds() // 60)),
    }
    return vault, user, details


def recently_refused(vault, user_id, now=None):
    """Whether ``user_id`` has an ``access_refused`` entry on ``vault`` younger than :data:`QUIET`.

    Reads at most the :data:`LOOK_BACK` last entries, newest first, and stops at the
    first one older than :data:`QUIET`.
    """
    found = get_history(vault)
    if found is None or not len(found):
        return False
    since = (now or datetime.now(UTC)) - QUIET
    last = len(found) - 1
    for seq in range(last, max(-1, last - LOOK_BACK), -1):
        entry = found[seq]
        if datetime.fromisoformat(entry.when) < since:
            return False
        if entry.action == "access_refused" and entry.actor == user_id:
            return True
    return False


def record_refusal(event):
    """``IPubFailure``: write an ``access_refused`` entry in its own transaction (see module)."""
    if getattr(event, "retry", False):
        return
    exc_info = getattr(event, "exc_info", None) or (None, None, None)
    if not isinstance(exc_info[1], REFUSALS):
        return
    try:
        found = refusal_entry(event.request)
        if found is None:
            return
        vault, user, details = found
        user_id = user.getId() or user.getUserName()
        transaction.begin()  # the latest state: another process may have written the entry
        if recently_refused(vault, user_id):
            transaction.abort()
            logger.info(
                "Refused again (not written, quiet %s): %s %s on %s",
                QUIET,
                user_id,
                details["method"],
                details["url"],
            )
            return
        history.record(
            vault,
            "access_refused",
            actor=user,
            details=details,
            organisation=_organisation_id(user),
        )
        transaction.commit()
    except Exception:  # a trace must never break the answer
        logger.exception("Could not record a refused access")
        try:
            transaction.abort()
        except Exception:
            logger.exception("Could not abort after a failed refusal record")
