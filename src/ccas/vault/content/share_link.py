"""ShareLink: papers of a vault given to a named recipient for a limited time.

The token itself is never stored: only its SHA-256 (here and in the
directory's index, see :mod:`ccas.vault.sharing.links`).  The optional
access code is stored as a salted scrypt hash.
"""

from ccas.vault import _
from ccas.vault.content.base import VaultItem
from ccas.vault.content.markers import IVaultContent
from persistent.list import PersistentList
from plone.supermodel import model
from zope import schema
from zope.interface import implementer


DURATIONS = ("3h", "1d", "7d", "1m", "revoked")


class IShareLink(model.Schema):
    """A link to one or several papers; its fields change only through the sharing API."""

    recipient = schema.TextLine(title=_("Recipient"), readonly=True)
    document_uids = schema.List(
        title=_("Papers"), value_type=schema.ASCIILine(), min_length=1, readonly=True
    )
    duration = schema.Choice(title=_("Duration"), values=DURATIONS, readonly=True)


@implementer(IShareLink, IVaultContent)
class ShareLink(VaultItem):
    """A share link (see :mod:`ccas.vault.sharing.links`).

    ``expires``: UTC ISO date-time, ``None`` until revoked.  ``openings``:
    dicts ``{when, what}`` (no IP address).  ``failures`` / ``locked_until``:
    wrong access codes and the lock they lead to.
    """

    token_hash = ""
    code_hash = None
    created_by = ""
    created_at = ""
    on_behalf_of = ""
    expires = None
    failures = 0
    locked_until = None
    ended = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.openings = PersistentList()
