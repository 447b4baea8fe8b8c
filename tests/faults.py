"""The fault tests' instance and their outside readers (decision 0041).

:class:`Cluster` is ``make start-zeo``'s shape with one Zope client, built with
the project's own commands (``ccas-vault-instance zeo``, ``init``,
``site --demo``) in a temporary folder, whose processes a test may kill
(SIGKILL: no clean shutdown) and start again at will.  Its blob directory may
live on a small filesystem the test mounts (``tmpfs``), to fill the disk.

After each fault, the tests look from outside only:

* :meth:`Cluster.check` runs the integrity checker as an operator would
  (``ccas-vault-check <zope.conf> --json``, a separate process);
* :func:`owner_view` reads the person's "Courrier du CCAS" over HTTP, as the
  person: each paper opened (its title names the GED reference), each catalog
  entry followed.
"""

from ged_client import reference_in
from pathlib import Path
from real_instance import deployer_env
from real_instance import SITE_ID
from servers import answers_http
from servers import BIN
from servers import free_port
from servers import port_open
from servers import run
from servers import tail
from servers import wait_until
import json
import os
import requests
import signal
import subprocess
import threading
import time


DEMO_PASSWORD = "demo"
GED = ("ged", DEMO_PASSWORD)
OWNER = ("alice.martin", DEMO_PASSWORD)  # the demo person who receives the CCAS's letters
OWNER_GED_ID = "GED-1001"
MAIL_FOLDER = "courrier-du-ccas"


class MountRefused(Exception):
    """``mount`` was refused (no privilege on this machine)."""


def mount_tmpfs(path, size):
    """Mount a ``tmpfs`` of ``size`` (``"8m"``) on ``path``; :class:`MountRefused` if refused."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
    except OSError as error:  # no mount command at all
        raise MountRefused(f"mount -t tmpfs impossible: {error}") from error
    if result.returncode != 0:
        raise MountRefused(f"mount -t tmpfs refused: {result.stderr.strip() or result.returncode}")


def unmount(path):
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


class Cluster:
    """A ZEO server and one Zope client of the demo site, each a killable process."""

    def __init__(self, home, blob_fs_size=None):
        self.home = Path(home)
        self.data = self.home / "filestorage"
        self.blobs = self.data / "blobstorage"
        self.zeo_port, self.port = free_port(), free_port()
        self.address = f"127.0.0.1:{self.zeo_port}"
        self.zeo_conf = self.home / "zeo" / "etc" / "zeo.conf"
        self.client = self.home / "client"
        self.conf = self.client / "etc" / "zope.conf"
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base_url}/{SITE_ID}"
        self.env = deployer_env()
        self.zeo = self.zope = None
        self.mounted = False
        self.blob_fs_size = blob_fs_size
        self.logs = [
            self.client / "var" / "log" / "console.log",
            self.client / "var" / "log" / "event.log",
            self.home / "zeo" / "var" / "log" / "zeo.log",
        ]

    # --- building and processes ---------------------------------------------

    def build(self):
        """``ccas-vault-instance zeo``, ``init``, ZEO started, ``site --demo``, Zope started."""
        tool = str(BIN / "ccas-vault-instance")
        run(tool, "zeo", str(self.home / "zeo"), "--data", str(self.data),
            "--address", self.address, env=self.env)  # fmt: skip
        run(tool, "init", str(self.client), "--data", str(self.data), "--port", str(self.port),
            "--zeo-address", self.address, "--clock-interval", "0", env=self.env)  # fmt: skip
        if self.blob_fs_size:
            mount_tmpfs(self.blobs, self.blob_fs_size)  # may raise MountRefused
            self.mounted = True
        self.start_zeo()
        run(tool, "site", str(self.client), "--demo", env=self.env)
        self.start_zope()
        return self

    def reconfigure(self, *options):
        """``ccas-vault-instance init`` again on the client, with ``options`` (its ``zope.conf``
        is written anew; the running process keeps the old one until restarted)."""
        tool = str(BIN / "ccas-vault-instance")
        run(tool, "init", str(self.client), "--data", str(self.data), "--port", str(self.port),
            "--zeo-address", self.address, *options, env=self.env)  # fmt: skip

    def restart_zope(self):
        """Stop the Zope client cleanly and start it again."""
        self._stop(self.zope)
        self.start_zope()

    def _spawn(self, args, log, cwd=None):
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            return subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=cwd
            )

    def start_zeo(self):
        log = self.home / "zeo" / "var" / "log" / "console.log"
        self.zeo = self._spawn([str(BIN / "runzeo"), "-C", str(self.zeo_conf)], log)
        wait_until(
            lambda: port_open(self.zeo_port), 120, "ZEO server", proc=self.zeo, logs=self.logs
        )

    def start_zope(self):
        log = self.client / "var" / "log" / "console.log"
        args = [str(BIN / "runwsgi"), str(self.client / "etc" / "zope.ini")]
        self.zope = self._spawn(args, log, cwd=self.client)
        wait_until(
            lambda: answers_http(self.base_url + "/"),
            180,
            "Zope client",
            proc=self.zope,
            logs=self.logs,
        )

    @staticmethod
    def _kill(proc):
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
            assert proc.returncode == -signal.SIGKILL, proc.returncode

    def kill_zeo(self):
        self._kill(self.zeo)

    def kill_zope(self):
        self._kill(self.zope)

    @staticmethod
    def _stop(proc):
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def close(self):
        self._stop(self.zope)
        self._stop(self.zeo)
        if self.mounted:
            unmount(self.blobs)
            self.mounted = False

    def log(self, lines=60):
        return tail(*self.logs, lines=lines)

    # --- looking from outside --------------------------------------------------

    def check(self, timeout=600):
        """Run the integrity checker on the client's ``zope.conf`` (a separate process):
        ``(exit code, the --json report)``."""
        script = BIN / "ccas-vault-check"
        command = (
            [str(script)] if script.exists() else [str(BIN / "python"), "-m", "ccas.vault.check"]
        )
        started = time.monotonic()
        result = subprocess.run(
            [*command, str(self.conf), "--json"],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.home,
            timeout=timeout,
        )
        try:
            report = json.loads(result.stdout)
        except ValueError:
            raise AssertionError(
                f"the checker printed no JSON (exit {result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            ) from None
        report["seconds"] = round(time.monotonic() - started, 1)
        return result.returncode, report

    def assert_checked(self):
        """The checker finds nothing: exit 0, no problem.  Returns its report."""
        code, report = self.check()
        problems = report.get("problems")
        assert code == 0 and problems == [], json.dumps(report, indent=1, ensure_ascii=False)[:6000]
        return report

    def owner_vault(self):
        """The URL of the demo owner's vault, as the owner finds it."""
        answer = requests.get(
            f"{self.url}/@search",
            params={"portal_type": "Vault"},
            headers={"Accept": "application/json"},
            auth=OWNER,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        (item,) = answer.json()["items"]
        return item["@id"]


class ZEORestart:
    """Kill the ZEO server ``delay`` seconds after ``start()`` — or after ``when()`` became
    true — and start it again ``down`` seconds later."""

    def __init__(self, cluster, delay, down, when=None):
        self.cluster, self.delay, self.down, self.when = cluster, delay, down, when
        self.killed = threading.Event()
        self.done = threading.Event()
        self.thread = None

    def _run(self):
        deadline = time.monotonic() + 120
        while self.when is not None and not self.when():
            if time.monotonic() > deadline:
                self.done.set()  # never came: nothing killed
                return
            time.sleep(0.01)
        time.sleep(self.delay)
        self.cluster.kill_zeo()
        self.killed_after = round(time.monotonic() - self.started, 1)
        self.killed.set()
        time.sleep(self.down)
        self.cluster.start_zeo()
        self.done.set()

    def start(self):
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def wait(self):
        self.thread.join(180)
        assert self.done.is_set(), "the ZEO server was not restarted"
        assert self.killed.is_set(), "the ZEO server was never killed"


def owner_view(site_url, vault_url, auth=OWNER, timeout=60):
    """What the person sees of their "Courrier du CCAS", over HTTP.

    Returns ``{"papers": {reference: [UID, ...]}, "untitled": n, "listed": n,
    "catalog": n, "dangling": [catalog entries answering other than 200]}``:
    every paper of the folder listing is opened (its title names the GED
    reference), every catalog entry of the folder is followed.
    """
    folder = f"{vault_url}/partage/{MAIL_FOLDER}"
    with requests.Session() as session:
        session.auth = tuple(auth)
        session.headers["Accept"] = "application/json"
        listing = session.get(folder, params={"b_size": 100000}, timeout=timeout)
        if listing.status_code == 404:
            return {"papers": {}, "untitled": 0, "listed": 0, "catalog": 0, "dangling": []}
        assert listing.status_code == 200, listing.text[:2000]
        items = [i for i in listing.json()["items"] if i["@type"] == "VaultDocument"]
        papers, untitled, opened = {}, 0, set()
        for item in items:
            paper = session.get(item["@id"], timeout=timeout)
            assert paper.status_code == 200, f"{item['@id']}: {paper.status_code}"
            opened.add(item["@id"])
            body = paper.json()
            reference = reference_in(body.get("title"))
            if reference is None:
                untitled += 1
            else:
                papers.setdefault(reference, []).append(body["UID"])
        path = "/" + "/".join(folder.split("/")[3:])  # the physical path: /ccas/coffres/…
        found = session.get(
            f"{site_url}/@search",
            params={"portal_type": "VaultDocument", "path.query": path, "b_size": 100000},
            timeout=timeout,
        )
        assert found.status_code == 200, found.text[:2000]
        entries = [item["@id"] for item in found.json()["items"]]
        dangling = [
            url
            for url in entries
            if url not in opened and session.get(url, timeout=timeout).status_code != 200
        ]
        unindexed = sorted(opened - set(entries))
    return {
        "papers": papers,
        "untitled": untitled,
        "listed": len(items),
        "catalog": len(entries),
        "dangling": dangling,
        "unindexed": unindexed,
    }


def assert_each_once(view, report, references):
    """Every reference the GED sent is delivered once: one paper in the person's folder,
    the one the GED was told, every catalog entry leading somewhere.  Returns figures."""
    told = report.papers()
    doubled = sorted(ref for ref in references if len(view["papers"].get(ref, [])) > 1)
    lost = sorted(ref for ref in references if not view["papers"].get(ref))
    not_told = sorted(ref for ref in references if ref not in told)
    wrong = sorted(
        ref
        for ref in references
        if view["papers"].get(ref) and view["papers"][ref] != [told.get(ref)]
    )
    figures = {
        "sent": len(references),
        "once": sum(1 for ref in references if len(view["papers"].get(ref, [])) == 1),
        "doubled": len(doubled),
        "lost": len(lost),
        "dangling": len(view["dangling"]),
        "unindexed": len(view["unindexed"]),
    }
    assert not (doubled or lost or not_told or wrong or view["dangling"] or view["unindexed"]), (
        f"{figures}\ndoubled {doubled[:20]}\nlost {lost[:20]}\nnot told delivered {not_told[:20]}\n"
        f"other paper than told {wrong[:20]}\ndangling {view['dangling'][:20]}\n"
        f"unindexed {view['unindexed'][:20]}"
    )
    return figures
