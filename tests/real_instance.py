"""The product as a deployer starts it, for end-to-end tests (decision 0031).

:func:`built_site` runs the project's own commands in a temporary folder —
``ccas-vault-instance init`` then ``ccas-vault-instance site --demo`` (what
``make start`` runs) and ``runwsgi`` on the generated ``zope.ini`` as a
subprocess — with nothing of the test process inherited: no test layer, the
generated ``site.zcml`` (``zope2.Public`` redefined as ``zope2.View``), the C
security implementation of ``zope.conf``, the instance's own key folder.
:func:`built_zeo_site` does the same in ``make start-zeo``'s shape: a ZEO
server and two Zope clients.

Time on such a site moves through the documented now-file
(``ccas-vault-instance init --now-file``, decision 0032): :meth:`RealSite.set_now`;
its clock jobs run in the server every :data:`CLOCK_INTERVAL` seconds.
"""

from pathlib import Path
from servers import BIN
from servers import free_port
from servers import run
from servers import tail
from servers import wait_until
from servers import zeo_server
from servers import zope_server
import contextlib
import os
import requests


SITE_ID = "ccas"
DEMO_PASSWORD = "demo"
#: Seconds between two runs of the in-process clock on the test sites.
CLOCK_INTERVAL = "2"


def deployer_env(**extra):
    """The environment of a deployer's shell: the test process's own settings
    (test keys, ``ZOPETESTCASE``, storage switches) removed."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CCAS_VAULT_", "ZOPETESTCASE", "zope_i18n_"))
    }
    env.update(extra)
    return env


class RealSite:
    """A running instance: its folder, URL and clock."""

    def __init__(self, home, base_url, now_file, logs, proc=None):
        self.home = Path(home)
        self.base_url = base_url
        self.url = f"{base_url}/{SITE_ID}"
        self.now_file = Path(now_file)
        self.logs = logs
        self.proc = proc

    def set_now(self, moment):
        """Set the site's clock to ``moment`` (naive: Europe/Paris); time passes from there."""
        self.now_file.write_text(moment.isoformat())

    def real_time(self):
        """Give the site its real clock back."""
        self.now_file.unlink(missing_ok=True)

    def log(self, lines=60):
        """The end of the instance's logs, for failure messages."""
        return tail(*self.logs, lines=lines)

    def session(self, login, password=DEMO_PASSWORD):
        """A ``requests`` session authenticated as ``login`` (HTTP basic), asking for JSON."""
        session = requests.Session()
        session.auth = (login, password)
        session.headers["Accept"] = "application/json"
        return session

    def wait_for(self, check, what, timeout=60):
        """Poll ``check()`` until it is true (the in-process clock runs every few seconds)."""
        wait_until(check, timeout, what, proc=self.proc, logs=self.logs)


def _build(home, port, data, *init_options):
    tool = str(BIN / "ccas-vault-instance")
    env = deployer_env()
    run(tool, "init", str(home), "--data", str(data), "--port", str(port), *init_options, env=env)
    run(tool, "site", str(home), "--demo", env=env)


@contextlib.contextmanager
def built_site(home):
    """``make start`` in ``home``: an embedded ZODB, the demo site, served.

    The clock runs every :data:`CLOCK_INTERVAL` seconds and reads a now-file
    (``ccas-vault-instance init --clock-interval --now-file``, decision 0032).
    Yields a :class:`RealSite`."""
    home = Path(home)
    port = free_port()
    now_file = home / "var" / "now"
    clock = ("--clock-interval", CLOCK_INTERVAL, "--now-file", str(now_file))
    _build(home, port, home / "filestorage", *clock)
    logs = [home / "var" / "log" / "console.log", home / "var" / "log" / "event.log"]
    with zope_server(home, port, env=deployer_env(), inherit=False) as url:
        yield RealSite(home, url, now_file, logs)


@contextlib.contextmanager
def built_zeo_site(home):
    """``make start-zeo`` in ``home``: a ZEO server and two Zope clients; yield the two
    :class:`RealSite` (same database, two processes)."""
    home = Path(home)
    zeo_port, port1, port2 = free_port(), free_port(), free_port()
    address = f"127.0.0.1:{zeo_port}"
    data = home / "filestorage"
    tool = str(BIN / "ccas-vault-instance")
    env = deployer_env()
    run(tool, "zeo", str(home / "zeo"), "--data", str(data), "--address", address, env=env)
    now_file = home / "now"
    # Both clients read the same now-file; only the first runs the clock (as make start-zeo).
    for client, port, interval in (("client1", port1, CLOCK_INTERVAL), ("client2", port2, "0")):
        run(tool, "init", str(home / client), "--data", str(data), "--port", str(port),
            "--zeo-address", address, "--clock-interval", interval, "--now-file", str(now_file),
            env=env)  # fmt: skip
    with zeo_server(home / "zeo" / "etc" / "zeo.conf", zeo_port, env=env, inherit=False):
        run(tool, "site", str(home / "client1"), "--demo", env=env)
        with (
            zope_server(home / "client1", port1, env=env, inherit=False) as url1,
            zope_server(home / "client2", port2, env=env, inherit=False) as url2,
        ):
            yield [
                RealSite(
                    home / client,
                    url,
                    now_file,
                    [home / client / "var" / "log" / name for name in ("console.log", "event.log")],
                )
                for client, url in (("client1", url1), ("client2", url2))
            ]
