"""Policy ``closing-rules``: the grace period before a closed vault is deleted, and how
long its anonymous tombstone is kept.

The grace period is the ``closing_grace_days`` setting (default 7 days); the
tombstone retention (default: kept for ever) is read by the clock, which
purges older tombstones (:func:`ccas.vault.tombstones.purge_tombstones`).
Switching the policy off brings back 7 days and tombstones kept for ever.
"""

from ccas.vault import _
from ccas.vault.policies import registry
from ccas.vault.policies.base import RegistryPolicy
from ccas.vault.settings import IVaultSettings
from ccas.vault.settings import PREFIX as SETTINGS
from plone import api
from zope import schema


POLICY_ID = "closing-rules"
GRACE = f"{SETTINGS}.closing_grace_days"


def tombstone_retention_days():
    """Days a tombstone is kept after the closure (``0``: for ever)."""
    options = registry.active_options(POLICY_ID) or {}
    return int(options.get("tombstone_retention_days") or 0)


class ClosingRules(RegistryPolicy):
    id = POLICY_ID
    title = _("Closing: grace period and tombstones")
    description = _(
        "How many days a vault stays readable after the person asks to close it, and "
        "how long the anonymous trace of a closed vault (dates and counts, for the "
        "indicators) is kept."
    )
    options = (
        schema.Int(
            __name__="grace_days",
            title=_("Days between a closing request and the deletion of the vault"),
            default=IVaultSettings["closing_grace_days"].default,
            min=0,
            max=365,
        ),
        schema.Int(
            __name__="tombstone_retention_days",
            title=_("Days the anonymous trace of a closed vault is kept (0: for ever)"),
            default=0,
            min=0,
            max=36500,
        ),
    )

    def current_options(self, portal):
        options = super().current_options(portal)
        options["grace_days"] = api.portal.get_registry_record(
            GRACE, default=self.defaults()["grace_days"]
        )
        return options

    def _apply(self, portal, options):
        api.portal.set_registry_record(GRACE, options["grace_days"])

    def _revert(self, portal):
        api.portal.set_registry_record(GRACE, self.defaults()["grace_days"])

    def _preview(self, portal, active, options):
        from ccas.vault.tombstones import purgeable

        days = options.get("tombstone_retention_days", 0) if active else 0
        return {"objects": len(purgeable(days))}


policy = ClosingRules()
