"""The GED deliveries received by one Zope process take turns (decision 0030).

Two batches received at the same time by one process insert keys into the
same shared trees (catalog indexes, intids, receipts, the signing queue) and
the same "Courrier du CCAS" folders: run side by side, the one committed
second meets a ``ConflictError`` and Zope replays it whole, after having spent
the CPU twice (the process runs one thread at a time anyway).  A delivery
therefore waits for the process's turn before it reads anything, starts a new
transaction (so that it sees every delivery committed before its turn) and
gives the turn back when that transaction ends, committed or aborted.  The
batch stays one transaction: the request's own, committed by the publisher.

Turns are per process: two Zope clients still conflict with each other
(decision 0014); point the GED at one client.
"""

import threading
import transaction


#: How long a delivery waits for its turn before answering ``503`` (seconds).
WAIT_SECONDS = 120.0
#: What the ``503`` asks the GED to wait before sending again (seconds).
RETRY_AFTER_SECONDS = 5

_turn = threading.Lock()


class Busy(Exception):
    """The turn did not come within :data:`WAIT_SECONDS`."""


def take_turn(wait=None):
    """Wait for the process's turn, then start a new transaction that holds it.

    What the current transaction wrote before (usually nothing) is committed
    first; its user and note carry over to the new one.  The turn is given back
    when the new transaction commits (or fails to) or aborts.  Raises
    :class:`Busy` after ``wait`` seconds (default :data:`WAIT_SECONDS`).
    """
    if not _turn.acquire(timeout=WAIT_SECONDS if wait is None else wait):
        raise Busy
    try:
        current = transaction.get()
        user, note, extension = current.user, current.description, dict(current.extension)
        transaction.commit()
        txn = transaction.begin()  # a new snapshot: every delivery committed before this turn
        txn.user, txn.description = user, note
        txn.extension.update(extension)
        give_back = _GiveBack()
        txn.addAfterCommitHook(give_back)
        txn.addAfterAbortHook(give_back)
    except BaseException:
        _turn.release()
        raise
    return txn


def turn_taken():
    """Whether a delivery of this process holds the turn."""
    return _turn.locked()


class _GiveBack:
    """Gives the turn back once, whichever of its transaction's ends comes first
    (a failed commit is followed by an abort)."""

    def __init__(self):
        self.done = False

    def __call__(self, *status):
        if not self.done:
            self.done = True
            _turn.release()
