"""1005 → 1006: the CCAS settings' switches can be turned off in a browser (issue 20).

``self_service_opening`` was a required ``Bool``: its checkbox carried the HTML
``required`` attribute and the browser refused to save the panel with it unticked.  The
Python schema says ``required=False`` now; this step registers the settings' interface
again so the registry's own copy of the field says the same.  Every value is kept
(``Registry.registerInterface`` keeps the stored value when it is still valid).
Idempotent.
"""

from ccas.vault.settings import IVaultSettings
from ccas.vault.settings import PREFIX
from plone import api
import logging


logger = logging.getLogger("ccas.vault.upgrades")


def upgrade(context):
    registry = api.portal.get_tool("portal_registry")
    registry.registerInterface(IVaultSettings, prefix=PREFIX)
    logger.info("ccas.vault upgraded to 1006: the settings' switches are optional fields")
