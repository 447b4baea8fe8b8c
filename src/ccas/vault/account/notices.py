"""Messages kept for the person's next login (``vault.pending_notices``).

The same list the mandates use (``api.mandates._notice``: a mandate ended,
change your password): dicts with ``when`` and ``text``, plus here ``kind``
(``reminder``, ``password_changed``), ``id`` and ``sticky``.  The public skin
shows them at the next login: :func:`take_notices` empties the list of the
ordinary ones (shown once) and keeps the *sticky* ones (a password changed
with the CCAS's help, decision 0043), which stay on the person's pages until
the person dismisses them (:func:`dismiss_notice`, a POST with the form token).
"""

from Acquisition import aq_base
from ccas.vault import clock
from datetime import UTC
from persistent.list import PersistentList
import secrets


def notices(vault):
    """The pending notices (without emptying them)."""
    return list(getattr(aq_base(vault), "pending_notices", None) or ())


def add_notice(vault, text, kind="", sticky=False):
    """Keep ``text`` for the person's next login (``sticky``: until they dismiss it)."""
    pending = getattr(aq_base(vault), "pending_notices", None)
    if pending is None:
        pending = vault.pending_notices = PersistentList()
    notice = {
        "id": secrets.token_hex(6),
        "when": clock.paris_now().astimezone(UTC).isoformat(),
        "text": text,
        "kind": kind,
    }
    if sticky:
        notice["sticky"] = True
    pending.append(notice)
    return notice


def take_notices(vault):
    """The pending notices; the ordinary ones are removed (each is shown once), the sticky
    ones stay until :func:`dismiss_notice`.  Writes only when something was removed."""
    pending = getattr(aq_base(vault), "pending_notices", None)
    if not pending:
        return []
    taken = list(pending)
    kept = [notice for notice in taken if notice.get("sticky")]
    if len(kept) < len(taken):
        vault.pending_notices = PersistentList(kept)
    return taken


def dismiss_notice(vault, notice_id):
    """Remove the sticky notice ``notice_id``; ``True`` when there was one."""
    pending = getattr(aq_base(vault), "pending_notices", None) or ()
    kept = [n for n in pending if not (n.get("sticky") and n.get("id") == notice_id)]
    if not notice_id or len(kept) == len(pending):
        return False
    vault.pending_notices = PersistentList(kept)
    return True
