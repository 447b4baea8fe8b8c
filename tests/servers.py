"""Real servers for the tests: free ports, processes started and always stopped."""

from pathlib import Path
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*args, **kwargs):
    """Run a command; fail with the end of its output when it fails."""
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def tail(path, size=4000):
    path = Path(path)
    return path.read_text(errors="replace")[-size:] if path.exists() else f"({path} missing)"


def wait_until(check, timeout, what, log=None):
    """Poll ``check()`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not ready after {timeout}s\n{tail(log) if log else ''}")


def answers_http(url):
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def port_open(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def process(args, log, env=None, cwd=None):
    """Start ``args`` with its output in ``log``; terminate (then kill) it on exit."""
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=cwd
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def zope_server(home, port, env=None):
    """Serve the instance in ``home`` with ``runwsgi``; yield its base URL."""
    home = Path(home)
    log = home / "var" / "log" / "runwsgi.log"
    with process([str(BIN / "runwsgi"), str(home / "etc" / "zope.ini")], log, env=env) as proc:
        url = f"http://127.0.0.1:{port}"

        def ready():
            assert proc.poll() is None, f"Zope on port {port} died\n{tail(log)}"
            return answers_http(url + "/")

        wait_until(ready, timeout=120, what=f"Zope on port {port}", log=log)
        yield url
