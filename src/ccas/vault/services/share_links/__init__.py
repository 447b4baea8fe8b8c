"""@share-links: list, create and revoke share links (see ccas.vault.sharing.links)."""
