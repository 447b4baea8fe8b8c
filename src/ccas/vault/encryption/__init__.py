"""Encryption at rest of every stored file (AES-256-GCM, per-vault data keys).

``keys``: the master key (outside the ZODB) and the wrapped data keys (in the ZODB);
``blobs``: :class:`EncryptedBlobFile` and the :func:`encrypted_file` factory;
``migrate``: encrypting existing files, rotating a vault's data key, shredding.
See docs/decisions/0025-encryption-at-rest.md.
"""
