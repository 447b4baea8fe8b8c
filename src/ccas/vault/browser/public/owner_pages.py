"""What the person's own pages of the public skin share (partager, partages, acces, historique,
dossiers, fermer): the owner check, sub-paths, field errors, dates in plain words.

Every page is a view registered for the person's vault (``coffre-<name>``); the
skin's router sends ``/mon-coffre/<name>`` there.  Only the vault's owner gets
through: anybody else (another person, an agent, a Manager, a Site
Administrator) gets ``Unauthorized``, which sends them to the login page.
"""

from AccessControl import Unauthorized
from ccas.vault import clock
from ccas.vault.browser.public.router import PublicPage
from ccas.vault.content.vault import IVault
from ccas.vault.sharing import links
from datetime import date
from datetime import datetime
from zExceptions import NotFound


MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def as_paris(value):
    """A Europe/Paris ``datetime`` from an ISO text or an aware ``datetime`` (``None`` stays)."""
    if not value:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=clock.PARIS)
        return value.astimezone(clock.PARIS)
    return value


def day_words(value, lang="fr"):
    """``23 novembre 2026`` / ``23 November 2026`` (a date, a datetime or an ISO text)."""
    value = as_paris(value) if not isinstance(value, date) or isinstance(value, datetime) else value
    if value is None:
        return ""
    if lang == "en":
        return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS_FR[value.month - 1]} {value.year}"


def time_words(value, lang="fr"):
    """``23 novembre 2026 à 10 h 00`` / ``23 November 2026 at 10:00``."""
    moment = as_paris(value)
    if moment is None:
        return ""
    if lang == "en":
        return f"{day_words(moment, lang)} at {moment:%H:%M}"
    return f"{day_words(moment, lang)} à {moment.hour} h {moment:%M}"


class OwnerPage(PublicPage):
    """A page of the person's own vault: the owner only, never cached.

    ``subpath`` holds what follows the page's name (``acces/signer`` →
    ``["signer"]``, set by the skin's router); pages accept the names in
    ``subpaths`` (``"*"``: any one name) and answer 404 to others.
    """

    subpaths = ()  # the sub-names this page accepts

    def __init__(self, context, request):
        super().__init__(context, request)
        self.errors = {}
        self.http_status = None

    def check_subpath(self):
        subpath = list(self.subpath or ())
        if not subpath:
            return
        if len(subpath) > 1 or (subpath[0] not in self.subpaths and "*" not in self.subpaths):
            raise NotFound("/".join(subpath))

    #: a page a personal mandatary may reach through ``/mon-coffre/aide/…`` (decision 0049)
    helpers_welcome = False

    def check_owner(self):
        if self.helpers_welcome and self.helping:
            return  # the skin's router checked the personal mandate in force and its scope
        if not IVault.providedBy(self.context) or not links.is_owner(self.context):
            raise Unauthorized("Only the person whose vault it is sees this page")

    def check_post(self):
        """A POST from our own form (plone.protect's authenticator)."""
        if self.request.method != "POST":
            raise Unauthorized("This action needs a POST")
        self.check_authenticator()

    def day(self, value):
        return day_words(value, self.lang)

    def moment(self, value):
        return time_words(value, self.lang)

    def error(self, field):
        """The message for ``field``, or ``None``."""
        message = self.errors.get(field)
        if message is None:
            return None
        # a message of ours is translated; a French text from the API is shown as it is
        return self.translate(message) if hasattr(message, "domain") else message

    def add_error(self, field, message):
        self.errors[field] = message
        self.http_status = 400

    def __call__(self):
        self.check_owner()
        self.check_subpath()
        result = self.update()
        if result is not None:
            return result
        return self.render(status=self.http_status)

    def update(self):
        """Handle the request; return a body to answer at once, else ``None``."""
        return None

    def render_other(self, template):
        """Render another template of the page, with the skin's headers."""
        self.set_headers(self.http_status)
        return template()
