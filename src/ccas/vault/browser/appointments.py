"""@@rendez-vous on a vault: the appointments, a form to add one, a button to cancel one.

For the person and the agents holding a mandate in force on the vault
(:mod:`ccas.vault.appointments.rules`); anybody else — Manager and Site
Administrator included — is refused.  Registered ``zope2.Public``: a mandated
agent holds no View on the vault itself; the view checks the rule.
"""

from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault import clock
from ccas.vault.api import appointments
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.agent_home import appointment_row
from ccas.vault.security import as_system
from datetime import datetime
from plone.protect import CheckAuthenticator
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate


BAD_MOMENT = _("Give the date and the time of the appointment.")
ADDED = _("The appointment is recorded.")
CANCELLED = _("The appointment is cancelled.")
FIELDS = ("day", "time", "place", "purpose", "with_whom")


def form_text(form, name):
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def parse_moment(day, time):
    """An aware Paris ``datetime`` from ``YYYY-MM-DD`` and ``HH:MM``, or ``None``."""
    try:
        return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=clock.PARIS)
    except ValueError:
        return None


def add_from_form(vault, form):
    """Add the appointment described by ``form``; raise ``VaultError`` (French) if refused."""
    moment = parse_moment(form_text(form, "day"), form_text(form, "time"))
    if moment is None:
        raise VaultError("Bad date or time", translate(BAD_MOMENT, target_language="fr"))
    return appointments.add_appointment(
        vault,
        start=moment,
        place=form_text(form, "place"),
        purpose=form_text(form, "purpose"),
        with_whom=form_text(form, "with_whom"),
    )


class AppointmentsView(BrowserView):
    """The vault's appointments, soonest first, with the add form."""

    template = ViewPageTemplateFile("templates/appointments.pt")

    def __call__(self):
        if not appointments.may_use(self.context):
            raise Unauthorized("The person or an agent with a mandate in force")
        self.message = None
        self.error = None
        self.values = dict.fromkeys(FIELDS, "")
        if self.request.get("REQUEST_METHOD") == "POST":
            CheckAuthenticator(self.request)
            form = self.request.form
            if form.get("add"):
                self.values = {name: form_text(form, name) for name in FIELDS}
                try:
                    add_from_form(self.context, form)
                except VaultError as error:
                    self.error = error.message_fr
                    self.request.response.setStatus(400)
                else:
                    self.message = translate(ADDED, context=self.request)
                    self.values = dict.fromkeys(FIELDS, "")
            elif form.get("cancel"):
                try:
                    appointments.cancel_appointment(self.context, form_text(form, "appointment"))
                except VaultError as error:
                    self.error = error.message_fr
                    self.request.response.setStatus(400)
                else:
                    self.message = translate(CANCELLED, context=self.request)
        now = clock.paris_now()
        self.items = [
            {
                **appointment_row(item),
                "cancelled": item["cancelled"],
                "past": item["start"] <= now,
            }
            for item in appointments.list_appointments(self.context)
        ]
        with as_system():
            self.person = self.context.display_name
        self.request.response.setHeader("Cache-Control", NO_STORE)
        return self.template()
