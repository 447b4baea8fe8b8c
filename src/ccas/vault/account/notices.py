"""Messages kept for the person's next login (``vault.pending_notices``).

The same list the mandates use (``api.mandates._notice``: a mandate ended,
change your password): dicts with ``when`` and ``text``, plus here ``kind``
(``reminder``, ``password_changed``).  The public skin shows them once, at
the next login, and :func:`take_notices` empties the list.
"""

from Acquisition import aq_base
from ccas.vault import clock
from datetime import UTC
from persistent.list import PersistentList


def notices(vault):
    """The pending notices (without emptying them)."""
    return list(getattr(aq_base(vault), "pending_notices", None) or ())


def add_notice(vault, text, kind=""):
    """Keep ``text`` for the person's next login."""
    pending = getattr(aq_base(vault), "pending_notices", None)
    if pending is None:
        pending = vault.pending_notices = PersistentList()
    pending.append(
        {"when": clock.paris_now().astimezone(UTC).isoformat(), "text": text, "kind": kind}
    )


def take_notices(vault):
    """The pending notices, removed from the vault: each is shown once."""
    pending = getattr(aq_base(vault), "pending_notices", None)
    if not pending:
        return []
    taken = list(pending)
    vault.pending_notices = PersistentList()
    return taken
