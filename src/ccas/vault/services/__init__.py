"""plone.restapi services of ccas.vault, one sub-folder per endpoint."""
