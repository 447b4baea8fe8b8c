"""Closing a vault: @vault-closure, @vault-export."""
