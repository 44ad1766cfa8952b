"""Ed25519 keys for evidence bundles: loading private and public keys, and their fingerprints.

Errors never quote key material: a wrong file handed as a key must not end up in a log."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedKey
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditor.kernel.errors import ConfigError, EvidenceError
from auditor.kernel.inputfile import SECRET_LIMIT, read_bytes


def fingerprint_key(key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo: what ``verify`` prints and compares."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _read_key(path: Path, what: str) -> bytes:
    """A key file: a regular file of at most 64 KiB (``auditor.kernel.inputfile``)."""
    try:
        return read_bytes(path, limit=SECRET_LIMIT, what=what)
    except ConfigError as exc:
        raise EvidenceError(f"cannot read the {what} {path}: {exc.message}") from None


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """An unencrypted Ed25519 private key (PKCS#8 PEM, or OpenSSH). Errors never quote it."""
    data = _read_key(path, "signing key")
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key: object = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedKey) as exc:
        raise EvidenceError(
            f"the signing key {path} is not an unencrypted Ed25519 private key "
            f"({type(exc).__name__}); create one with `openssl genpkey -algorithm ed25519`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EvidenceError(f"the signing key {path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key: PEM (SubjectPublicKeyInfo) or an OpenSSH ``ssh-ed25519`` line."""
    data = _read_key(path, "public key")
    return public_key_from_bytes(data, str(path))


def public_key_from_bytes(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        if data.lstrip().startswith(b"ssh-"):
            key: object = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedKey) as exc:
        raise EvidenceError(
            f"{where} is not a PEM or OpenSSH public key ({type(exc).__name__})"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise EvidenceError(f"{where} is not an Ed25519 public key")
    return key
