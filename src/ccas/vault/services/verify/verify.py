"""``@vault-verify`` on the site root: anyone checks whether a file was certified.

``GET ?sha256=<hex>``, or ``POST`` a JSON ``{"sha256": …}`` /
``{"file": {"filename", "content_type", "data": "<base64>"}}`` or a multipart
form with ``file``.  Read-only (the transaction is doomed), anonymous allowed,
and the answer reveals nothing of the vault or the person.
"""

from ccas.vault.certification.verification import BadHash
from ccas.vault.certification.verification import verify_bytes
from ccas.vault.certification.verification import verify_hash
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import uploaded_file
from ccas.vault.services.base import VaultService
from ccas.vault.settings import get_setting
import json
import transaction


BAD_HASH = (
    "Give a SHA-256: 64 hexadecimal characters.",
    "Donnez une empreinte SHA-256 : 64 caractères, chiffres de 0 à 9 et lettres de a à f.",
)
NOTHING = (
    "Send a file, or the SHA-256 of a file.",
    "Envoyez un fichier, ou l'empreinte SHA-256 d'un fichier.",
)
EMPTY = ("The file is empty.", "Le fichier est vide.")
TOO_LARGE = ("The file is too large.", "Le fichier est trop gros.")


class VerifyService(VaultService):
    """Public, read-only: no permission, no CSRF token, nothing written."""

    required_permission = None

    def render(self):
        transaction.doom()  # verification never writes
        try:
            content = self.reply()
        except RequestError as error:
            self.request.response.setStatus(error.status)
            content = error.as_dict()
        response = self.request.response
        response.setHeader("Cache-Control", "no-store")
        response.setHeader("Content-Type", "application/json")
        return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False)

    def by_hash(self, value):
        try:
            return verify_hash(value)
        except BadHash:
            raise RequestError(400, "bad_sha256", *BAD_HASH, fields={"sha256": BAD_HASH}) from None


class VerifyGet(VerifyService):
    def reply(self):
        value = self.request.form.get("sha256")
        if not value:
            raise RequestError(400, "nothing_to_verify", *NOTHING)
        return self.by_hash(value)


class VerifyPost(VerifyService):
    def reply(self):
        data = self.body()
        if not isinstance(data, dict):
            raise RequestError(400, "nothing_to_verify", *NOTHING)
        if data.get("sha256") and not data.get("file"):
            return self.by_hash(data["sha256"])
        if not data.get("file"):
            raise RequestError(400, "nothing_to_verify", *NOTHING)
        content, _filename, _declared = uploaded_file(data, "file")
        if not content:
            raise RequestError(400, "empty", *EMPTY, fields={"file": EMPTY})
        if len(content) > get_setting("max_upload_size_mb") * 1024 * 1024:
            raise RequestError(400, "too_large", *TOO_LARGE, fields={"file": TOO_LARGE})
        return verify_bytes(content)
