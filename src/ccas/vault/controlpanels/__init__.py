"""Control panels of ccas.vault (records managers)."""
