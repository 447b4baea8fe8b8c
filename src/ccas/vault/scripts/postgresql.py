"""``ccas-vault-postgres``: a local PostgreSQL cluster for the demo and the tests.

Usage::

    ccas-vault-postgres start DIR [--port 5433] [--database ccas]   # prints the DSN
    ccas-vault-postgres stop DIR

``start`` creates the cluster in ``DIR`` the first time (``initdb``, trust
authentication, listening on 127.0.0.1 only), starts it, creates the database
and prints a libpq DSN for ``ccas-vault-instance init --relstorage-dsn``.
PostgreSQL refuses to run as root: when run as root, the cluster belongs to
the ``nobody`` user and its commands go through ``runuser``.

This is for ``make start-pg`` and the tests; a production database is
installed and tuned by the city's DBA (see ``docs/deploy.md``).
"""

from pathlib import Path
import argparse
import glob
import os
import shutil
import subprocess
import sys
import time


UNPRIVILEGED = "nobody"


class PostgresError(RuntimeError):
    """A PostgreSQL command failed (the message ends with its output)."""


def bin_dir():
    """The folder of ``initdb`` and ``pg_ctl`` (Debian: ``/usr/lib/postgresql/<ver>/bin``)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresError("PostgreSQL is not installed (Debian: apt-get install postgresql)")


def _as_owner(args):
    if os.geteuid() == 0:
        return ["runuser", "-u", UNPRIVILEGED, "--", *args]
    return args


def _run(args, what):
    result = subprocess.run(_as_owner(args), capture_output=True, text=True)
    if result.returncode != 0:
        raise PostgresError(f"{what} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result.stdout


def dsn(port, database="postgres", host="127.0.0.1", user="postgres"):
    return f"dbname={database} host={host} port={port} user={user}"


def init_cluster(data_dir):
    """Create the cluster in ``data_dir`` unless it exists; return its path."""
    data_dir = Path(data_dir).resolve()
    if (data_dir / "PG_VERSION").exists():
        return data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    if os.geteuid() == 0:
        shutil.chown(data_dir, UNPRIVILEGED)
    args = [str(bin_dir() / "initdb"), "-D", str(data_dir), "-U", "postgres"]
    _run([*args, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"], "initdb")
    return data_dir


def start(data_dir, port, log=None):
    """Start the cluster of ``data_dir`` on 127.0.0.1:``port`` and wait until it accepts."""
    data_dir = Path(data_dir).resolve()
    log = Path(log) if log else data_dir / "postgresql.log"
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={data_dir}"
    args = [str(bin_dir() / "pg_ctl"), "-D", str(data_dir), "-l", str(log), "-o", options]
    _run([*args, "-w", "-t", "60", "start"], "pg_ctl start")


def stop(data_dir):
    """Stop the cluster of ``data_dir`` (fast shutdown); nothing when it is not running."""
    data_dir = Path(data_dir).resolve()
    if not (data_dir / "postmaster.pid").exists():
        return
    _run([str(bin_dir() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"], "pg_ctl")


def is_running(data_dir):
    return (Path(data_dir) / "postmaster.pid").exists()


def connect(dsn_text):
    import psycopg2

    deadline = time.monotonic() + 30
    while True:
        try:
            return psycopg2.connect(dsn_text)
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def create_database(port, name):
    """Create the database ``name`` unless it exists; return its DSN."""
    connection = connect(dsn(port))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return dsn(port, name)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ccas-vault-postgres", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start_cmd = sub.add_parser("start", help="create if needed and start; print the DSN")
    start_cmd.add_argument("data_dir")
    start_cmd.add_argument("--port", type=int, default=5433)
    start_cmd.add_argument("--database", default="ccas")
    stop_cmd = sub.add_parser("stop", help="stop the cluster")
    stop_cmd.add_argument("data_dir")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            init_cluster(args.data_dir)
            if not is_running(args.data_dir):
                start(args.data_dir, args.port)
            print(create_database(args.port, args.database))
        else:
            stop(args.data_dir)
    except PostgresError as error:
        print(f"ccas-vault-postgres: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
