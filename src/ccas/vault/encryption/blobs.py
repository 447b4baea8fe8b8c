"""``EncryptedBlobFile``: a ``NamedBlobFile`` whose blob holds AES-256-GCM ciphertext.

Blob layout: ``MAGIC`` (8 bytes) + nonce (12 random bytes) + ciphertext and tag;
the associated data is ``MAGIC`` + the data key id, so a blob only opens with
its own key.  ``data`` decrypts, ``open()`` gives a plaintext stream, ``getSize()``
the plaintext size, setting ``data`` encrypts: readers of ``file.data`` keep
working.  Only plone.namedfile's ``stream_data`` reads the blob file itself:
:func:`stream` replaces it where a file is served.
"""

from ccas.vault.encryption import keys
from ccas.vault.encryption.errors import EncryptionError
from ccas.vault.encryption.errors import Undecipherable
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from DateTime import DateTime
from plone.namedfile.file import NamedBlobFile
import io
import logging
import secrets


logger = logging.getLogger("ccas.vault.encryption")

MAGIC = b"CCASENC1"


def _aad(key_id):
    return MAGIC + key_id.encode()


def encrypt(plain: bytes, key_id: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return MAGIC + nonce + AESGCM(keys.data_key(key_id)).encrypt(nonce, plain, _aad(key_id))


def decrypt(sealed: bytes, key_id: str, where="") -> bytes:
    """The plaintext of ``sealed``; ``Undecipherable`` (logged) when it fails authentication."""
    key = keys.data_key(key_id)  # DataKeyMissing / MasterKeyMissing first
    if not sealed.startswith(MAGIC) or len(sealed) < len(MAGIC) + 12 + 16:
        logger.error("file %s (key %s) is not an encrypted blob: refused", where, key_id)
        raise Undecipherable(f"{where}: not an encrypted blob")
    nonce, body = sealed[len(MAGIC) : len(MAGIC) + 12], sealed[len(MAGIC) + 12 :]
    try:
        return AESGCM(key).decrypt(nonce, body, _aad(key_id))
    except InvalidTag:
        logger.error("file %s (key %s) fails GCM authentication: altered, refused", where, key_id)
        raise Undecipherable(f"{where}: ciphertext altered (GCM tag mismatch)") from None


def _as_bytes(data):
    if isinstance(data, str):
        return data.encode("utf-8")
    if hasattr(data, "read"):
        if hasattr(data, "seek"):
            data.seek(0)
        return data.read()
    return bytes(data)


class EncryptedBlobFile(NamedBlobFile):
    """A named blob file encrypted at rest with the data key ``key_id``."""

    key_id = None
    _plain_size = None

    def __init__(self, data=b"", contentType="", filename=None, key_id=None):
        if not key_id:
            raise EncryptionError("an encrypted file needs a data key id")
        self.key_id = key_id
        super().__init__(data, contentType=contentType, filename=filename)

    def _where(self):
        oid = getattr(self, "_p_oid", None)
        return f"{self.filename or ''} oid={oid.hex() if oid else 'new'}"

    def _setData(self, data):
        plain = _as_bytes(data)
        sealed = encrypt(plain, self.key_id)
        with self._blob.open("w") as writer:
            writer.write(sealed)
        self.__dict__.pop("size", None)
        self._plain_size = len(plain)
        self._modified = DateTime().millis()

    def _getData(self):
        with self._blob.open("r") as reader:
            sealed = reader.read()
        return decrypt(sealed, self.key_id, self._where())

    _data = property(_getData, _setData)
    data = property(_getData, _setData)

    @property
    def size(self):
        if self._plain_size is None:
            self._plain_size = len(self.data)
        return self._plain_size

    def getSize(self):
        return self.size

    def open(self, mode="r"):
        """A plaintext stream (reading only: write through ``data``)."""
        if mode not in ("r", "rb"):
            raise EncryptionError("an encrypted file is written through its data attribute")
        return io.BytesIO(self.data)

    def openDetached(self):
        return io.BytesIO(self.data)

    def raw(self) -> bytes:
        """The ciphertext as stored (tests, re-encryption)."""
        with self._blob.open("r") as reader:
            return reader.read()


def encrypted_file(data, content_type, filename, key_id=None, container=None):
    """An ``EncryptedBlobFile`` of ``data`` under ``key_id``, else the key of ``container``'s
    vault (the parking key outside any vault)."""
    key_id = key_id or keys.key_id_for(container)
    return EncryptedBlobFile(data, contentType=content_type, filename=filename, key_id=key_id)


def encrypt_file(file, container):
    """``file`` itself when encrypted (or ``None``), else an encrypted copy for ``container``."""
    if file is None or isinstance(file, EncryptedBlobFile):
        return file
    return encrypted_file(file.data, file.contentType, file.filename, container=container)


def stream(file):
    """What a download answers: the plaintext of an encrypted file, never its blob on disk."""
    if isinstance(file, EncryptedBlobFile):
        return file.data
    from plone.namedfile.utils import stream_data

    return stream_data(file)
