"""PAdES signatures of certified PDFs (pyHanko, incremental update).

The signature is made with the PDF key of the current CCAS key
(ECDSA P-256, certificate issued by the CCAS Ed25519 certificate, both
embedded), so that a PDF reader shows who certified the paper and
pyHanko's validator accepts it with the CCAS certificate as trust root.
"""

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from ccas.vault.certification import keys
from cryptography.hazmat.primitives import serialization
from io import BytesIO
import logging


logger = logging.getLogger(__name__)

FIELD_NAME = "CertificationCCAS"
#: Bytes reserved for the CMS container: an ECDSA signature with two certificates needs ~2 KB.
SIGNATURE_RESERVE = 8192
_SIGNERS = {}  # (key id, key directory) -> pyHanko signer


class PdfSigningFailed(Exception):
    """pyHanko could not sign this PDF (the seal alone then certifies it)."""


def _asn1_cert(cert):
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign_pdf(data: bytes, *, reason: str, location: str = "", directory=None) -> bytes:
    """Return ``data`` with a PAdES signature appended (incremental update)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_id = keys.ensure_key(directory)
    signer = _SIGNERS.get((key_id, str(directory)))
    if signer is None:
        private, cert, root = keys.pdf_material(key_id, directory)
        der_key = private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        signer = signers.SimpleSigner(
            signing_cert=_asn1_cert(cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
            cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(root)]),
        )
        # One signer per key: asn1crypto then encodes its certificates once, not per PDF.
        _SIGNERS[(key_id, str(directory))] = signer
    existing = 0
    try:
        writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
        existing = len(writer.prev.embedded_signatures)
        meta = PdfSignatureMetadata(
            field_name=f"{FIELD_NAME}{existing + 1 if existing else ''}",
            reason=reason,
            location=location or None,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
        )
        out = BytesIO()
        # A fixed reserve skips pyHanko's dry-run signature that estimates it (half the cost).
        signers.sign_pdf(writer, meta, signer=signer, output=out, bytes_reserved=SIGNATURE_RESERVE)
    except Exception as error:  # pyHanko raises many kinds on odd PDFs
        logger.warning("PAdES signature failed: %s", error)
        raise PdfSigningFailed(str(error)) from error
    return out.getvalue()


def validate(data: bytes, trust_roots):
    """pyHanko's status of the last embedded signature, trusting ``trust_roots``.

    ``trust_roots``: cryptography certificates (e.g. :func:`keys.certificate`).
    Returns ``None`` when the PDF carries no signature.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(BytesIO(data), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        return None
    context = ValidationContext(trust_roots=[_asn1_cert(c) for c in trust_roots])
    return validate_pdf_signature(signatures[-1], context)
