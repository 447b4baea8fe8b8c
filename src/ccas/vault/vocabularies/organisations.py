"""Vocabularies of organisations and of their kinds."""

from ccas.vault import _
from ccas.vault.organisations import KINDS
from ccas.vault.organisations import list_organisations
from zope.interface import provider
from zope.schema.interfaces import IVocabularyFactory
from zope.schema.vocabulary import SimpleTerm
from zope.schema.vocabulary import SimpleVocabulary


KIND_TITLES = {
    "ccas": _("CCAS"),
    "caf": _("CAF"),
    "cpam": _("CPAM"),
    "departement": _("Département"),
    "france-travail": _("France Travail"),
    "association": _("Association"),
    "other": _("Other"),
}


@provider(IVocabularyFactory)
def organisation_kinds(context=None):
    """The fixed kinds of organisations (titles are messages, translated on display)."""
    return SimpleVocabulary(
        [SimpleTerm(value, token=value, title=KIND_TITLES[value]) for value in KINDS]
    )


@provider(IVocabularyFactory)
def organisations(context=None):
    """Enabled organisations, sorted by title (token: the organisation id)."""
    return SimpleVocabulary(
        [SimpleTerm(o.id, token=o.id, title=o.title) for o in list_organisations()]
    )
