"""GET / POST ``@appointments`` and DELETE ``@appointments/{id}`` on a vault.

``GET`` lists the appointments (``?upcoming=true``: only those to come, not
cancelled); ``POST`` records one from ``{"start", "place", "purpose",
"with_whom"}`` (``start``: ISO date-time, Europe/Paris without an offset);
``DELETE`` cancels one (kept, marked ``cancelled``).  Anybody but the person
and the agents holding a mandate in force gets a 401 / 403.
"""

from AccessControl import Unauthorized
from ccas.vault.api import appointments
from ccas.vault.api.errors import VaultError
from ccas.vault.services.base import boolean
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import refused
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import REQUIRED
from ccas.vault.services.base import text
from ccas.vault.services.base import TraversingService
from ccas.vault.services.base import VaultService
from datetime import datetime


BAD_START = (
    "Use an ISO date-time, e.g. 2026-11-24T14:30.",
    "Écrivez la date et l'heure sous la forme AAAA-MM-JJTHH:MM, par exemple 2026-11-24T14:30.",
)
NOT_FOUND = ("No such appointment.", "Ce rendez-vous n'existe pas dans ce coffre.")


def appointment_info(item):
    return {
        **item,
        "start": item["start"].isoformat(),
        "created_at": item["created_at"].isoformat(),
    }


def check_may_use(vault):
    if not appointments.may_use(vault):
        raise Unauthorized("Only the person and the agents holding a mandate in force")


class AppointmentsGet(VaultService):
    """The vault's appointments, soonest first."""

    def reply(self):
        check_may_use(self.context)
        errors = {}
        upcoming = boolean(self.request.form, "upcoming", errors)
        if errors:
            raise invalid_fields(errors)
        items = [
            appointment_info(item)
            for item in appointments.list_appointments(self.context, upcoming_only=upcoming)
        ]
        return {
            "@id": f"{self.context.absolute_url()}/@appointments",
            "items": items,
            "items_total": len(items),
        }


def _start(data, errors):
    value = text(data, "start", errors, required=True)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        errors["start"] = BAD_START
        return None


class AppointmentsPost(VaultService):
    """Record an appointment: 201 with the appointment."""

    def reply(self):
        check_may_use(self.context)
        data = self.body()
        if not isinstance(data, dict):
            raise invalid_fields({"start": REQUIRED, "place": REQUIRED, "purpose": REQUIRED})
        errors = {}
        start = _start(data, errors)
        place = text(data, "place", errors, required=True)
        purpose = text(data, "purpose", errors, required=True)
        with_whom = text(data, "with_whom", errors) or ""
        if errors:
            raise invalid_fields(errors)
        disable_csrf(self.request)
        try:
            item = appointments.add_appointment(
                self.context, start=start, place=place, purpose=purpose, with_whom=with_whom
            )
        except VaultError as error:
            raise refused(error) from error
        self.request.response.setStatus(201)
        return appointment_info(item)


class AppointmentsDelete(TraversingService):
    """Cancel ``@appointments/{id}``: 200 with the cancelled appointment."""

    def reply(self):
        check_may_use(self.context)
        if len(self.params) != 1:
            raise RequestError(404, "not_found", *NOT_FOUND)
        disable_csrf(self.request)
        try:
            item = appointments.cancel_appointment(self.context, self.params[0])
        except VaultError as error:
            raise refused(error, status=404 if error.code == "not_found" else 400) from error
        return appointment_info(item)
