"""Papers' files: present, and their SHA-256 equal to the recorded and sealed one.

The check of one paper is :func:`ccas.vault.certification.integrity.check_document`
(what ``ccas-vault-integrity`` runs); its findings become problems here: a file
missing from the blob storage (``POSKeyError``) is ``blob_missing``, another
read error ``file_unreadable``, a different hash ``hash_mismatch``, a seal that
does not hold ``seal_invalid``; a file whose master key is not on this server
(a restore without the key folder) ``key_missing``, with the key to restore.
"""


def _kind(message):
    from ccas.vault.certification.integrity import KEY_MISSING

    if message.startswith(KEY_MISSING):
        return "key_missing"
    if message.startswith("blob unreadable: POSKeyError") or message == "no file":
        return "blob_missing"
    if message.startswith("blob unreadable"):
        return "file_unreadable"
    if message.startswith("seal"):
        return "seal_invalid"
    return "hash_mismatch"


_FR = {
    "blob_missing": "le fichier de la pièce manque au stockage",
    "file_unreadable": "le fichier de la pièce ne peut être lu",
    "seal_invalid": "le sceau de la pièce n'est pas valide",
    "hash_mismatch": "l'empreinte SHA-256 du fichier diffère de celle enregistrée ou scellée",
    "key_missing": "la clé maîtresse qui ouvre le fichier manque sur ce serveur",
}


class BlobsCheck:
    family = "blobs"

    def __init__(self, site, report, repair=()):
        from ccas.vault.content.vault_document import IVaultDocument

        self.report = report
        self.is_document = IVaultDocument.providedBy

    def visit(self, obj, path, vault):
        from ccas.vault.certification.integrity import check_document

        if not self.is_document(obj):
            return
        self.report.count("blobs")
        for message in check_document(obj):
            kind = _kind(message)
            if kind == "key_missing":
                from ccas.vault.certification.integrity import restore_advice

                master_id = message.rsplit(" ", 1)[-1]
                advice = restore_advice([master_id])
                message = f"{message}: {advice}"
            self.report.add(kind, path, message, f"{_FR[kind]} ({message})")

    def finish(self):
        pass
