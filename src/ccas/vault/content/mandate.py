"""Mandate: a person's *mandat d'accompagnement administratif* to one or several agents."""

from ccas.vault import _
from ccas.vault.content.base import VaultItem
from ccas.vault.content.markers import IVaultContent
from ccas.vault.scopes import SCOPES
from persistent.mapping import PersistentMapping
from plone.supermodel import model
from zope import schema
from zope.interface import implementer


DEFAULT_PURPOSE = "Faciliter l'accès aux droits"
DUTIES_STATEMENT = (
    "Les agents désignés agissent dans l'exercice de leurs fonctions, "
    "dans les seules limites de ce mandat."
)


class IMandate(model.Schema):
    """Who may do what in a person's shared space, why, and until when."""

    agents = schema.List(
        title=_("Agents"), value_type=schema.ASCIILine(), min_length=1, readonly=True
    )
    scopes = schema.Set(
        title=_("What the agents may do"),
        value_type=schema.Choice(values=SCOPES),
        min_length=1,
        readonly=True,
    )
    purpose = schema.Text(title=_("Purpose"), default=DEFAULT_PURPOSE, readonly=True)
    start = schema.Date(title=_("Start"), readonly=True)
    end = schema.Date(
        title=_("End"), description=_("Empty: until revoked."), required=False, readonly=True
    )


@implementer(IMandate, IVaultContent)
class Mandate(VaultItem):
    """A mandate; its fields change only through ``ccas.vault.api.mandates``.

    ``person_signature``: when, method (electronic/paper), recorded_by, form.
    ``agent_signatures``: agent id -> when.  ``organisations``: agent id ->
    organisation id at creation.  ``ended``: when, why (revoked, withdrawn,
    expired), by.
    """

    duties_statement = DUTIES_STATEMENT
    person_signature = None
    ended = None
    proposed_by = None  # the agent who proposed it to the person (decision 0045)
    # Decision 0049: a *personal* mandate names a relative or trusted person (one account,
    # in ``agents`` once they accepted the invitation); "professional" names agents.
    kind = "professional"
    relation = ""  # the person's words: "mon fils", "ma voisine"
    mandatary_name = ""  # the name the person typed, before the mandatary's account is known
    invitation = ""  # the code of the mandatary's invitation link, until they accept it
    refused_scopes = None  # what the person did not accept when signing (decision 0045)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent_signatures = PersistentMapping()
        self.organisations = PersistentMapping()
