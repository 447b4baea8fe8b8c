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

After a crash (the postmaster killed, the machine reset) ``postmaster.pid``
stays behind.  ``start`` then looks at the process it names: a live
``postgres`` is a running server; a dead process is a stale file, left for
``pg_ctl start`` to take over (PostgreSQL checks it, and the shared memory it
names, itself); a process that only looks alive to PostgreSQL — a zombie
(killed, not yet reaped by its parent) or another program that got the pid —
would make it refuse to start ("lock file already exists"), so that file
(and the socket lock files naming the same pid) is removed first (PostgreSQL
still refuses while old backends hold its shared memory: ``start`` waits for
them a few seconds).  When the server still cannot start, or does not accept
connections, the command says why in one sentence (the ``FATAL`` line of the
server's log) and exits 1.
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
#: Attempts, 2 s apart, while the backends of a killed postmaster still hold its memory.
SHARED_MEMORY_RETRIES = 5


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
    if not is_running(data_dir):
        return
    _run([str(bin_dir() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"], "pg_ctl")


def pid_file_owner(data_dir):
    """``(pid, state)`` of the process named by ``postmaster.pid``: state is ``None`` (no
    file), ``"running"`` (a live postgres), ``"dead"``, ``"zombie"`` or ``"other"`` (the
    pid was reused)."""
    try:
        pid = int((Path(data_dir) / "postmaster.pid").read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None, None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return pid, "dead"
    except PermissionError:
        pass  # alive, owned by another user (the cluster's owner when run as root)
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
        zombie = " Z " in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1][:3]
    except OSError:  # no /proc (not Linux) or gone meanwhile: trust kill()
        return pid, "running"
    if zombie:
        return pid, "zombie"
    return pid, "running" if name in ("postgres", "postmaster") else "other"


def is_running(data_dir):
    return pid_file_owner(data_dir)[1] == "running"


def _fatal_line(log):
    """The last ``FATAL``/``PANIC`` message of the server's log, else ``None``."""
    try:
        lines = Path(log).read_text(errors="replace").splitlines()[-200:]
    except OSError:
        return None
    for line in reversed(lines):
        for level in ("FATAL:", "PANIC:"):
            if level in line:
                return line.split(level, 1)[1].strip()
    return None


def _remove_lock_files(data_dir, pid):
    """Remove ``postmaster.pid`` and the socket lock files (``.s.PGSQL.<port>.lock``,
    the sockets are in the data folder) that name ``pid``."""
    for lock in [data_dir / "postmaster.pid", *data_dir.glob(".s.PGSQL.*.lock")]:
        try:
            if int(lock.read_text().splitlines()[0]) == pid:
                lock.unlink()
        except (OSError, IndexError, ValueError):
            continue


def recover(data_dir, port):
    """Start the cluster unless a postgres serves it; a stale ``postmaster.pid`` is
    handled as the module says.  Returns what was done, for the operator."""
    data_dir = Path(data_dir).resolve()
    pid, state = pid_file_owner(data_dir)
    if state == "running":
        return f"PostgreSQL already runs (pid {pid})"
    if state in ("zombie", "other"):
        _remove_lock_files(data_dir, pid)
    log = data_dir / "postgresql.log"
    for attempt in range(SHARED_MEMORY_RETRIES + 1):
        try:
            start(data_dir, port, log)
            break
        except PostgresError:
            reason = _fatal_line(log) or "pg_ctl start failed without a message in the log"
            if "shared memory block" not in reason or attempt == SHARED_MEMORY_RETRIES:
                raise PostgresError(
                    f"PostgreSQL does not start in {data_dir}: {reason} (see {log})"
                ) from None
            time.sleep(2)  # old backends still attached: they exit once they see the crash
    if state is None:
        return "PostgreSQL started"
    return f"PostgreSQL started again (postmaster.pid of process {pid} was stale: {state})"


def connect(dsn_text, timeout=30):
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg2.connect(dsn_text)
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def create_database(port, name):
    """Create the database ``name`` unless it exists; return its DSN."""
    import psycopg2

    try:
        connection = connect(dsn(port))
    except psycopg2.OperationalError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise PostgresError(
            f"PostgreSQL does not accept connections on 127.0.0.1:{port}: {first}"
        ) from None
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
            print(recover(args.data_dir, args.port), file=sys.stderr)
            print(create_database(args.port, args.database))
        else:
            stop(args.data_dir)
    except PostgresError as error:
        print(f"ccas-vault-postgres: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
