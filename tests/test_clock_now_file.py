"""The product's clock can be set through a file: "it is T now, time passes from there".

``CCAS_VAULT_NOW_FILE`` names a file holding an ISO date-time (Europe/Paris
when it has no offset); ``paris_now()`` answers that moment plus the real time
elapsed since the file was written, reads the file again when it changes, and
keeps real time when the file is missing, empty or unreadable (decision 0032).
Also here: what ``ccas-vault-instance init`` writes for the clock, and when a
process starts the in-process clock (:mod:`ccas.vault.clockwork`).
"""

from ccas.vault import clock
from ccas.vault import clockwork
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from servers import BIN
from servers import run
from zoneinfo import ZoneInfo
import logging
import os
import pytest
import sys
import threading
import time


PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def now_file(tmp_path, monkeypatch):
    """A now-file path (not written yet), named by ``CCAS_VAULT_NOW_FILE``."""
    path = tmp_path / "now"
    monkeypatch.setenv(clock.NOW_FILE_VAR, str(path))
    return path


def write(path, text, age=0.0):
    """Write ``text`` as if it had been written ``age`` seconds ago."""
    path.write_text(text)
    written = time.time() - age
    os.utime(path, (written, written))


def close_to(moment, expected, seconds=2.0):
    return abs((moment - expected).total_seconds()) < seconds


def real_now():
    return datetime.now(PARIS)


def test_without_the_variable_the_clock_is_real_time(monkeypatch):
    monkeypatch.delenv(clock.NOW_FILE_VAR, raising=False)
    assert close_to(clock.paris_now(), real_now())


def test_the_file_sets_the_moment_and_time_passes_from_its_writing(now_file):
    write(now_file, "2031-02-03T10:00", age=90)
    now = clock.paris_now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(hours=1)  # Paris, winter
    assert close_to(now, datetime(2031, 2, 3, 10, 1, 30, tzinfo=PARIS))
    time.sleep(1.1)
    assert clock.paris_now() - now >= timedelta(seconds=1)  # the clock runs


def test_a_date_alone_is_midnight_in_paris(now_file):
    write(now_file, "2030-07-14\n")
    assert close_to(clock.paris_now(), datetime(2030, 7, 14, tzinfo=PARIS))


def test_an_offset_is_honoured_and_the_answer_is_paris_time(now_file):
    write(now_file, "2030-07-14T08:00:00+00:00")
    now = clock.paris_now()
    assert now.utcoffset() == timedelta(hours=2)  # Paris, summer
    assert close_to(now, datetime(2030, 7, 14, 10, 0, tzinfo=PARIS))


@pytest.mark.parametrize("content", [None, "", "  \n"])
def test_a_missing_or_empty_file_is_real_time(now_file, content):
    if content is not None:
        write(now_file, content)
    assert close_to(clock.paris_now(), real_now())


def test_writing_the_file_again_moves_the_clock_while_running(now_file):
    write(now_file, "2030-01-01T09:00", age=10)
    assert clock.paris_now().date().isoformat() == "2030-01-01"
    write(now_file, "2032-05-06T09:00")  # a later modification time: read again
    assert close_to(clock.paris_now(), datetime(2032, 5, 6, 9, 0, tzinfo=PARIS))
    now_file.unlink()  # removed: real time again
    assert close_to(clock.paris_now(), real_now())


def test_the_file_is_read_once_per_writing(now_file, monkeypatch):
    write(now_file, "2030-01-01T09:00")
    reads = []
    parse = clock.parse_now_file
    monkeypatch.setattr(clock, "parse_now_file", lambda path: reads.append(path) or parse(path))
    for _ in range(50):
        clock.paris_now()
    write(now_file, "2030-01-02T09:00", age=-5)  # another modification time
    for _ in range(50):
        clock.paris_now()
    assert len(reads) <= 2  # 0 when the first moment was cached before the patch


def test_a_malformed_file_is_real_time_with_one_warning(now_file, caplog):
    write(now_file, "next tuesday")
    with caplog.at_level(logging.WARNING, logger="ccas.vault.clock"):
        for _ in range(20):
            assert close_to(clock.paris_now(), real_now())
    warnings = [r for r in caplog.records if r.name == "ccas.vault.clock"]
    assert len(warnings) == 1
    assert "next tuesday" in warnings[0].getMessage()
    assert str(now_file) in warnings[0].getMessage()
    write(now_file, "2030-03-04T05:06", age=-5)  # corrected: followed at once
    assert close_to(clock.paris_now(), datetime(2030, 3, 4, 5, 6, 5, tzinfo=PARIS), seconds=7)


def test_binary_garbage_is_real_time_too(now_file, caplog):
    now_file.write_bytes(b"\xff\xfe\x00garbage")
    with caplog.at_level(logging.WARNING, logger="ccas.vault.clock"):
        assert close_to(clock.paris_now(), real_now())
    assert len([r for r in caplog.records if r.name == "ccas.vault.clock"]) == 1


def test_an_explicit_moment_ignores_the_file(now_file):
    write(now_file, "2030-01-01T09:00")
    assert clock.paris_now(datetime(2026, 6, 15, 3, 0)) == datetime(2026, 6, 15, 3, 0, tzinfo=PARIS)
    utc = datetime(2026, 6, 15, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert clock.paris_now(utc) == datetime(2026, 6, 15, 3, 0, tzinfo=PARIS)


def test_the_frozen_fixture_still_wins_over_the_file(now_file, frozen):
    write(now_file, "2030-01-01T09:00")
    assert clock.paris_now() == datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)


# --- when the in-process clock runs ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(None, 0), ("", 0), ("0", 0), ("-5", 0), ("60", 60), ("2", 2), (" 0.5 ", 0.5)],
)
def test_the_interval_comes_from_the_environment(value, seconds):
    environ = {} if value is None else {clockwork.INTERVAL_VAR: value}
    assert clockwork.interval(environ) == seconds


def test_an_interval_that_is_no_number_switches_the_clock_off_loudly(caplog):
    with caplog.at_level(logging.ERROR, logger="ccas.vault.clockwork"):
        assert clockwork.interval({clockwork.INTERVAL_VAR: "every minute"}) == 0
    assert "every minute" in caplog.text


def test_a_process_that_does_not_serve_never_starts_the_clock(monkeypatch):
    """A test process, like a ``ccas-vault-*`` script, notifies ``IProcessStarting``
    without serving: no thread, whatever the interval."""
    from zope.event import notify
    from zope.processlifetime import ProcessStarting

    monkeypatch.setenv(clockwork.INTERVAL_VAR, "1")
    assert not clockwork.serving()
    clockwork.process_starting(ProcessStarting())
    notify(ProcessStarting())
    assert clockwork._running is None
    assert "ccas.vault clock" not in [thread.name for thread in threading.enumerate()]


@pytest.mark.parametrize(
    ("main_file", "serves"),
    [
        ("/srv/ccas/.venv/bin/ccas-vault-clock", False),
        ("/srv/ccas/.venv/bin/pytest", False),
        # buildout's bin/instance fg runs Zope's serve.py as the main script
        ("/srv/eggs/Zope-5.13/Zope2/Startup/serve.py", True),
    ],
)
def test_a_server_is_a_process_running_zope_s_serve_command(monkeypatch, main_file, serves):
    import types

    main = types.ModuleType("__main__")
    main.__file__ = main_file
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.delitem(sys.modules, "Zope2.Startup.serve", raising=False)
    assert clockwork.serving() is serves
    monkeypatch.setitem(sys.modules, "Zope2.Startup.serve", types.ModuleType("serve"))
    assert clockwork.serving()  # runwsgi, plonectl start: the module is imported


# --- what ccas-vault-instance init writes ---------------------------------------------------


def environment_of(zope_conf):
    """The ``<environment>`` of ``zope_conf`` as Zope's own schema reads it."""
    from Zope2.Startup.options import ZopeWSGIOptions

    return dict(ZopeWSGIOptions(configfile=str(zope_conf))().configroot.environment)


def test_init_writes_the_clock_into_zope_conf_s_environment(tmp_path):
    home = tmp_path / "instance"
    tool = str(BIN / "ccas-vault-instance")
    run(tool, "init", str(home), "--port", "18080")
    environment = environment_of(home / "etc" / "zope.conf")
    assert environment["CCAS_VAULT_CLOCK_INTERVAL"] == "60"
    assert "CCAS_VAULT_NOW_FILE" not in environment
    assert environment["TZ"] == "Europe/Paris"

    run(tool, "init", str(home), "--clock-interval", "0", "--now-file", str(tmp_path / "now"))
    environment = environment_of(home / "etc" / "zope.conf")
    assert environment["CCAS_VAULT_CLOCK_INTERVAL"] == "0"
    assert environment["CCAS_VAULT_NOW_FILE"] == str((tmp_path / "now").resolve())


def test_instances_written_by_code_run_a_clock_only_when_asked(tmp_path):
    """Tests and benchmarks write their instances with ``write_instance``: no clock unless
    they ask (two ZEO clients with a clock each is no shipped configuration)."""
    from ccas.vault.scripts.instance import write_instance

    write_instance(tmp_path / "a", port=18081)
    assert environment_of(tmp_path / "a" / "etc" / "zope.conf")["CCAS_VAULT_CLOCK_INTERVAL"] == "0"
    write_instance(tmp_path / "b", port=18082, clock_interval=2)
    assert environment_of(tmp_path / "b" / "etc" / "zope.conf")["CCAS_VAULT_CLOCK_INTERVAL"] == "2"


def test_make_start_zeo_runs_the_clock_in_its_first_client_only():
    result = run("make", "-n", "start-zeo", cwd=ROOT)
    inits = [line for line in result.stdout.splitlines() if "ccas-vault-instance init" in line]
    client1 = [line for line in inits if "var/client1" in line]
    client2 = [line for line in inits if "var/client2" in line]
    assert len(client1) == len(client2) == 1
    assert "--clock-interval" not in client1[0]  # the default: 60 seconds
    assert "--clock-interval 0" in client2[0]


def test_the_dated_jobs_run_on_the_first_tick_on_a_new_date_and_hourly(now_file):
    """The jobs that go through every paper run when the date is not the one of their
    last run (the clock moved, or midnight passed), else once an hour — not every tick."""
    ticking = clockwork.Clockwork(application=None, seconds=60)
    write(now_file, "2026-12-01T10:00")
    assert ticking._dated_due("ccas", moment=1000.0)  # first tick
    assert not ticking._dated_due("ccas", moment=1060.0)  # same date, a minute later
    assert ticking._dated_due("other", moment=1060.0)  # each site its own
    assert not ticking._dated_due("ccas", moment=1000.0 + clockwork.DATED_JOBS_SECONDS - 1)
    assert ticking._dated_due("ccas", moment=1000.0 + clockwork.DATED_JOBS_SECONDS)
    last = 1000.0 + clockwork.DATED_JOBS_SECONDS
    write(now_file, "2026-12-09T03:00")  # the clock moved: a new date
    assert ticking._dated_due("ccas", moment=last + 2)
    assert not ticking._dated_due("ccas", moment=last + 4)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080", {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080"}),
        ("https://coffre.ville.fr", {"SERVER_NAME": "coffre.ville.fr", "SERVER_PORT": "443"}),
        ("", {}),
        ("coffre.ville.fr", {}),  # no scheme: not an address, not used
        ("ftp://x", {}),
        ("http://x:notaport", {}),
    ],
)
def test_the_public_address_gives_the_scripts_requests_their_urls(url, expected):
    from ccas.vault import public_url

    environ = public_url.request_environ({public_url.ENV_VAR: url})
    assert {key: environ[key] for key in ("SERVER_NAME", "SERVER_PORT") if key in environ} == (
        expected
    )
    assert (environ.get("HTTPS") == "on") == url.startswith("https://")


def test_a_request_made_by_the_clock_names_the_public_address(monkeypatch):
    from ccas.vault import public_url
    from OFS.Application import Application
    from Testing.makerequest import makerequest

    monkeypatch.setenv(public_url.ENV_VAR, "https://coffre.ville.fr")
    app = makerequest(Application(), environ=public_url.request_environ())
    assert app.REQUEST["SERVER_URL"] == "https://coffre.ville.fr"


def test_init_writes_the_address_people_reach_the_server_at(tmp_path):
    from ccas.vault.scripts.instance import write_instance

    write_instance(tmp_path / "a", host="127.0.0.1", port=8090)
    assert (
        "CCAS_VAULT_PUBLIC_URL http://127.0.0.1:8090\n"
        in (tmp_path / "a/etc/zope.conf").read_text()
    )
    write_instance(tmp_path / "b", host="0.0.0.0", port=80, public_url="https://coffre.ville.fr")
    assert (
        "CCAS_VAULT_PUBLIC_URL https://coffre.ville.fr\n"
        in (tmp_path / "b/etc/zope.conf").read_text()
    )
