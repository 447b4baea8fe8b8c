"""Vocabularies of ccas.vault."""
