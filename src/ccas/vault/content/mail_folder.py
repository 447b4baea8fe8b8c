"""MailFolder: the "Courrier du CCAS" folder of a shared space, where GED letters land.

A plain container bound to the space workflow (same permissions as the spaces);
it is not a space itself, so ``space_of`` of a letter is the shared space and a
letter is seen by whoever sees the shared space's papers (the owner, mandated
agents within their scopes).  See docs/decisions/0010-ged-letters.md.
"""

from plone.dexterity.content import Container
from plone.supermodel import model
from zope.interface import implementer


class IMailFolder(model.Schema):
    """The folder of the CCAS's letters in a shared space."""


@implementer(IMailFolder)
class MailFolder(Container):
    """The "Courrier du CCAS" folder."""
