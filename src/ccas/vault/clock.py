"""``ccas-vault-clock``: the jobs that run by date (expirations, closures).

What it does, in one transaction:

1. papers (*deposited* or *certified*) whose ``valid_until`` is before today
   (Europe/Paris) become *expired*; *expired* papers whose ``valid_until`` was
   moved to today or later (or removed) become valid again (*deposited*);
   replaced (*superseded*) papers are never touched;
2. vaults whose closure was requested and whose grace period is over are
   deleted (papers, spaces, history, the person's account), leaving only an
   anonymous tombstone (:mod:`ccas.vault.tombstones`).

Every job looks at the current state only, so running the clock twice (or
after a missed night) is safe: the second run changes nothing.  A database
conflict (another Zope client writing at the same time) retries the whole run,
three times at most.

Usage::

    ccas-vault-clock ZOPE_CONF [--site ccas] [--now 2026-12-01T03:00]

``ZOPE_CONF`` is the instance's ``etc/zope.conf`` (``var/instance/etc/zope.conf``,
or a ZEO client's).  ``--now`` (ISO date-time; Europe/Paris when no offset is
given) replays a given moment, for tests and catch-ups.  It prints one line
(``clock: 3 documents expired, 0 renewed, 0 mandates expired, 1 vault closed``) and exits 0; an
error exits non-zero with a traceback, so cron mails it.

Cron (every night at 03:15, as the user that runs Zope)::

    MAILTO=admin@ccas.example
    15 3 * * *  zope  /srv/ccas/.venv/bin/ccas-vault-clock /srv/ccas/var/instance/etc/zope.conf

systemd: ``/etc/systemd/system/ccas-vault-clock.service``::

    [Unit]
    Description=ccas.vault clock jobs (expirations, closures)
    After=network.target

    [Service]
    Type=oneshot
    User=zope
    ExecStart=/srv/ccas/.venv/bin/ccas-vault-clock /srv/ccas/var/instance/etc/zope.conf

and ``/etc/systemd/system/ccas-vault-clock.timer``::

    [Unit]
    Description=Run the ccas.vault clock every night

    [Timer]
    OnCalendar=*-*-* 03:15:00 Europe/Paris
    Persistent=true

    [Install]
    WantedBy=timers.target

then ``systemctl enable --now ccas-vault-clock.timer``; ``Persistent=true``
runs a missed night at the next boot.  With the embedded database (one Zope
process holding ``Data.fs``) the script cannot open the database while Zope
runs: use the ZEO mode (``make start-zeo``) and point the script at a ZEO
client's ``zope.conf``.

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
from plone import api
from ZODB.POSException import ConflictError
from zoneinfo import ZoneInfo
from zope.component.hooks import getSite
from zope.component.hooks import setSite
import argparse
import sys
import transaction


PARIS = ZoneInfo("Europe/Paris")
RETRIES = 3
VALID_STATES = ("deposited", "certified")


def paris_now(now=None):
    """``now`` (default: the current time) as an aware Europe/Paris date-time.

    A naive ``now`` is read as Paris time.
    """
    if now is None:
        return datetime.now(PARIS)
    if now.tzinfo is None:
        return now.replace(tzinfo=PARIS)
    return now.astimezone(PARIS)


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
