"""Upgrade steps of the ``ccas.vault:default`` profile, one module per step."""
