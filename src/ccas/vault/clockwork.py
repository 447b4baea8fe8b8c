"""The clock inside the Zope server: the clock jobs run by the process that serves (decision 0032).

A Zope process started by ``runwsgi`` (``make start``, ``make start-zeo``,
``make start-pg``, a systemd unit) starts one daemon thread when it is ready to
serve (``IProcessStarting``).  About five seconds later, then every
``CCAS_VAULT_CLOCK_INTERVAL`` seconds, the thread opens its own connection to
the application's database and, for each Plone site where ``ccas.vault`` is
installed, as Zope's system user:

1. runs the clock jobs (:func:`ccas.vault.clock.run_clock`: expiry, reminders,
   mandates, share links, closures, tombstones) in one transaction, retried on
   conflicts, exactly as ``ccas-vault-clock`` does — on the first tick, then
   whenever the date (Europe/Paris, :func:`ccas.vault.clock.paris_now`) is not
   the one of their last run, and at least every :data:`DATED_JOBS_SECONDS`:
   they go through every paper, and what they act on changes with the date
   (access itself is checked against the date at each request);
2. drains the PAdES signing queue of GED letters (decision 0014), one
   transaction per letter;
3. when ``CCAS_VAULT_GED_DROP_FOLDER`` names a folder holding a
   ``manifest.csv`` with letters not imported yet, imports them as
   ``ccas-vault-ged-import`` does (connector account ``ged-import``; the run's
   ``report-<time>.csv`` is written in the folder); likewise the partners'
   folders under ``CCAS_VAULT_PARTNER_DROP_FOLDER`` when the connector
   ``partner-drop-folder`` is switched on (``ccas-vault-partner-import``,
   decision 0055);
4. once a night, the integrity check (:func:`ccas.vault.clock.nightly_check`,
   ``ccas-vault-check``'s site-level checks, read-only; decision 0040).

The jobs only look at the current state, so a tick costs a few catalog queries
when there is nothing to do, and the dated jobs, which wake every paper, run
when the day changes (or hourly) rather than every minute.  An error is logged with its
traceback (logger ``ccas.vault.clockwork``) and the next tick tries again: the
thread never dies of it.  At process exit the thread is told to stop and a
tick under way is given a few seconds to finish (what it has not committed is
simply not done).

When it runs: ``CCAS_VAULT_CLOCK_INTERVAL`` (seconds, set in the ``<environment>``
section of ``zope.conf`` by ``ccas-vault-instance init --clock-interval``, 60
by default) is above 0 **and** the process is a server started by Zope's
``serve`` command (:func:`serving`: ``runwsgi``, ``plonectl start``, buildout's
``bin/instance fg``).  The ``ccas-vault-*`` scripts read the same
``zope.conf`` and notify the same event, but serve nothing: they never start
it; neither do the test layers, which never notify the event.  With several
Zope clients of one database (ZEO, RelStorage), let one client run it
(``--clock-interval 0`` for the others): two would do the same work and
conflict.
"""

# Before ccas.vault.security: AccessControl.SpecialUsers.system stays None until
# AccessControl.users is imported.
from AccessControl import users  # noqa: F401
from ccas.vault import public_url
from pathlib import Path
import atexit
import logging
import os
import sys
import threading
import time
import transaction


logger = logging.getLogger("ccas.vault.clockwork")

INTERVAL_VAR = "CCAS_VAULT_CLOCK_INTERVAL"
DROP_FOLDER_VAR = "CCAS_VAULT_GED_DROP_FOLDER"
#: Seconds between the process start and the first tick (at most the interval).
FIRST_TICK_SECONDS = 5.0
#: Seconds a tick under way is given to finish at process exit.
STOP_TIMEOUT_SECONDS = 10.0
#: Seconds after which the dated jobs run again on the same date (appointment
#: reminders of the day before, closures and share links ending during the day).
DATED_JOBS_SECONDS = 3600.0
#: The depositor recorded for the letters of the drop folder (as ``ccas-vault-ged-import``).
DROP_FOLDER_CONNECTOR = "ged-import"
PRODUCT_PROFILE = "ccas.vault:default"

_running = None  # the process's Clockwork, once started


def interval(environ=None):
    """Seconds between two ticks from ``CCAS_VAULT_CLOCK_INTERVAL``; ``0`` when unset,
    empty, ``0`` or not a number (logged)."""
    environ = os.environ if environ is None else environ
    text = (environ.get(INTERVAL_VAR) or "").strip()
    if not text:
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        logger.error(
            "%s=%r is not a number of seconds: no clock in this process", INTERVAL_VAR, text
        )
        return 0.0
    return seconds if seconds > 0 else 0.0


def serving():
    """Whether this process is a server started by Zope's ``serve`` command: ``runwsgi``,
    ``plonectl start``, or buildout's ``bin/instance fg`` (which runs ``serve.py`` as a
    script) — not a ``ccas-vault-*`` script, a test, a debug shell."""
    if "Zope2.Startup.serve" in sys.modules:
        return True
    main = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    return Path(main).parts[-3:] == ("Zope2", "Startup", "serve.py")


def process_starting(event):
    """``IProcessStarting`` subscriber: start the clock in a serving process when asked."""
    seconds = interval()
    if not seconds:
        return
    if not serving():
        logger.debug("not a runwsgi server: no clock in this process")
        return
    start(seconds)


def start(seconds, first=None):
    """Start the process's clock thread (once); return its :class:`Clockwork`."""
    global _running
    if _running is None:
        import Zope2

        _running = Clockwork(Zope2.bobo_application, seconds, first)
        _running.start()
        atexit.register(_running.stop)
    return _running


class Clockwork:
    """A daemon thread ticking every ``seconds`` over the database of ``application``
    (a :class:`App.ZApplication.ZApplicationWrapper`: calling it opens a connection)."""

    def __init__(self, application, seconds, first=None):
        self.application = application
        self.seconds = seconds
        self.first = min(seconds, FIRST_TICK_SECONDS) if first is None else first
        self.ticks = 0
        self.dated_runs = {}  # site id -> (Paris date, monotonic time) of the last dated run
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ccas.vault clock", daemon=True)

    def start(self):
        logger.info("clock: every %g s in this process (%s)", self.seconds, INTERVAL_VAR)
        self.thread.start()

    def stop(self, timeout=STOP_TIMEOUT_SECONDS):
        """Ask the thread to stop; wait up to ``timeout`` seconds for a tick under way."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)
        if self.thread.is_alive():
            logger.warning("clock: a tick still runs at exit; what it did not commit is not done")
        else:
            logger.info("clock: stopped after %s ticks", self.ticks)

    def _run(self):
        delay = self.first
        while not self._stop.wait(delay):
            try:
                self.tick()
            except Exception:
                logger.exception("clock: the tick failed; next one in %g s", self.seconds)
            self.ticks += 1
            delay = self.seconds

    def tick(self):
        """Run every job once on every ``ccas.vault`` site of the database."""
        from AccessControl.SecurityManagement import newSecurityManager
        from AccessControl.SecurityManagement import noSecurityManager
        from AccessControl.users import system
        from Testing.makerequest import makerequest
        from zope.globalrequest import clearRequest
        from zope.globalrequest import setRequest

        transaction.begin()
        app = self.application()  # a connection of its own, closed below
        try:
            app = makerequest(app, environ=public_url.request_environ())  # mails' links
            app.REQUEST["PARENTS"] = [app]
            setRequest(app.REQUEST)
            newSecurityManager(None, system)
            for site_id in _sites(app):
                if self._stop.is_set():
                    break
                failed = run_site(app, site_id, dated=self._dated_due(site_id))
                if "clock jobs" in failed:
                    # Not done (e.g. the database server lost during the commit): the
                    # next tick runs them again rather than an hour later (decision 0041).
                    self.dated_runs.pop(site_id, None)
        finally:
            transaction.abort()
            noSecurityManager()
            clearRequest()
            app._p_jar.close()

    def _dated_due(self, site_id, moment=None):
        """Whether the dated jobs of ``site_id`` run on this tick (and note it if so)."""
        from ccas.vault import clock

        today = clock.paris_now().date()
        moment = time.monotonic() if moment is None else moment
        last = self.dated_runs.get(site_id)
        if last is not None and last[0] == today and moment - last[1] < DATED_JOBS_SECONDS:
            return False
        self.dated_runs[site_id] = (today, moment)
        return True


def _sites(app):
    """Ids of the Plone sites of ``app`` where ``ccas.vault`` is installed."""
    from Products.CMFPlone.interfaces import IPloneSiteRoot

    ids = []
    for site_id, obj in app.objectItems():
        if not IPloneSiteRoot.providedBy(obj):
            continue
        setup = getattr(obj, "portal_setup", None)
        if setup is not None and setup.getLastVersionForProfile(PRODUCT_PROFILE) != "unknown":
            ids.append(site_id)
    return ids


def run_site(app, site_id, dated=True):
    """The clock jobs (when ``dated``), the signing queue and the drop folder on one site;
    each job's error is logged and does not stop the others.  Returns the names of the
    jobs that failed."""
    from ccas.vault import clock
    from zope.component.hooks import setSite

    site = app[site_id]
    setSite(site)
    failed = []
    try:
        jobs = [
            ("signing queue", _drain),
            ("GED drop folder", _import_drop_folder),
            ("partner drop folders", _import_partner_folders),
            # Logs its own result (logger ccas.vault.check) and writes its report file.
            ("integrity check", lambda: clock.nightly_check(site) and None),
        ]
        if dated:
            jobs.insert(0, ("clock jobs", lambda: clock._run_in_transaction(site, None)))
            # after the clock jobs: the connectors' monthly refresh (decision 0051)
            jobs.insert(1, ("connector refresh", _refresh_connectors))
        for name, job in jobs:
            try:
                report = job()
            except Exception:
                transaction.abort()
                logger.exception("clock: %s of site %r failed", name, site_id)
                failed.append(name)
                continue
            _log(site_id, name, report)
    finally:
        setSite(None)
    return failed


def _refresh_connectors():
    """The connectors' scheduled refresh (one transaction per person); a one-line summary
    when something was done, else ``None``."""
    from ccas.vault.connectors import schedule  # like the other jobs: Plone loaded by now

    transaction.begin()
    counts = schedule.refresh_due(commit=True)
    transaction.commit()
    if any(counts.values()):
        return f"connectors: {counts['refreshed']} refreshed, {counts['failed']} failed"
    return None


def _drain():
    from ccas.vault import clock

    transaction.begin()  # a fresh view: the letters delivered since the last tick
    return clock._drain_signing_queue()


def _log(site_id, name, report):
    from ccas.vault import clock

    if report is None:
        return
    if name == "clock jobs":
        if any(report.values()):
            logger.info("%s: %s", site_id, clock.summary(report))
    elif name == "signing queue":
        if report.signed or report.failed or report.errors:
            logger.info("%s: %s", site_id, report.summary())
    else:
        logger.info("%s: %s", site_id, report)


def drop_folder():
    """The GED drop folder (``CCAS_VAULT_GED_DROP_FOLDER``), or ``None``."""
    value = (os.environ.get(DROP_FOLDER_VAR) or "").strip()
    return Path(value) if value else None


def _import_drop_folder():
    """Import the letters waiting in the drop folder; the one-line summary, or ``None``
    (no folder configured, nothing waiting)."""
    from ccas.vault.letters import drop_folder as folders
    from ccas.vault.security import as_system

    folder = drop_folder()
    if folder is None:
        return None
    if not folder.is_dir():
        logger.warning("clock: %s=%s is not a folder", DROP_FOLDER_VAR, folder)
        return None
    if not folders.waiting_letters(folder):
        return None
    with as_system():
        rows = folders.import_folder(folder, DROP_FOLDER_CONNECTOR)
    report = folders.write_report(folder, rows)
    return f"{folders.summary(rows)} (report: {report.name})"


def _import_partner_folders():
    """Import the partners' folders with papers waiting (decision 0055); the summary, or
    ``None`` (no root configured, connector off, nothing waiting)."""
    from ccas.vault.connectors import settings as connector_settings
    from ccas.vault.partners import CONNECTOR
    from ccas.vault.partners.connector import root_folder

    root = root_folder()
    if root is None:
        return None
    transaction.begin()  # a fresh view of the switch
    if not connector_settings.is_enabled(CONNECTOR):
        return None
    if not root.is_dir():
        logger.warning("clock: the partners' drop folder %s is not a folder", root)
        return None
    summary = connector_settings.get_connector(CONNECTOR).collect(
        connector_settings.get_settings(CONNECTOR), root=root
    )
    partners = {k: v for k, v in summary.items() if k != "failed"}
    if not partners:
        return None
    return "partner-import: " + "; ".join(
        f"{name} " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
        for name, counts in sorted(partners.items())
    )
