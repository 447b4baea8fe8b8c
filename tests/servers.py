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


def tail(*paths, lines=40):
    """The last ``lines`` lines of each existing file, for failure messages."""
    parts = []
    for path in map(Path, paths):
        if path.exists():
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path} (last {len(text)} lines)\n" + "\n".join(text))
    return "\n".join(parts) or "(no log written)"


def wait_until(check, timeout, what, proc=None, logs=()):
    """Poll ``check()`` until it is true; fail, with the logs' tails, after
    ``timeout`` seconds or as soon as ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}\n{tail(*logs)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not ready after {timeout}s\n{tail(*logs)}")
        time.sleep(0.2)


def answers_http(url):
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def port_open(port, host="127.0.0.1"):
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


@contextlib.contextmanager
def process(args, log, env=None, cwd=None, inherit=True):
    """Start ``args`` with its output in ``log``; terminate (then kill) it on exit.

    ``env`` is added to the test process's environment, or is the whole environment
    when ``inherit`` is false (a deployer's shell, without the test layers' settings).
    """
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **(env or {})} if inherit else dict(env or {})
    with log.open("ab") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=cwd
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@contextlib.contextmanager
def zope_server(home, port, env=None, host="127.0.0.1", inherit=True):
    """Serve the instance in ``home`` with ``runwsgi``; yield its base URL
    (``env``, ``inherit``: see :func:`process`)."""
    with zope_process(home, port, env=env, host=host, inherit=inherit) as (_proc, url, _logs):
        yield url


@contextlib.contextmanager
def zope_process(home, port, env=None, host="127.0.0.1", inherit=True):
    """:func:`zope_server`, yielding ``(process, base URL, logs)`` for tests that signal
    the server or read its logs."""
    home = Path(home)
    log = home / "var" / "log" / "console.log"
    logs = [log, home / "var" / "log" / "event.log"]
    args = [str(BIN / "runwsgi"), str(home / "etc" / "zope.ini")]
    with process(args, log, env=env, cwd=home, inherit=inherit) as proc:
        url = f"http://{host}:{port}"
        wait_until(lambda: answers_http(url + "/"), 180, f"Zope on port {port}", proc, logs)
        yield proc, url, logs


@contextlib.contextmanager
def zeo_server(conf, port, env=None, host="127.0.0.1", inherit=True):
    """Serve ``conf`` (written by ``write_zeo``) with ``runzeo``; yield the process.

    The logs are ``var/log/console.log`` and ``var/log/zeo.log`` beside ``etc/``.
    """
    home = Path(conf).resolve().parent.parent
    logs = [home / "var" / "log" / name for name in ("console.log", "zeo.log")]
    with process([str(BIN / "runzeo"), "-C", str(conf)], logs[0], env=env, inherit=inherit) as proc:
        wait_until(lambda: port_open(port, host), 180, f"ZEO server {host}:{port}", proc, logs)
        yield proc
