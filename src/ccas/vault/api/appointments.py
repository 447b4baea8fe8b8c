"""Appointments in a person's vault: record, list, cancel, the next one (decision 0020).

The person and the agents holding a mandate in force on the vault (any scope)
may use them; everybody else — Manager and Site Administrator included — gets a
``VaultError`` (:mod:`ccas.vault.appointments.rules`).  Each appointment is a
dict: ``id``, ``start`` (aware Europe/Paris ``datetime``), ``place``,
``purpose``, ``with_whom``, ``created_by`` (user id), ``created_at``,
``cancelled``, ``reminded``.  The day before, the clock reminds the person
(:mod:`ccas.vault.appointments.reminders`).
"""

from ccas.vault import clock
from ccas.vault.api.errors import VaultError
from ccas.vault.appointments import rules
from ccas.vault.appointments import storage
from ccas.vault.history import api as history
from ccas.vault.security import current_user_id
from datetime import datetime
from datetime import timedelta


MAX_TEXT = 200
MAX_AHEAD = timedelta(days=2 * 366)


def _field(value, name_fr, required=True):
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise VaultError(f"{name_fr}: not text", f"« {name_fr} » doit être du texte.", "invalid")
    value = " ".join(value.split())
    if required and not value:
        raise VaultError(
            f"{name_fr} is required", f"Indiquez « {name_fr} » du rendez-vous.", "invalid"
        )
    if len(value) > MAX_TEXT:
        raise VaultError(
            f"{name_fr}: too long",
            f"« {name_fr} » est trop long : {MAX_TEXT} caractères au plus.",
            "invalid",
        )
    return value


def _start(start, now):
    if not isinstance(start, datetime):
        raise VaultError(
            "start must be a date and time",
            "Indiquez la date et l'heure du rendez-vous.",
            "invalid",
        )
    start = start.replace(tzinfo=clock.PARIS) if start.tzinfo is None else start
    start = start.astimezone(clock.PARIS)
    if start <= now:
        raise VaultError(
            "The appointment is in the past",
            "Ce rendez-vous est déjà passé. Indiquez une date à venir.",
            "invalid",
        )
    if start - now > MAX_AHEAD:
        raise VaultError(
            "The appointment is more than two years ahead",
            "Ce rendez-vous est dans plus de deux ans. Vérifiez l'année.",
            "invalid",
        )
    return start


def add_appointment(vault, *, start, place, purpose, with_whom=""):
    """Record an appointment in ``vault``; return it (a dict).

    ``start`` is an aware ``datetime`` (a naive one is read as Europe/Paris
    time), in the future.  Refused (``VaultError``) unless the caller is the
    person or an agent holding a mandate in force, and the vault is open.
    """
    rules.check_may_use(vault)
    rules.check_open(vault)
    now = clock.paris_now()
    start = _start(start, now)
    place = _field(place, "Lieu")
    purpose = _field(purpose, "Objet")
    with_whom = _field(with_whom, "Avec qui", required=False)
    appointment_id = storage.store(
        vault,
        start=start,
        place=place,
        purpose=purpose,
        with_whom=with_whom,
        created_by=current_user_id(),
        created_at=now,
    )
    history.record(
        vault,
        "appointment_added",
        details={"appointment": appointment_id, "start": start.isoformat()},
    )
    return storage.as_dict(storage.record_of(vault, appointment_id))


def list_appointments(vault, upcoming_only=False):
    """The appointments of ``vault``, soonest first (cancelled ones included).

    ``upcoming_only``: only those not cancelled and not started yet.
    """
    rules.check_may_use(vault)
    items = [storage.as_dict(record) for record in storage.records(vault)]
    if upcoming_only:
        now = clock.paris_now()
        items = [item for item in items if not item["cancelled"] and item["start"] > now]
    return items


def cancel_appointment(vault, appointment_id):
    """Cancel an appointment (kept, marked ``cancelled``: no reminder); return it."""
    rules.check_may_use(vault)
    rules.check_open(vault)
    record = storage.record_of(vault, appointment_id)
    if record is None:
        raise VaultError(
            f"No appointment {appointment_id!r} in this vault",
            "Ce rendez-vous n'existe pas dans ce coffre.",
            "not_found",
        )
    if record["cancelled"]:
        raise VaultError(
            "This appointment is already cancelled",
            "Ce rendez-vous est déjà annulé.",
            "already_cancelled",
        )
    record["cancelled"] = True
    history.record(vault, "appointment_cancelled", details={"appointment": record["id"]})
    return storage.as_dict(record)


def next_appointment(vault):
    """The next appointment not cancelled, or ``None``."""
    upcoming = list_appointments(vault, upcoming_only=True)
    return upcoming[0] if upcoming else None


def may_use(vault):
    """Whether the current user may see and record the appointments of ``vault``."""
    return rules.may_use(vault)
