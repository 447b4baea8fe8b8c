"""The contract of a connector: a source of papers that arrive by themselves (issue 23).

A connector is a **named utility** providing :class:`IConnector` (registered in ZCML with
``<utility factory="..." name="..." />``; its name is its id, stable, ASCII, e.g.
``api-particulier-qf``).  The records manager lists the connectors and switches each one on
for the CCAS in the control panel ``@@ccas-connecteurs``; its settings (the fields of
:attr:`IConnector.settings_fields`) are kept in the registry, the secret ones encrypted
(AES-256-GCM under the site's ``connectors`` data key, like the papers).

Two kinds:

``pull``  (:class:`IPullConnector`, e.g. API Particulier) — the product asks the source for
          one person: on demand (an agent with the deposit scope on ``@@dossier``, or the
          person from « Ajouter un papier ») or on a schedule (the clock, for people who
          agreed).  The framework checks the switch, the consent and the person's data,
          then calls :meth:`IPullConnector.fetch`, which returns :class:`Delivery` objects
          (or raises a :class:`ConnectorError`); the framework stores them.

``push``  (:class:`IPushConnector`, e.g. a partner's drop folder) — the source brings papers
          itself.  The connector's own code (a script, a clock job) finds the vault and calls
          ``ccas.vault.connectors.delivery.deliver(vault, connector, delivery)``, the same
          function the pull connectors' papers go through.

Storing a :class:`Delivery` (``deliver``) is all or nothing: the paper (and the answer kept
beside it) is deposited in the person's shared space, typed with
``delivery.document_type``, of origin ``partner``, certified with the CCAS seal naming
``delivery.source`` and the date when ``delivery.certify`` is true, written in the history;
``delivery.reference`` makes it idempotent (the same reference again stores nothing and
returns the paper delivered before).  Any error raises and leaves nothing stored.

Consent: when :attr:`IConnector.needs_consent` is true, ``deliver`` and the pull run refuse
(:class:`ConsentMissing`) unless the person's vault holds an active consent for this
connector (``ccas.vault.connectors.consent``: who, when, which connector, which data;
revocable from « Qui a accès »).
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from zope import schema
from zope.interface import Attribute
from zope.interface import Interface


PULL = "pull"
PUSH = "push"
KINDS = (PULL, PUSH)


# -- what a connector declares ------------------------------------------------------------


@dataclass(frozen=True)
class PersonField:
    """One thing the connector needs from the person (e.g. the CAF allocataire number).

    ``name``: key in the values given to ``fetch`` and kept with the consent;
    ``label_fr``: the form's label; ``pattern``: a regular expression the value must match
    entirely (``""``: any non-empty text); ``help_fr``: where the person finds it.
    """

    name: str
    label_fr: str
    pattern: str = ""
    help_fr: str = ""
    required: bool = True


@dataclass(frozen=True)
class SettingField:
    """One setting of the connector for the CCAS (a token, a base URL, a folder).

    ``secret``: kept encrypted, never shown back in the control panel.
    """

    name: str
    label_fr: str
    secret: bool = False
    default: str = ""
    help_fr: str = ""
    required: bool = True


# -- what a connector delivers ------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A file kept beside the paper (e.g. the API's JSON answer), encrypted like it."""

    data: bytes
    filename: str
    content_type: str = "application/json"


@dataclass(frozen=True)
class Delivery:
    """One paper a connector brings for one person.

    ``data``: the file (a PDF); ``document_type``: an id of the document types registry
    (validity, reminders and checklists use it); ``source``: who the data comes from, named
    in the paper, the seal and the history (« CAF », « Département du Nord »…);
    ``reference``: idempotency key, unique per connector and vault (e.g. a manifest id, or a
    hash of the answer); ``certify``: seal it with the CCAS seal naming ``source`` and
    ``fetched_at``; ``attachments``: kept beside the paper (the raw answer);
    ``replaces_older``: the paper is a refresh — it supersedes the older paper of the same
    connector and type (a family quotient); false for letters that stand side by
    side (a partner's letters: a Département's never replaces an association's, nor its own).
    """

    data: bytes
    filename: str
    document_type: str
    title: str
    source: str
    reference: str
    issued: date | None = None
    valid_until: date | None = None
    certify: bool = True
    content_type: str = "application/pdf"
    fetched_at: str = ""  # ISO 8601 UTC; the framework fills it when empty
    attachments: tuple[Attachment, ...] = ()
    details: dict = field(default_factory=dict)  # small, JSON-able, written in the history
    replaces_older: bool = True


# -- the utilities ------------------------------------------------------------------------


class IConnector(Interface):
    """A source of papers (named utility; the utility name is :attr:`name`)."""

    name = schema.ASCIILine(title="Stable id, the utility's name")
    kind = schema.Choice(title="pull or push", values=KINDS)
    title_fr = schema.TextLine(title="Name shown to the records manager, the agent, the person")
    source_fr = schema.TextLine(
        title="From whom the data comes, for the information notice",
        description="e.g. « la CAF ou la MSA, par l'API Particulier de l'État »",
    )
    fetched_fr = schema.Text(
        title="What is fetched, one sentence for the information notice",
        description="e.g. « votre quotient familial et la composition de votre famille »",
    )
    data_categories = schema.Tuple(
        title="Categories of data received (recorded with the consent)",
        value_type=schema.ASCIILine(),
    )
    document_types = schema.Tuple(
        title="Document type ids of the papers it delivers", value_type=schema.ASCIILine()
    )
    needs_consent = schema.Bool(title="Refuses to run or deliver without the person's consent")
    person_fields = Attribute("tuple of PersonField: what it needs from the person")
    settings_fields = Attribute("tuple of SettingField: what the CCAS configures")
    refresh_days = schema.Int(
        title="Scheduled refresh: days before the paper's validity ends (0: no schedule)",
        required=False,
    )


class IPullConnector(IConnector):
    """Fetched by the product for one person (on demand or on schedule)."""

    def fetch(settings, person):
        """Ask the source; return a tuple of :class:`Delivery` (may be empty).

        ``settings``: dict of the CCAS's settings (secrets decrypted); ``person``: dict of
        the values of :attr:`person_fields` (validated) plus ``first_name``, ``last_name``,
        ``birth_date`` (ISO) of the vault.  Raise :class:`ConnectorError` (a subclass) on any
        failure; never store anything: the framework does.
        """


class IPushConnector(IConnector):
    """Brings papers by itself; its code calls ``connectors.delivery.deliver``."""

    def collect(settings):
        """Deliver what waits (e.g. scan the drop folder); return a summary dict.

        Called by its own script or clock job; the framework does not schedule it.
        """


# -- errors -------------------------------------------------------------------------------


class ConnectorError(Exception):
    """A connector's failure: ``message`` (English, logs), ``message_fr`` (shown),
    ``code`` (stable, machine-readable), ``retry_after`` (seconds, when the source said)."""

    code = "connector_error"
    status = 502

    def __init__(self, message, message_fr, code=None, retry_after=None):
        super().__init__(message)
        self.message = message
        self.message_fr = message_fr
        if code:
            self.code = code
        self.retry_after = retry_after


class ConnectorDisabled(ConnectorError):
    code = "connector_disabled"
    status = 409


class ConsentMissing(ConnectorError):
    code = "consent_missing"
    status = 403


class PersonDataInvalid(ConnectorError):
    code = "person_data_invalid"
    status = 400


class SourceRefused(ConnectorError):
    """The source answered, and refuses for this person (unknown, not entitled…)."""

    code = "source_refused"
    status = 404


class SourceUnavailable(ConnectorError):
    """The source is down, overloaded (rate limit) or refuses the CCAS's credentials."""

    code = "source_unavailable"
    status = 503
