"""Vocabularies of document types and of their categories."""

from Acquisition import aq_base
from ccas.vault import _
from ccas.vault.document_types import CATEGORIES
from ccas.vault.document_types import current_language
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import list_document_types
from ccas.vault.document_types import sort_key
from zope.interface import provider
from zope.schema.interfaces import IVocabularyFactory
from zope.schema.vocabulary import SimpleTerm
from zope.schema.vocabulary import SimpleVocabulary


CATEGORY_TITLES = {
    "identity": _("Identity"),
    "health": _("Health"),
    "family": _("Family"),
    "income": _("Income and benefits"),
    "housing": _("Housing"),
    "work": _("Work and employment"),
    "bank": _("Bank"),
    "education": _("Education"),
    "personal": _("Personal"),
    "other": _("Other"),
}


@provider(IVocabularyFactory)
def document_categories(context=None):
    """The fixed categories of document types (titles are messages, translated on display)."""
    return SimpleVocabulary(
        [SimpleTerm(value, token=value, title=CATEGORY_TITLES[value]) for value in CATEGORIES]
    )


@provider(IVocabularyFactory)
def document_types(context=None):
    """Enabled document types, titled in the request's language (French unless English).

    A document whose type has since been disabled keeps it in its own vocabulary,
    so that it can still be displayed and edited.
    """
    lang = current_language(getattr(context, "REQUEST", None))
    types = list_document_types()
    current = getattr(aq_base(context), "document_type", None)
    if isinstance(current, str) and current not in {t.id for t in types}:
        disabled = get_document_type(current)
        if disabled is not None:
            types.append(disabled)
    types.sort(key=lambda t: (sort_key(t.label(lang)), t.id))
    return SimpleVocabulary([SimpleTerm(t.id, token=t.id, title=t.label(lang)) for t in types])
