"""What ``credaudit remediate apply --execute`` leaves behind: a receipt bundle ``credaudit
verify`` checks like an evidence bundle (``write_receipts``), and the same receipts in the history
database (``record_receipts``, ``auditor.app.remediatelog``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.app.config import LoadedConfig
from auditor.app.historytarget import history_target
from auditor.app.remediatelog import RemediationLog
from auditor.kernel.timestamps import format_timestamp

__all__ = ["RECEIPT_FORMAT", "record_receipts", "write_receipts"]

RECEIPT_FORMAT = "credaudit-remediation-receipt/1"


def write_receipts(
    path: Path,
    plan: Mapping[str, Any],
    receipts: Sequence[Mapping[str, Any]],
    *,
    applied_at: datetime,
    signing_key: Ed25519PrivateKey | None = None,
) -> None:
    """A zip ``credaudit verify`` checks like an evidence bundle: ``plan.json`` (as approved),
    ``receipts.json`` and a SHA-256 manifest, signed with the evidence key when configured."""
    import base64

    from cryptography.hazmat.primitives import serialization

    from auditor.app.evidence import MANIFEST, PUBLIC_KEY, SIGNATURE, _json, write_zip
    from auditor.app.signing import fingerprint_key

    files = {"plan.json": _json(plan), "receipts.json": _json(list(receipts))}
    manifest: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "scan": {"id": plan.get("plan_id"), "as_of": format_timestamp(applied_at)},
        "plan": {"id": plan.get("plan_id"), "approval": plan.get("approval")},
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        },
    }
    if signing_key is not None:
        manifest["signature"] = {
            "algorithm": "Ed25519",
            "public_key_sha256": fingerprint_key(signing_key.public_key()),
        }
    files[MANIFEST] = _json(manifest)
    if signing_key is not None:
        files[SIGNATURE] = base64.b64encode(signing_key.sign(files[MANIFEST])) + b"\n"
        files[PUBLIC_KEY] = signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    write_zip(path, files)


def record_receipts(
    loaded: LoadedConfig, plan_id: str, receipts: Sequence[Mapping[str, Any]]
) -> None:
    with RemediationLog(history_target(loaded)) as log:
        log.record_receipts(plan_id, receipts)
