"""@my-vaults on the vault directory: the current agent's accompaniments (GET)."""
