"""Errors of the vault API: a stable code, an English text and a French one for people."""


class VaultError(ValueError):
    """A request the vault refuses; nothing was stored."""

    code = "refused"

    def __init__(self, message, message_fr, code=None):
        super().__init__(message)
        self.message_fr = message_fr
        if code:
            self.code = code


class DuplicateVault(VaultError):
    code = "duplicate_vault"

    def __init__(self, vault_ids):
        super().__init__(
            f"A vault already exists for this person: {', '.join(vault_ids)}",
            "Un coffre existe déjà pour cette personne. Cherchez-le avant d'en ouvrir un autre.",
        )
        self.vault_ids = tuple(vault_ids)
