"""Browser views of ccas.vault (staff intranet)."""
