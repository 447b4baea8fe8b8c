"""Zope stops cleanly after its database server was lost (issue 25, decision 0047).

A request that arrives while PostgreSQL is down fails in
``ZODB.Connection.open``: RelStorage's first round trip (``newTransaction``)
raises after the connection was marked open but before it was registered with
its transaction manager.  That connection never goes back to the pool, and at
shutdown ``DB.close`` closes it anyway: ``unregisterSynch`` then raises
``KeyError`` — a traceback on Ctrl-C, ``runwsgi`` exiting 1 (``make: Error 1``)
and the rest of the shutdown (pid file, other databases) skipped.

:func:`close_cleanly` wraps the ``close`` of each database Zope opens (the
instance's own method, set when the database is opened with its root; nothing
in ZODB is patched): before closing, a connection left half-open is marked as
not registered, so it is closed without being unregistered.  A storage that
still fails to close (its server gone) is logged in one line; the process is
stopping anyway.
"""

import logging


logger = logging.getLogger("ccas.vault.shutdown")


def _forget_unregistered(db):
    """Connections marked open but missing from their transaction manager's synchronizers
    (``Connection.open`` failed half-way): drop their manager so ``close`` skips them."""
    found = []

    def visit(connection):
        for each in connection.connections.values():
            manager = each.transaction_manager
            synchs = getattr(manager, "_synchs", None)
            if each.opened and manager is not None and synchs is not None and each not in synchs:
                each.transaction_manager = None
                found.append(each)

    db._connectionMap(visit)
    return found


def close_cleanly(db):
    """Wrap ``db.close`` (instance attribute) as the module says; idempotent."""
    if getattr(db, "_ccas_vault_close_cleanly", False):
        return
    original = db.close

    def close():
        try:
            half_open = _forget_unregistered(db)
            if half_open:
                logger.info(
                    "closing %s connection(s) left half-open by a database outage",
                    len(half_open),
                )
        except Exception:  # never prevent the close itself
            logger.debug("cannot inspect the connections before close", exc_info=True)
        try:
            original()
        except Exception as error:
            logger.error("database %s not closed cleanly: %s: %s",
                         db.database_name, error.__class__.__name__, error)  # fmt: skip

    db.close = close
    db._ccas_vault_close_cleanly = True


def database_opened(event):
    """``IDatabaseOpenedWithRoot`` subscriber: every database of the instance closes cleanly."""
    database = event.database
    for db in {id(d): d for d in (getattr(database, "databases", None) or {}).values()}.values():
        close_cleanly(db)
    close_cleanly(database)
