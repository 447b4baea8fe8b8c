"""VaultDocument: one paper (a blob file) with its type, dates, origin and seal."""

from AccessControl import ClassSecurityInfo
from AccessControl.class_init import InitializeClass
from ccas.vault import _
from ccas.vault.content.base import VaultItem
from ccas.vault.content.markers import IVaultContent
from plone.autoform import directives
from plone.namedfile.field import NamedBlobFile
from plone.supermodel import model
from zope import schema
from zope.interface import implementer


ORIGINS = ("upload", "camera", "ged", "partner")


class IVaultDocument(model.Schema):
    """A paper in a vault. Its file is readable only with ``Download original``."""

    document_type = schema.Choice(
        title=_("Type of paper"), vocabulary="ccas.vault.DocumentTypes", required=True
    )
    issued = schema.Date(title=_("Issue date"), required=False)
    valid_until = schema.Date(title=_("Valid until"), required=False)
    origin = schema.Choice(title=_("Origin"), values=ORIGINS, default="upload")

    # Read: only with ``Download original``.  Write: nobody through forms or
    # PATCH; files enter through ``ccas.vault.api.documents`` and its inspection.
    directives.read_permission(file="ccas.vault.DownloadOriginal")
    directives.write_permission(file="ccas.vault.AddVaultInfrastructure")
    file = NamedBlobFile(title=_("File"), required=True)

    directives.omitted("sha256", "certification", "replaces", "replaced_by")
    sha256 = schema.ASCIILine(title=_("SHA-256 of the file"), required=False, readonly=True)
    certification = schema.Dict(
        title=_("Certification"),
        key_type=schema.TextLine(),
        value_type=schema.TextLine(),
        required=False,
        readonly=True,
    )
    replaces = schema.ASCIILine(title=_("Replaces (UID)"), required=False, readonly=True)
    replaced_by = schema.ASCIILine(title=_("Replaced by (UID)"), required=False, readonly=True)


@implementer(IVaultDocument, IVaultContent)
class VaultDocument(VaultItem):
    """A paper in a vault.

    The FTP/WebDAV routes of Dexterity items are closed: ``manage_FTPget``
    and ``manage_DAVget`` would serve the original bytes to anyone with
    ``View`` (a consult-only mandate too) without a trace, and ``PUT`` would
    replace them without the deposit inspection.  The original is served by
    the traced ``@@download`` views; files enter through the deposit API.
    """

    security = ClassSecurityInfo()
    security.declarePrivate("manage_FTPget")
    security.declarePrivate("manage_DAVget")
    security.declarePrivate("PUT")

    sha256 = None
    certification = None
    replaces = None
    replaced_by = None
    deposited_by = None
    deposited_at = None
    health_confirmed = False


InitializeClass(VaultDocument)
