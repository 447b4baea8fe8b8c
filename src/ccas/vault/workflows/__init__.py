"""The vault's workflow definitions (their states and maps are in profiles/default/workflows)."""
