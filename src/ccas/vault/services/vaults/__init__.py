"""@vaults on the vault directory: open a vault (POST), find vaults (GET)."""
