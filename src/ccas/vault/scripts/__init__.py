"""Console scripts of ccas.vault."""
