"""The product's clock: what time it is, and the jobs that run by date.

**What time it is.** :func:`paris_now` is the current time, Europe/Paris.  On a
real instance it can be moved, for demonstrations and training (decision
0032): when ``CCAS_VAULT_NOW_FILE`` names a file holding an ISO date-time ``T``
(Europe/Paris when it has no offset), :func:`paris_now` answers ``T`` plus the
real time elapsed since the file was written ("set the clock to ``T``, time
passes from there").  Writing the file again moves the clock while the site
runs; a missing or empty file means real time; a file that holds no date-time
is logged once and ignored (real time).  ``ccas-vault-instance init --now-file
PATH`` sets the variable in the instance's ``zope.conf``.  Only the product's
rules read this clock (expiry, mandates, closures, reminders, share links,
appointments); Zope, the catalog and the history's timestamps keep real time.

**The jobs**, in one transaction:

1. papers (*deposited* or *certified*) whose ``valid_until`` is before today
   (Europe/Paris) become *expired*; *expired* papers whose ``valid_until`` was
   moved to today or later (or removed) become valid again (*deposited*);
   replaced (*superseded*) papers are never touched;
2. expiry reminders and appointment reminders are sent, mandates past their end
   expire, share links past their end expire;
3. vaults whose closure was requested and whose grace period is over are
   deleted (papers, spaces, history, the person's account), leaving only an
   anonymous tombstone (:mod:`ccas.vault.tombstones`);

then the PAdES signing queue of GED letters is drained (decision 0014), one
transaction per letter.

Once a night, the in-server clock (:mod:`ccas.vault.clockwork`; with cron,
run ``ccas-vault-check`` from cron instead) calls :func:`nightly_check`: at
its first tick at or after ``CCAS_VAULT_CHECK_HOUR`` (3 by default, real
Europe/Paris time) it runs the integrity checker's site-level checks
(``ccas-vault-check``: catalog, GED receipts, papers' files and hashes,
histories; decision 0040), read-only; on Sundays the storage walk
too.  The result is logged (logger ``ccas.vault.check``: a warning per problem)
and written to ``var/ccas-vault-check-<site>.json`` in the instance, for
monitoring; its date is what says the night's check was done.

Every job looks at the current state only, so running the clock twice (or
after a missed night) is safe: the second run changes nothing.  A database
conflict (another Zope client writing at the same time) retries the whole run,
three times at most.

**Where it runs.** By default inside the Zope process itself
(:mod:`ccas.vault.clockwork`, decision 0032): a thread of the server started by
``runwsgi`` runs these jobs every ``CCAS_VAULT_CLOCK_INTERVAL`` seconds (60 in
the ``zope.conf`` that ``ccas-vault-instance init`` writes; ``--clock-interval
0`` switches it off).  Nothing to install: ``make start`` and ``make
start-zeo`` (whose first client runs it) have it.

**The script**, for deployments that switch the in-process clock off and run
it from cron or a systemd timer instead (against a ZEO client: with the
embedded database, the running Zope holds the lock on ``Data.fs``)::

    ccas-vault-clock ZOPE_CONF [--site ccas] [--now 2026-12-01T03:00]

``ZOPE_CONF`` is the instance's ``etc/zope.conf`` (a ZEO client's).  ``--now``
(ISO date-time; Europe/Paris when no offset is given) replays a given moment,
for tests and catch-ups.  It prints one line (``clock: 3 documents expired, 0
renewed, 0 mandates expired, 1 vault closed``) and exits 0; an error exits
non-zero with a traceback, so cron mails it.

Cron (every night at 03:15, as the user that runs Zope)::

    MAILTO=admin@ccas.example
    15 3 * * *  zope  /srv/ccas/.venv/bin/ccas-vault-clock /srv/ccas/var/client1/etc/zope.conf

systemd: ``/etc/systemd/system/ccas-vault-clock.service``::

    [Unit]
    Description=ccas.vault clock jobs (expirations, closures)
    After=network.target

    [Service]
    Type=oneshot
    User=zope
    ExecStart=/srv/ccas/.venv/bin/ccas-vault-clock /srv/ccas/var/client1/etc/zope.conf

and ``/etc/systemd/system/ccas-vault-clock.timer``::

    [Unit]
    Description=Run the ccas.vault clock every night

    [Timer]
    OnCalendar=*-*-* 03:15:00 Europe/Paris
    Persistent=true

    [Install]
    WantedBy=timers.target

then ``systemctl enable --now ccas-vault-clock.timer``; ``Persistent=true``
runs a missed night at the next boot.

Deleted papers leave the database file only when it is packed: pack it
regularly (e.g. ``zeopack``) so that closed vaults are really gone.
"""

# Before ccas.vault.security: it binds AccessControl.SpecialUsers.system, which
# stays None until AccessControl.users is imported (a script imports it late).
from AccessControl import users  # noqa: F401
from ccas.vault import permissions
from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from ccas.vault.security import as_system
from ccas.vault.security import check_permission
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from plone import api
from ZODB.POSException import ConflictError
from zoneinfo import ZoneInfo
from zope.component.hooks import getSite
from zope.component.hooks import setSite
import argparse
import logging
import os
import sys
import threading
import time
import transaction


logger = logging.getLogger("ccas.vault.clock")

PARIS = ZoneInfo("Europe/Paris")
RETRIES = 3
VALID_STATES = ("deposited", "certified")
#: Environment variable naming the now-file (see the module's docstring).
NOW_FILE_VAR = "CCAS_VAULT_NOW_FILE"


def paris_now(now=None):
    """``now`` (default: the current time) as an aware Europe/Paris date-time.

    A naive ``now`` is read as Paris time.  Without ``now``, the current time is
    the real one, or the now-file's when ``CCAS_VAULT_NOW_FILE`` is set.
    """
    if now is None:
        return _now_file_time() or datetime.now(PARIS)
    if now.tzinfo is None:
        return now.replace(tzinfo=PARIS)
    return now.astimezone(PARIS)


class _NowFile:
    """The now-file last read: its identity (path, mtime, size) and the moment it set.

    Read again only when its modification time (or size, or path) changes.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.key = None
        self.moment = None  # aware Paris date-time written in the file, or None

    def read(self, path):
        """``(moment, mtime)`` of the file at ``path``, or ``None`` for real time."""
        try:
            stat = os.stat(path)
        except OSError:
            return None  # no file: real time
        key = (path, stat.st_mtime_ns, stat.st_size)
        with self.lock:
            if key != self.key:
                self.moment = parse_now_file(path)
                self.key = key
            moment = self.moment
        return None if moment is None else (moment, stat.st_mtime)


_now_file = _NowFile()


def parse_now_file(path):
    """The moment written in the now-file ``path`` (aware, Paris), or ``None``.

    An empty or missing file is ``None`` (real time); a file whose content is
    no ISO date or date-time is ``None`` too, with a warning in the log.
    """
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    except UnicodeDecodeError:
        text = None
    if text == "":
        return None
    try:
        return paris_now(datetime.fromisoformat(text))
    except (TypeError, ValueError):
        logger.warning(
            "%s=%s holds no ISO date-time (%r): the clock keeps real time",
            NOW_FILE_VAR,
            path,
            (text or "")[:40],
        )
        return None


def _now_file_time():
    """The now-file's time (its moment + real time elapsed since it was written), or ``None``."""
    path = os.environ.get(NOW_FILE_VAR)
    if not path:
        return None
    read = _now_file.read(path)
    if read is None:
        return None
    moment, written = read
    return moment + timedelta(seconds=max(0.0, time.time() - written))


def _expired(valid_until, today):
    return valid_until is not None and valid_until < today


CLOCK_ACTOR = "ccas-vault-clock"  # recorded as the actor of what the clock does


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def expire_documents(portal, now=None):
    """Expire and renew papers by their ``valid_until`` date; return ``(expired, renewed)``."""
    today = paris_now(now).date()
    catalog = portal.portal_catalog
    brains = catalog.unrestrictedSearchResults(
        portal_type="VaultDocument", review_state=[*VALID_STATES, "expired"]
    )
    documents = [brain._unrestrictedGetObject() for brain in brains]
    expired = renewed = 0
    from ccas.vault.policies.expiry import flag_only  # workflow policy: only a badge

    flag = flag_only()
    with as_system():
        for document in documents:
            state = api.content.get_state(document)
            is_past = _expired(_as_date(document.valid_until), today)
            if state in VALID_STATES and is_past and not flag:
                api.content.transition(obj=document, transition="expire")
                history.record(vault_of(document), "expired", actor=CLOCK_ACTOR, target=document)
                expired += 1
            elif state == "expired" and not is_past:
                # A certified paper stays certified: its seal does not expire with it.
                renew = "renew_certified" if document.certification else "renew"
                api.content.transition(obj=document, transition=renew)
                history.record(vault_of(document), "renewed", actor=CLOCK_ACTOR, target=document)
                renewed += 1
    return expired, renewed


def run_clock(portal, now=None):
    """Run every clock job once; return the counts of what each did.

    Keys: ``expired`` and ``renewed`` (papers), ``mandates_expired``, ``closed`` (vaults),
    and ``tombstones_purged`` when tombstones older than the ``closing-rules``
    policy's retention were deleted, ``appointment_reminders`` when reminders of tomorrow's
    appointments were sent (:mod:`ccas.vault.appointments.reminders`).
    Expiry reminders (:mod:`ccas.vault.account.reminders`) are sent too, not counted here.

    Needs ``Run clock jobs``, which only the system user holds.  ``now``
    (aware, or naive Paris time) defaults to the current time.
    """
    from ccas.vault.api.closing import close_due_vaults  # imports this module
    from ccas.vault.api.mandates import expire_mandates

    check_permission(permissions.RUN_CLOCK, portal)
    now = paris_now(now)
    expired, renewed = expire_documents(portal, now)
    from ccas.vault.account.recovery import purge_throttle
    from ccas.vault.account.reminders import send_reminders  # before the expiry date

    send_reminders(portal, now)  # idempotent: once per (paper, end date, delay)
    from ccas.vault.appointments.reminders import send_appointment_reminders

    appointment_reminders = send_appointment_reminders(portal, now)  # once per appointment
    purge_throttle(now)
    mandates_expired = expire_mandates(portal, now)
    from ccas.vault.sharing.links import expire_links  # share links past their end

    expire_links(portal, now)
    closed = close_due_vaults(now)
    from ccas.vault.policies.closing import tombstone_retention_days
    from ccas.vault.tombstones import purge_tombstones

    purged = purge_tombstones(tombstone_retention_days(), now.date())
    counts = {
        "expired": expired,
        "renewed": renewed,
        "mandates_expired": mandates_expired,
        "closed": len(closed),
    }
    if purged:
        counts["tombstones_purged"] = purged
    if appointment_reminders:
        counts["appointment_reminders"] = appointment_reminders
    return counts


def summary(counts):
    """One line for the cron mail."""

    def plural(count, word):
        return f"{count} {word}{'' if count == 1 else 's'}"

    line = (
        f"clock: {plural(counts['expired'], 'document')} expired, "
        f"{counts['renewed']} renewed, "
        f"{plural(counts.get('mandates_expired', 0), 'mandate')} expired, "
        f"{plural(counts['closed'], 'vault')} closed"
    )
    if counts.get("appointment_reminders"):
        line += f", {plural(counts['appointment_reminders'], 'appointment reminder')} sent"
    return line


def _parse_now(text):
    """``--now``: an ISO date or date-time, Europe/Paris unless an offset is given."""
    return paris_now(datetime.fromisoformat(text)) if text else None


def _opened_app(zope_conf):
    """The Zope application of ``zope_conf`` (see ``scripts.instance.opened_app``)."""
    from ccas.vault.scripts.instance import opened_app

    return opened_app(zope_conf)


def _run_in_transaction(site, now):
    """``run_clock`` as system in a transaction, retried on ``ConflictError``."""
    for attempt in range(1, RETRIES + 1):
        transaction.begin()
        try:
            with as_system():
                counts = run_clock(site, now)
            transaction.commit()
            return counts
        except ConflictError:
            transaction.abort()
            if attempt == RETRIES:
                raise
        except BaseException:
            transaction.abort()
            raise
    raise AssertionError("unreachable")


#: Environment variable: the Paris hour from which the nightly check runs (default 3).
CHECK_HOUR_VAR = "CCAS_VAULT_CHECK_HOUR"
CHECK_HOUR = 3
#: The day (``date.weekday()``) the nightly check walks the whole storage too: Sunday.
STORAGE_CHECK_WEEKDAY = 6


_check_attempts = {}  # report path -> Paris date of this process's last attempt


def check_hour(environ=None):
    """The Paris hour from which the nightly check runs (``CCAS_VAULT_CHECK_HOUR``)."""
    text = ((os.environ if environ is None else environ).get(CHECK_HOUR_VAR) or "").strip()
    try:
        return min(max(int(text), 0), 23) if text else CHECK_HOUR
    except ValueError:
        return CHECK_HOUR


def check_report_path(site, directory=None):
    """Where the nightly check writes its report: ``<clienthome>/ccas-vault-check-<site>.json``."""
    if directory is None:
        from App.config import getConfiguration

        directory = getattr(getConfiguration(), "clienthome", None) or "."
    return Path(directory) / f"ccas-vault-check-{site.getId()}.json"


def _last_check_date(path):
    import json

    try:
        return datetime.fromisoformat(json.loads(path.read_text())["when"]).astimezone(PARIS).date()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def nightly_check(site, now=None, force=False, directory=None):
    """Run the integrity checker on ``site`` once a night; its report, or ``None`` when not due.

    Due at the first call on a date at or after :func:`check_hour` whose report
    file (:func:`check_report_path`) is not of that date; ``force`` runs it
    anyway.  Read-only (the transaction is aborted); the storage walk only on
    :data:`STORAGE_CHECK_WEEKDAY`.
    """
    from ccas.vault.check import check_site
    from ccas.vault.check import check_storage
    from ccas.vault.check.report import Report
    import json

    # Real time, not the product's (moved) clock: an operations job, not a product rule.
    now = datetime.now(PARIS) if now is None else paris_now(now)
    path = check_report_path(site, directory)
    if not force and (
        now.hour < check_hour()
        or _check_attempts.get(path) == now.date()
        or _last_check_date(path) == now.date()
    ):
        return None
    _check_attempts[path] = now.date()  # once a night, even when it fails
    check_logger = logging.getLogger("ccas.vault.check")
    report = Report()
    transaction.begin()  # a fresh view of the database
    try:
        if now.weekday() == STORAGE_CHECK_WEEKDAY:
            started = time.monotonic()
            check_storage(site._p_jar.db().storage, report)
            report.seconds["storage"] = time.monotonic() - started
        started = time.monotonic()
        check_site(site, report=report)
        report.seconds["site"] = time.monotonic() - started
    finally:
        transaction.abort()
    result = {"when": now.isoformat(timespec="seconds"), "summary": report.summary()}
    result.update(report.as_dict())
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    temporary.replace(path)
    for problem in report.problems:
        check_logger.warning(
            "%s: %s %s: %s", site.getId(), problem.kind, problem.path, problem.message_en
        )
    if report.problems:
        check_logger.error("%s: %s (report: %s)", site.getId(), report.summary(), path)
    else:
        check_logger.info("%s: %s", site.getId(), report.summary())
    return report


def _drain_signing_queue():
    """PAdES-sign the GED letters left in the signing queue (decision 0014), one
    transaction each."""
    from ccas.vault.certification import signing_queue

    with as_system():
        return signing_queue.drain()


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="ccas-vault-clock", description="Run the ccas.vault clock jobs once."
    )
    parser.add_argument("zope_conf", metavar="ZOPE_CONF", help="the instance's zope.conf")
    parser.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    parser.add_argument("--now", help="ISO date-time to run at (default: now, Europe/Paris)")
    args = parser.parse_args(argv)
    try:
        now = _parse_now(args.now)
    except ValueError:
        parser.error(f"--now: not an ISO date-time: {args.now!r}")
    with _opened_app(args.zope_conf) as app:
        if args.site not in app.objectIds():
            parser.error(f"no site {args.site!r} in this database")
        previous = getSite()
        setSite(app[args.site])
        try:
            counts = _run_in_transaction(app[args.site], now)
            signing = _drain_signing_queue()
        finally:
            setSite(previous)
    print(summary(counts))
    if signing.signed or signing.failed or signing.errors:
        print(signing.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
