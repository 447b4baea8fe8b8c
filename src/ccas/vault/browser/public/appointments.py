"""``/mon-coffre/rendez-vous``: the person's appointments, a form to add one, cancel one.

The person only (:class:`OwnerPage`); the agents with a mandate use the
intranet page ``@@rendez-vous``.  The day before, a reminder goes on the
person's channel (:mod:`ccas.vault.appointments.reminders`).
"""

from ccas.vault import _
from ccas.vault import clock
from ccas.vault.api import appointments
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.appointments import form_text
from ccas.vault.browser.appointments import parse_moment
from ccas.vault.browser.public.owner_pages import OwnerPage
from plone import api
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile


FIELDS = ("day", "time", "place", "purpose", "with_whom")
REQUIRED = {
    "day": _("Write the day."),
    "time": _("Write the time."),
    "place": _("Write the place."),
    "purpose": _("Write what the appointment is for."),
}
BAD_MOMENT = _("This day or this time is not right. Look at the example.")
DONE = {
    "ajoute": _("The appointment is recorded."),
    "annule": _("The appointment is cancelled."),
}


class AppointmentsPage(OwnerPage):
    """``coffre-rendez-vous``."""

    section = "rendez-vous"
    template = ViewPageTemplateFile("templates/rendez_vous.pt")

    def update(self):
        self.values = dict.fromkeys(FIELDS, "")
        form = self.request.form
        if form.get("add"):
            return self._add()
        if form.get("cancel"):
            return self._cancel()
        return None

    @property
    def vault_open(self):
        return api.content.get_state(self.vault) == "open"

    def done(self):
        message = DONE.get(self.request.form.get("fait"))
        return self.translate(message) if message else None

    def _add(self):
        self.check_post()
        form = self.request.form
        self.values = {name: form_text(form, name) for name in FIELDS}
        for name, message in REQUIRED.items():
            if not self.values[name]:
                self.add_error(name, message)
        if self.errors:
            return None
        moment = parse_moment(self.values["day"], self.values["time"])
        if moment is None:
            self.add_error("day", BAD_MOMENT)
            return None
        try:
            appointments.add_appointment(
                self.vault,
                start=moment,
                place=self.values["place"],
                purpose=self.values["purpose"],
                with_whom=self.values["with_whom"],
            )
        except VaultError as refusal:
            self.add_error("form", refusal.message_fr)
            return None
        return self.redirect("rendez-vous", fait="ajoute")

    def _cancel(self):
        self.check_post()
        try:
            appointments.cancel_appointment(self.vault, form_text(self.request.form, "appointment"))
        except VaultError as refusal:
            self.add_error("form", refusal.message_fr)
            return None
        return self.redirect("rendez-vous", fait="annule")

    def _items(self):
        if "_rows" not in self.__dict__:
            now = clock.paris_now()
            self.__dict__["_rows"] = [
                {
                    "id": item["id"],
                    "when": self.moment(item["start"]),
                    "when_iso": item["start"].isoformat(),
                    "place": item["place"],
                    "purpose": item["purpose"],
                    "with_whom": item["with_whom"],
                    "cancelled": item["cancelled"],
                    "coming": item["start"] > now and not item["cancelled"],
                }
                for item in appointments.list_appointments(self.vault)
            ]
        return self.__dict__["_rows"]

    def coming(self):
        return [item for item in self._items() if item["coming"]]

    def others(self):
        """Past and cancelled appointments, the latest first."""
        return [item for item in reversed(self._items()) if not item["coming"]]
