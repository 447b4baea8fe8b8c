"""Policy ``sharing-rules``: which durations a share link may have, and whether it needs a code.

Options: the durations offered (among 3 hours, 1 day, 7 days, 1 month, until
stopped), the longest one, and whether every link gets an access code.
Checked by :func:`ccas.vault.sharing.links.create_link` (so by the
``@@partager`` form and ``POST @share-links`` alike).  Off: every duration,
the code optional.  Links already given keep their end.
"""

from ccas.vault import _
from ccas.vault.content.share_link import DURATIONS
from ccas.vault.policies import registry
from ccas.vault.policies.base import RegistryPolicy
from ccas.vault.policies.errors import PolicyError
from zope import schema


POLICY_ID = "sharing-rules"


class SharingRules(RegistryPolicy):
    id = POLICY_ID
    title = _("Sharing: durations and access code")
    description = _(
        "Which durations a person may choose for a share link, the longest one, and "
        "whether every link needs an access code."
    )
    options = (
        schema.List(
            __name__="durations",
            title=_("Durations offered"),
            value_type=schema.Choice(values=DURATIONS),
            default=list(DURATIONS),
            min_length=1,
        ),
        schema.Choice(
            __name__="max_duration",
            title=_("Longest duration"),
            values=DURATIONS,
            default="revoked",
        ),
        schema.Bool(
            __name__="code_required",
            title=_("Every link has an access code"),
            default=False,
            required=False,
        ),
    )

    def validate(self, options):
        options = super().validate(options)
        if not offered(options):
            raise PolicyError(
                "No duration is left under the longest duration",
                "Aucune durée proposée n'est plus courte que la durée la plus longue.",
                "bad_options",
                {
                    "max_duration": (
                        "Shorter than every offered duration.",
                        "Plus courte que toutes les durées proposées.",
                    )
                },
            )
        return options

    def _preview(self, portal, active, options):
        links = portal.portal_catalog.unrestrictedSearchResults(
            portal_type="ShareLink", review_state="active"
        )
        return {"objects": len(links)}


policy = SharingRules()


def offered(options):
    """The durations ``options`` offer, in the order of ``DURATIONS``."""
    longest = DURATIONS.index(options.get("max_duration") or DURATIONS[-1])
    chosen = set(options.get("durations") or DURATIONS)
    return [d for d in DURATIONS if d in chosen and DURATIONS.index(d) <= longest]


def sharing_rules():
    """The rules in force: ``{"durations": [...offered...], "code_required": bool}``."""
    options = policy.defaults()
    options.update(registry.active_options(POLICY_ID) or {})
    return {"durations": offered(options), "code_required": bool(options.get("code_required"))}
