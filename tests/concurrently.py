"""Requests run at once on one database: each in a thread with its own ZODB connection.

:func:`at_once` is what two Zope threads (or two ZEO clients) do when two people act
at the same moment: every step reads the same committed state, does its work, then
the steps commit one after the other.  A step whose commit raises ``ConflictError``
would have been replayed whole by the publisher.  The test layers' ``DemoStorage``
resolves conflicts as ZEO and FileStorage do (BTrees, ``Length``), so what merges on
a real instance merges here too.
"""

from AccessControl.SecurityManagement import noSecurityManager
from Testing.makerequest import makerequest
from zope.component.hooks import setSite
from zope.globalrequest import clearRequest
from zope.globalrequest import setRequest
import threading
import transaction


def described(error):
    """A commit's outcome, with the object a ``ConflictError`` names (its class and path)."""
    if error is None:
        return None
    oid = getattr(error, "oid", None)
    return f"{type(error).__name__} on {getattr(error, 'class_name', '?')} {oid!r}: {error}"


def at_once(portal, *steps):
    """Run each ``step(site)`` in a thread of its own, all on the state committed now;
    commit them in order; return what each commit raised (``None`` when it passed)."""
    transaction.commit()  # what the test built is what every step reads
    db = portal._p_jar.db()
    path = portal.getPhysicalPath()
    done = threading.Barrier(len(steps))
    turns = [threading.Event() for _ in steps]
    outcomes = [None] * len(steps)
    failures = []

    def run(number, step):
        connection = db.open()  # this thread's own transaction manager
        try:
            transaction.begin()
            app = makerequest(connection.root()["Application"])
            site = app.unrestrictedTraverse(path)
            setSite(site)
            setRequest(app.REQUEST)
            try:
                step(site)
            except Exception as error:  # the test's own failure, reported below
                failures.append(error)
                transaction.abort()
                done.abort()
                return
            try:
                done.wait(60)
            except threading.BrokenBarrierError:  # another step failed
                transaction.abort()
                return
            if number:
                turns[number - 1].wait(60)
            try:
                transaction.commit()
            except Exception as error:  # ConflictError: the publisher would replay
                outcomes[number] = error
                transaction.abort()
        finally:
            turns[number].set()
            noSecurityManager()
            setSite(None)
            clearRequest()
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if failures:
        raise failures[0]
    transaction.begin()  # the test's connection sees what the steps committed
    return outcomes
