"""1001 → 1002: workflow policies.

Re-applies every workflow policy recorded as active
(:func:`ccas.vault.policies.apply.reapply_all`): re-importing the profile's
workflow step (as the 1001 step does) resets the workflow definitions to the
default rules, and the records managers' choices must survive upgrades.
Registers the control panel's configlet.  Idempotent.
"""

from ccas.vault.policies.apply import reapply_all
from plone import api
import logging


logger = logging.getLogger("ccas.vault.upgrades")

PROFILE = "profile-ccas.vault:default"


def reapply_policies(context=None):
    """Apply again the active policies (also usable as a step of later upgrades)."""
    applied = reapply_all(api.portal.get())
    logger.info("workflow policies applied again: %s", ", ".join(applied) or "none")
    return applied


def upgrade(context):
    setup = api.portal.get_tool("portal_setup")
    setup.runImportStepFromProfile(PROFILE, "controlpanel", run_dependencies=False)
    reapply_policies(context)
