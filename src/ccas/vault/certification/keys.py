"""The CCAS's own signing keys, kept outside the ZODB in a key directory.

Layout of the directory (``key_directory()``)::

    current              the id of the active key
    <key_id>.key         Ed25519 private key (PEM, PKCS#8, mode 0600): signs the seals
    <key_id>.pem         self-signed X.509 certificate of that key: the CCAS certificate,
                         trust root of everything the key signed
    <key_id>.pdf.key     ECDSA P-256 private key (PEM, mode 0600): signs PDFs (PAdES)
    <key_id>.pdf.pem     its certificate, issued by ``<key_id>.pem``

``key_id`` is the first 16 hex characters of the SHA-256 of the raw Ed25519
public key.  Rotation creates a new pair and makes it current; the old
certificates stay (their private keys may be deleted), so old seals still
verify.  PDFs are signed with ECDSA P-256 because PDF readers still rarely
validate EdDSA signatures; the Ed25519 certificate is the root of the chain.
"""

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from pathlib import Path
import hashlib
import os
import re


ENV_VAR = "CCAS_VAULT_KEY_DIR"
DEFAULT_FOLDER = "ccas-vault-keys"
CURRENT = "current"
VALIDITY = timedelta(days=365 * 30)
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")


class MissingKey(LookupError):
    """A key or certificate is missing from the key directory."""


#: path -> ((mtime_ns, size, inode), parsed value): the files of the key directory are
#: read and parsed once per process, and again whenever one changes (rotation, restore).
_FILE_CACHE = {}


def _cached(path: Path, parse):
    """``parse(bytes of path)``, cached while the file's mtime, size and inode stay the same."""
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    hit = _FILE_CACHE.get(str(path))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    value = parse(path.read_bytes())
    _FILE_CACHE[str(path)] = (stamp, value)
    return value


def _default_directory():
    """``<INSTANCE_HOME or CLIENT_HOME>/../ccas-vault-keys``, else ``./var/ccas-vault-keys``.

    The instances of ``ccas-vault-instance`` (``var/instance``, ``var/client1``,
    ``var/client2``) are siblings, so they all find ``var/ccas-vault-keys``.
    """
    try:
        from App.config import getConfiguration

        config = getConfiguration()
        home = getattr(config, "instancehome", None) or getattr(config, "clienthome", None)
    except ImportError:  # pragma: no cover - outside Zope
        home = None
    if home:
        return Path(home).resolve().parent / DEFAULT_FOLDER
    return Path.cwd() / "var" / DEFAULT_FOLDER


def key_directory() -> Path:
    """``$CCAS_VAULT_KEY_DIR``, else the ``key_directory`` setting, else the default."""
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env)
    try:
        from ccas.vault.settings import get_setting

        configured = get_setting("key_directory")
    except Exception:  # no site (scripts before setSite, tests outside a layer)
        configured = None
    if configured:
        return Path(configured)
    return _default_directory()


def key_id_of(public_key: ed25519.Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _write(path: Path, data: bytes, mode: int):
    """Write atomically (temporary file, then rename) with ``mode``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _name(common_name, organisation):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def _usage(ca):
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def seal_name():
    """The name the certificates carry: the ``seal_name`` setting, else the site title."""
    try:
        from ccas.vault.settings import get_setting
        from plone import api

        return get_setting("seal_name") or api.portal.get().Title() or "CCAS"
    except Exception:
        return "CCAS"


def create_key(directory=None, name=None, make_current=True) -> str:
    """Create a new key pair (seal + PDF) in ``directory``; return its id."""
    directory = Path(directory or key_directory())
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = name or seal_name()
    now = datetime.now(UTC)
    root_key = ed25519.Ed25519PrivateKey.generate()
    key_id = key_id_of(root_key.public_key())
    subject = _name(name, name)
    root = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, None)
    )
    pdf_key = ec.generate_private_key(ec.SECP256R1())
    pdf_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name, name))
        .issuer_name(subject)
        .public_key(pdf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, None)
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    plain = serialization.NoEncryption()
    _write(directory / f"{key_id}.key", root_key.private_bytes(pem, pkcs8, plain), 0o600)
    _write(directory / f"{key_id}.pem", root.public_bytes(pem), 0o644)
    _write(directory / f"{key_id}.pdf.key", pdf_key.private_bytes(pem, pkcs8, plain), 0o600)
    _write(directory / f"{key_id}.pdf.pem", pdf_cert.public_bytes(pem), 0o644)
    if make_current:
        _write(directory / CURRENT, f"{key_id}\n".encode(), 0o644)
    return key_id


def current_key_id(directory=None) -> str | None:
    """The id of the active key, or ``None`` when there is none yet."""
    path = Path(directory or key_directory()) / CURRENT
    try:
        key_id = _cached(path, lambda data: data.decode().strip())
    except FileNotFoundError:
        return None
    return key_id if _KEY_ID.match(key_id) else None


def ensure_key(directory=None) -> str:
    """The id of the active key, created when missing (install, first certification)."""
    return current_key_id(directory) or create_key(directory)


def rotate_key(directory=None, name=None) -> str:
    """Create a new key and make it current; old certificates stay for verification."""
    return create_key(directory, name=name, make_current=True)


def known_key_ids(directory=None) -> list[str]:
    """Ids of every key whose certificate is in the directory."""
    directory = Path(directory or key_directory())
    if not directory.is_dir():
        return []
    ids = {p.name[:16] for p in directory.glob("*.pem") if _KEY_ID.match(p.name[:16])}
    return sorted(ids)


def _path(key_id, suffix, directory=None):
    if not isinstance(key_id, str) or not _KEY_ID.match(key_id):
        raise MissingKey(f"not a key id: {key_id!r}")
    path = Path(directory or key_directory()) / f"{key_id}{suffix}"
    if not path.is_file():
        raise MissingKey(f"missing {path.name} in the key directory")
    return path


def certificate(key_id, directory=None) -> x509.Certificate:
    """The CCAS certificate (Ed25519) of ``key_id``."""
    return _cached(_path(key_id, ".pem", directory), x509.load_pem_x509_certificate)


def public_key(key_id, directory=None) -> ed25519.Ed25519PublicKey:
    return certificate(key_id, directory).public_key()


def private_key(key_id, directory=None) -> ed25519.Ed25519PrivateKey:
    return _cached(_path(key_id, ".key", directory), _load_private)


def _load_private(data):
    return serialization.load_pem_private_key(data, password=None)


def pdf_material(key_id, directory=None):
    """``(private key, certificate, root certificate)`` that sign PDFs for ``key_id``."""
    key = _cached(_path(key_id, ".pdf.key", directory), _load_private)
    cert = _cached(_path(key_id, ".pdf.pem", directory), x509.load_pem_x509_certificate)
    return key, cert, certificate(key_id, directory)


@dataclass(frozen=True)
class KeyInfo:
    """What the key command shows about one key."""

    key_id: str
    current: bool
    has_private_key: bool
    subject: str
    not_after: str


def describe(directory=None) -> list[KeyInfo]:
    current = current_key_id(directory)
    infos = []
    for key_id in known_key_ids(directory):
        cert = certificate(key_id, directory)
        infos.append(
            KeyInfo(
                key_id=key_id,
                current=key_id == current,
                has_private_key=(Path(directory or key_directory()) / f"{key_id}.key").is_file(),
                subject=cert.subject.rfc4514_string(),
                not_after=cert.not_valid_after_utc.date().isoformat(),
            )
        )
    return infos
