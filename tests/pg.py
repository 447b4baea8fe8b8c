"""A real PostgreSQL for the tests: one throw-away cluster per test session.

Import the ``postgresql`` fixture in a test module (``from pg import postgresql``).
The cluster lives in a temporary folder, listens on 127.0.0.1 on a free port with
trust authentication, and is stopped and removed at the end of the session.  As
root, it runs as ``nobody`` (PostgreSQL refuses root), which is why the folder is
made with ``mkdtemp`` directly under ``/tmp`` rather than in pytest's private one.
"""

from ccas.vault.scripts import postgresql as pg
from servers import free_port
from types import SimpleNamespace
import os
import pytest
import shutil
import tempfile


def _fetch(dsn, query, params=()):
    connection = pg.connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="session")
def postgresql():
    """``.database(name)`` -> DSN of a new empty database; ``.fetch(dsn, sql)`` -> rows."""
    folder = tempfile.mkdtemp(prefix="ccas-vault-pg-")
    data_dir = f"{folder}/data"
    port = free_port()
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, pg.UNPRIVILEGED)
        pg.init_cluster(data_dir)
        pg.start(data_dir, port)
        try:
            yield SimpleNamespace(
                port=port,
                database=lambda name: pg.create_database(port, name),
                fetch=_fetch,
            )
        finally:
            pg.stop(data_dir)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
