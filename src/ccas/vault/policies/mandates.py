"""Policy ``mandate-rules``: what a mandate may say, checked by :mod:`ccas.vault.api.mandates`.

Options: default and maximum duration (months), whether "until revoked" is
allowed, whether every agent must sign online before the mandate starts
(off: the paper form the person and the agents signed, attached by an agent,
is enough), and which scopes are offered.  Off: 12 months by default, no
maximum, "until revoked" allowed, every agent signs online, every scope.
Mandates already signed keep their terms.
"""

from ccas.vault import _
from ccas.vault.policies import registry
from ccas.vault.policies.base import RegistryPolicy
from ccas.vault.policies.errors import PolicyError
from ccas.vault.scopes import SCOPES
from zope import schema


POLICY_ID = "mandate-rules"


class MandateRules(RegistryPolicy):
    id = POLICY_ID
    title = _("Mandates: duration, signatures and scopes")
    description = _(
        "The duration a mandate gets by default and at most, whether a mandate may "
        "last until it is revoked, whether every agent must sign online before it "
        "starts, and which actions a person may allow."
    )
    options = (
        schema.Int(
            __name__="default_months",
            title=_("Default duration (months)"),
            default=12,
            min=1,
            max=120,
        ),
        schema.Int(
            __name__="max_months",
            title=_("Longest duration (months, 0: no limit)"),
            default=0,
            min=0,
            max=120,
        ),
        schema.Bool(
            __name__="allow_until_revoked",
            title=_("A mandate may last until the person revokes it"),
            default=True,
            required=False,
        ),
        schema.Bool(
            __name__="agents_sign_online",
            title=_("Every agent signs online before the mandate starts"),
            description=_("Unchecked: the signed paper form, attached by an agent, is enough."),
            default=True,
            required=False,
        ),
        schema.List(
            __name__="scopes",
            title=_("Actions a person may allow"),
            value_type=schema.Choice(values=SCOPES),
            default=list(SCOPES),
            min_length=1,
        ),
    )

    def validate(self, options):
        options = super().validate(options)
        if options["max_months"] and options["default_months"] > options["max_months"]:
            raise PolicyError(
                "The default duration is longer than the longest duration",
                "La durée par défaut dépasse la durée la plus longue.",
                "bad_options",
                {
                    "default_months": (
                        "Longer than the longest duration.",
                        "Plus longue que la durée la plus longue.",
                    )
                },
            )
        return options

    def _preview(self, portal, active, options):
        catalog = portal.portal_catalog
        waiting = catalog.unrestrictedSearchResults(
            portal_type="Mandate", review_state=["draft", "awaiting_signatures"]
        )
        return {"objects": len(waiting)}


policy = MandateRules()


def mandate_rules():
    """The rules in force (the defaults when the policy is off)."""
    rules = policy.defaults()
    rules.update(
        {k: v for k, v in (registry.active_options(POLICY_ID) or {}).items() if k in rules}
    )
    return rules
