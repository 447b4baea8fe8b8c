"""Names of the roles the add-on defines (declared in ``profiles/default/rolemap.xml``)."""

BENEFICIARY = "Beneficiary"
VAULT_AGENT = "VaultAgent"
RECORDS_MANAGER = "RecordsManager"
GED_CONNECTOR = "GEDConnector"
VAULT_OWNER = "VaultOwner"

GLOBAL_ROLES = (BENEFICIARY, VAULT_AGENT, RECORDS_MANAGER, GED_CONNECTOR)
LOCAL_ROLES = (VAULT_OWNER,)
ALL_ROLES = GLOBAL_ROLES + LOCAL_ROLES
