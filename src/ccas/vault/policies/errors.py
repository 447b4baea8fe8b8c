"""Errors of the workflow policies: an English text, a French one, and per-field reasons."""

from ccas.vault.api.errors import VaultError


class PolicyError(VaultError):
    """A policy change the site refuses; nothing was changed.

    ``fields`` maps an option (or a place in an imported file) to
    ``(English, French)``.
    """

    code = "policy_refused"

    def __init__(self, message, message_fr, code=None, fields=None):
        super().__init__(message, message_fr, code=code)
        self.fields = dict(fields or {})
