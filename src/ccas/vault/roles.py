"""Names of the roles the add-on defines (declared in ``profiles/default/rolemap.xml``).

Global roles are held site-wide (through groups) and declared in
``profiles/default/rolemap.xml``.  Local roles are held on one vault only: they
are not site roles (Plone's role manager cannot grant them site-wide) but roles
of the vault directory, added by the install step.
"""

BENEFICIARIES_GROUP = "beneficiaires"

BENEFICIARY = "Beneficiary"
VAULT_AGENT = "VaultAgent"
RECORDS_MANAGER = "RecordsManager"
GED_CONNECTOR = "GEDConnector"

# Local: the person on their own vault.
VAULT_OWNER = "VaultOwner"
# Local, on a SharedSpace: one role per mandate scope (granted by the mandates' workspace).
VAULT_READER = "VaultReader"  # consult: metadata + preview
VAULT_DOWNLOADER = "VaultDownloader"  # extract: download the original, print
VAULT_DEPOSITOR = "VaultDepositor"  # deposit into the shared space
VAULT_CERTIFIER = "VaultCertifier"  # certify (deposit scope, organisation that may certify)
VAULT_SHARER = "VaultSharer"  # share on the person's behalf
VAULT_ACCOUNT_HELPER = "VaultAccountHelper"  # help with the account

GLOBAL_ROLES = (BENEFICIARY, VAULT_AGENT, RECORDS_MANAGER, GED_CONNECTOR)
MANDATE_ROLES = (
    VAULT_READER,
    VAULT_DOWNLOADER,
    VAULT_DEPOSITOR,
    VAULT_CERTIFIER,
    VAULT_SHARER,
    VAULT_ACCOUNT_HELPER,
)
LOCAL_ROLES = (VAULT_OWNER, *MANDATE_ROLES)
ALL_ROLES = GLOBAL_ROLES + LOCAL_ROLES
