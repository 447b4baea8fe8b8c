"""1004 → 1005: the ``ccas.vault: Reach vault pages`` permission (decision 0031).

Imports the profile's ``rolemap.xml`` again, which grants it to ``Authenticated``
on the site root.  Idempotent.
"""

from plone import api
import logging


logger = logging.getLogger("ccas.vault.upgrades")

PROFILE = "profile-ccas.vault:default"


def upgrade(context):
    setup = api.portal.get_tool("portal_setup")
    setup.runImportStepFromProfile(PROFILE, "rolemap", run_dependencies=False)
    logger.info("ccas.vault upgraded to 1005: vault pages reachable under their own check")
