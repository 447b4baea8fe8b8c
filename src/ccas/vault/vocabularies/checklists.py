"""Vocabulary of the enabled procedure checklists."""

from ccas.vault.checklists import list_checklists
from ccas.vault.document_types import current_language
from zope.interface import provider
from zope.schema.interfaces import IVocabularyFactory
from zope.schema.vocabulary import SimpleTerm
from zope.schema.vocabulary import SimpleVocabulary


@provider(IVocabularyFactory)
def checklists(context=None):
    """Enabled checklists titled in the request's language (token: the checklist id)."""
    lang = current_language(getattr(context, "REQUEST", None))
    return SimpleVocabulary(
        [SimpleTerm(c.id, token=c.id, title=c.title(lang)) for c in list_checklists(lang=lang)]
    )
