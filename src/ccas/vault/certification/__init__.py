"""Certification: the CCAS seal (Ed25519), PAdES signatures, verification, integrity checks."""
