"""1002 → 1003: the staff intranet and the records manager's desk (issue 8).

Adds the agent home tab (``actions``), the new configlets (CCAS settings,
indicators), the permission to read the indicators (``rolemap``) and the new
settings (registered from their interface: existing values kept), the login
throttle (a PAS plugin, first among the authentication plugins), and
encrypts the files stored before encryption at rest (issue 9; the master key
is created first when missing).  Idempotent.
"""

from ccas.vault.bruteforce.plugin import install as install_login_throttle
from ccas.vault.encryption.keys import ensure_master
from ccas.vault.encryption.migrate import encrypt_existing
from ccas.vault.settings import IVaultSettings
from plone import api
from plone.registry.interfaces import IRegistry
from zope.component import getUtility
import logging


logger = logging.getLogger("ccas.vault.upgrades")

PROFILE = "profile-ccas.vault:default"
STEPS = ("actions", "rolemap", "controlpanel")


def upgrade(context):
    setup = api.portal.get_tool("portal_setup")
    for step in STEPS:
        setup.runImportStepFromProfile(PROFILE, step, run_dependencies=False)
    getUtility(IRegistry).registerInterface(IVaultSettings, prefix="ccas.vault.settings")
    install_login_throttle(api.portal.get().acl_users)
    ensure_master()
    encrypted = encrypt_existing(api.portal.get())
    logger.info(
        "ccas.vault upgraded to 1003: %s imported, settings registered, %s file(s) encrypted",
        ", ".join(STEPS),
        encrypted,
    )
