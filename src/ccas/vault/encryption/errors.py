"""Errors of encryption at rest: each carries a French message for the people who see it."""


class EncryptionError(RuntimeError):
    """A file cannot be encrypted or decrypted: nothing is stored, nothing is served."""

    message_fr = "Le fichier chiffré ne peut pas être lu."

    def __init__(self, message, message_fr=None):
        super().__init__(message)
        if message_fr:
            self.message_fr = message_fr


class MasterKeyMissing(EncryptionError):
    """No master key (key file or ``CCAS_VAULT_MASTER_KEY``): refuse rather than store plaintext."""

    message_fr = (
        "La clé maîtresse de chiffrement est introuvable : aucun fichier ne peut être lu "
        "ni enregistré. Prévenez l'administrateur du coffre-fort."
    )


class DataKeyMissing(EncryptionError):
    """The data key of a file is gone (vault deleted: crypto-shredded) or unknown."""

    message_fr = "La clé de ce fichier a été détruite : il ne peut plus être lu."


class Undecipherable(EncryptionError):
    """The ciphertext or a wrapped key fails authentication (altered, or wrong master key)."""

    message_fr = (
        "Ce fichier a été altéré ou la clé de chiffrement ne correspond pas : "
        "il n'est pas servi. L'incident est tracé."
    )
