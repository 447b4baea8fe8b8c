"""Mandate scopes: what a person may allow an agent to do, and the local role each gives.

The person accepts them as a checklist, partly if they want.  "certify" is
not chosen by the person: an agent holding the deposit scope gets it when
their organisation may certify documents.
"""

from ccas.vault import roles


CONSULT = "consult"  # metadata + watermarked preview
EXTRACT = "extract"  # download the original, print
DEPOSIT = "deposit"  # add papers to the shared space
SHARE = "share"  # share papers on the person's behalf
ACCOUNT = "account"  # help with the account (start a password reset)
CERTIFY = "certify"  # deposit scope, organisation that may certify

SCOPES = (CONSULT, EXTRACT, DEPOSIT, SHARE, ACCOUNT)

#: workspace group -> local roles it grants on the shared space
GROUP_ROLES = {
    CONSULT: (roles.VAULT_READER,),
    EXTRACT: (roles.VAULT_DOWNLOADER,),
    DEPOSIT: (roles.VAULT_DEPOSITOR,),
    CERTIFY: (roles.VAULT_CERTIFIER,),
    SHARE: (roles.VAULT_SHARER,),
    ACCOUNT: (roles.VAULT_ACCOUNT_HELPER,),
}
