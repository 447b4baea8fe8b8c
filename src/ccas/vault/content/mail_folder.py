"""MailFolder: the "Courrier du CCAS" folder of a shared space, where GED letters land.

A plain container bound to the space workflow (same permissions as the spaces);
it is not a space itself, so ``space_of`` of a letter is the shared space and a
letter is seen by whoever sees the shared space's papers (the owner, mandated
agents within their scopes).  See docs/decisions/0010-ged-letters.md.
"""

from ccas.vault.content.base import VaultContainer
from ccas.vault.content.markers import IVaultContent
from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.security import as_system
from plone.supermodel import model
from Products.CMFPlone.utils import _createObjectByType
from zope.interface import implementer


MAIL_FOLDER_TITLE = "Courrier du CCAS"


class IMailFolder(model.Schema):
    """The folder of the CCAS's letters in a shared space."""


@implementer(IMailFolder, IVaultContent)
class MailFolder(VaultContainer):
    """The "Courrier du CCAS" folder."""


def ensure_mail_folder(vault):
    """The shared space's "Courrier du CCAS" folder, created when missing.

    Made when a vault that accepts the CCAS's letters is opened, so that
    delivering a letter never pays for it (and as a fallback on delivery).
    """
    shared = vault[SHARED_SPACE_ID]
    folder = shared.get(CCAS_MAIL_FOLDER_ID)
    if folder is None:
        with as_system():
            folder = _createObjectByType(
                "MailFolder", shared, CCAS_MAIL_FOLDER_ID, title=MAIL_FOLDER_TITLE
            )
            folder.manage_delLocalRoles(list(folder.users_with_local_role("Owner")))
            folder.reindexObjectSecurity()
    return folder
