"""PostgreSQL comes back after a crash, and Zope stops cleanly after the outage (issue 25).

``make start-pg``'s shape: the project's own commands — ``ccas-vault-postgres start``
(a local cluster), ``ccas-vault-instance init --relstorage-dsn`` and ``site --demo``,
``runwsgi`` — in a deployer's environment.  The postmaster is then killed
(``SIGKILL``: its ``postmaster.pid`` stays behind); ``ccas-vault-postgres start`` must
see the file is stale, start the server again and print the DSN; the instance serves
again; Zope, stopped as ``make start-pg`` stops it (Ctrl-C), exits 0 without a
traceback.  A cluster that cannot start is explained in one sentence, no traceback.
"""

from ccas.vault.scripts import postgresql as pg
from real_instance import deployer_env
from real_instance import SITE_ID
from servers import BIN
from servers import free_port
from servers import run
from servers import zope_process
import os
import pytest
import requests
import shutil
import signal
import subprocess
import tempfile
import time


pytestmark = pytest.mark.slow


def postgres(*args, env):
    return subprocess.run(
        [str(BIN / "ccas-vault-postgres"), *map(str, args)],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip


@pytest.fixture
def cluster():
    """A folder for the cluster (under /tmp: as root the cluster runs as ``nobody``)."""
    folder = tempfile.mkdtemp(prefix="ccas-vault-pg-recovery-")
    if os.geteuid() == 0:
        shutil.chown(folder, pg.UNPRIVILEGED)
    data_dir = f"{folder}/data"
    try:
        yield data_dir
    finally:
        subprocess.run(
            pg._as_owner([str(pg.bin_dir() / "pg_ctl"), "-D", data_dir, "-m", "immediate", "stop"]),
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def _postmaster_pid(data_dir):
    with open(f"{data_dir}/postmaster.pid") as pid_file:
        return int(pid_file.readline())


def _dies(pid, timeout=30):
    """Wait until ``pid`` is gone (or a zombie); True when it is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[-1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.2)
    return False


def _stop_cleanly(proc, console):
    """Ctrl-C, as ``make start-pg`` is stopped: exit 0, no traceback while stopping
    (the requests made during the outage did log theirs)."""
    before = console.stat().st_size
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 0, console.read_text()[-4000:]
    stopping = console.read_bytes()[before:].decode(errors="replace")
    assert "Traceback" not in stopping and "KeyError" not in stopping, stopping[-4000:]


def test_postgresql_killed_comes_back_and_zope_stops_cleanly(cluster, tmp_path):
    env = deployer_env()
    pg_port, port = free_port(), free_port()
    started = postgres("start", cluster, "--port", pg_port, env=env)
    assert started.returncode == 0, started.stderr
    dsn = started.stdout.strip().splitlines()[-1]
    home, tool = tmp_path / "instance", str(BIN / "ccas-vault-instance")
    run(tool, "init", str(home), "--relstorage-dsn", dsn, "--port", str(port),
        "--clock-interval", "0", env=env)  # fmt: skip
    run(tool, "site", str(home), "--demo", env=env)

    with zope_process(home, port, env=env, inherit=False) as (proc, url, logs):
        site = f"{url}/{SITE_ID}"
        assert requests.get(site, timeout=60).status_code == 200
        postmaster = _postmaster_pid(cluster)
        os.kill(postmaster, signal.SIGKILL)  # the outage
        assert _dies(postmaster)
        assert pg.pid_file_owner(cluster)[0] == postmaster  # the stale file stays
        assert not pg.is_running(cluster)
        assert requests.get(site, timeout=60).status_code >= 500  # no database

        came_back = postgres("start", cluster, "--port", pg_port, env=env)
        assert came_back.returncode == 0, came_back.stderr
        assert came_back.stdout.strip() == dsn
        assert "stale" in came_back.stderr and "Traceback" not in came_back.stderr
        assert pg.is_running(cluster)
        deadline = time.monotonic() + 60
        while requests.get(site, timeout=60).status_code != 200:  # reconnects on its own
            assert time.monotonic() < deadline, "Zope does not serve again after PostgreSQL"
            time.sleep(1)

        _stop_cleanly(proc, logs[0])


def test_zope_stops_cleanly_while_postgresql_is_down(cluster, tmp_path):
    env = deployer_env()
    pg_port, port = free_port(), free_port()
    started = postgres("start", cluster, "--port", pg_port, env=env)
    assert started.returncode == 0, started.stderr
    dsn = started.stdout.strip().splitlines()[-1]
    home, tool = tmp_path / "instance", str(BIN / "ccas-vault-instance")
    run(tool, "init", str(home), "--relstorage-dsn", dsn, "--port", str(port),
        "--clock-interval", "0", env=env)  # fmt: skip
    run(tool, "site", str(home), "--demo", env=env)
    with zope_process(home, port, env=env, inherit=False) as (proc, url, logs):
        assert requests.get(f"{url}/{SITE_ID}", timeout=60).status_code == 200
        postmaster = _postmaster_pid(cluster)
        os.kill(postmaster, signal.SIGKILL)
        assert _dies(postmaster)
        assert requests.get(f"{url}/{SITE_ID}", timeout=60).status_code >= 500
        _stop_cleanly(proc, logs[0])

    # A cluster that cannot start is explained in one sentence.
    broken = postgres("start", cluster, "--port", pg_port, env=env)
    assert broken.returncode == 0, broken.stderr  # still recovers after the Zope stop
    conf = f"{cluster}/postgresql.auto.conf"
    with open(conf, "a") as auto:
        auto.write("shared_buffers = 'plenty'\n")
    postgres("stop", cluster, env=env)
    refused = postgres("start", cluster, "--port", pg_port, env=env)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    [sentence] = refused.stderr.strip().splitlines()
    assert sentence.startswith("ccas-vault-postgres: PostgreSQL does not start in "), sentence
    assert "shared_buffers" in sentence or "contains errors" in sentence
