"""Approving a remediation plan, and the checks ``apply`` makes before acting on one.

An approval records who approved, when, and the SHA-256 of the plan without its approval
(``plan_digest``); optionally an Ed25519 signature (the evidence-bundle keys,
``auditor.app.signing``) over the canonical JSON of those three values. ``check_approved`` refuses
a plan that is not approved, was edited after approval (the digest differs), is unsigned when a
signature is required, is signed by another key, or is older than ``plan_max_age_hours``.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditor.app.remediateplan import PLAN_FORMAT, canonical, plan_digest
from auditor.app.signing import fingerprint_key, public_key_from_bytes
from auditor.kernel.errors import ConfigError, EvidenceError, UsageError
from auditor.kernel.inputfile import read_text
from auditor.kernel.timestamps import format_timestamp, parse_timestamp

__all__ = ["PlanRefused", "approve", "check_approved", "read_plan", "render_plan"]

PLAN_LIMIT = 64 * 1024 * 1024


class PlanRefused(UsageError):
    """``apply`` will not act on this plan; the message says why and what to do."""


def render_plan(plan: dict[str, Any]) -> str:
    """The plan file's text: indented, keys sorted, so a reviewer's diff is meaningful."""
    return json.dumps(plan, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_plan(path: Path) -> dict[str, Any]:
    try:
        text = read_text(path, limit=PLAN_LIMIT, what="file")
    except ConfigError as exc:
        raise UsageError(f"{path}: {exc.message}") from None
    try:
        plan = json.loads(text)
    except (ValueError, RecursionError):
        raise UsageError(f"{path} is not a JSON remediation plan") from None
    if not isinstance(plan, dict) or plan.get("format") != PLAN_FORMAT:
        raise UsageError(f"{path} is not a credaudit remediation plan ({PLAN_FORMAT})")
    if not isinstance(plan.get("actions"), list):
        raise UsageError(f"{path}: no `actions` list")
    return plan


def _signed_bytes(approval: dict[str, Any]) -> bytes:
    return canonical({k: approval.get(k) for k in ("plan_sha256", "approved_by", "approved_at")})


def approve(
    plan: dict[str, Any],
    *,
    approver: str,
    at: datetime,
    signing_key: Ed25519PrivateKey | None = None,
) -> dict[str, Any]:
    """``plan`` with an approval (replacing any earlier one)."""
    name = approver.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise UsageError("--approver: give the approver's name or e-mail (printable, ≤ 200)")
    approval: dict[str, Any] = {
        "approved_by": name,
        "approved_at": format_timestamp(at),
        "plan_sha256": plan_digest(plan),
    }
    if signing_key is not None:
        public = signing_key.public_key()
        approval["signature"] = {
            "algorithm": "Ed25519",
            "public_key_sha256": fingerprint_key(public),
            "public_key": public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode(),
            "value": base64.b64encode(signing_key.sign(_signed_bytes(approval))).decode(),
        }
    return {**plan, "approval": approval}


def check_approved(
    plan: dict[str, Any],
    *,
    now: datetime,
    max_age_hours: float,
    trusted_key: Ed25519PublicKey | None = None,
    require_signature: bool = False,
) -> str | None:
    """Raise ``PlanRefused`` unless the plan may be applied now; returns the signer's key
    fingerprint when the approval is signed."""
    approval = plan.get("approval")
    if not isinstance(approval, dict):
        raise PlanRefused(
            "the plan is not approved; review it, then run `credaudit remediate approve`"
        )
    if approval.get("plan_sha256") != plan_digest(plan):
        raise PlanRefused(
            "the plan was edited after approval (its SHA-256 no longer matches the approved "
            "one); build a new plan or approve this version again"
        )
    try:
        created = parse_timestamp(plan.get("created_at"))
        approved = parse_timestamp(approval.get("approved_at"))
    except (TypeError, ValueError):
        created = approved = None
    if created is None or approved is None:
        raise PlanRefused("the plan has no valid created_at / approved_at")
    age = now - created
    if age > timedelta(hours=max_age_hours):
        raise PlanRefused(
            f"the plan is stale: created {format_timestamp(created)}, "
            f"{age.total_seconds() / 3600:.1f} h ago, more than remediation.plan_max_age_hours "
            f"({max_age_hours:g}); build and approve a new plan"
        )
    signer = _check_signature(approval, trusted_key)
    if signer is None and (require_signature or trusted_key is not None):
        raise PlanRefused(
            "the approval is not signed, but a signature is required "
            "(remediation.require_signature / public_key_file); approve with --sign"
        )
    return signer


def _check_signature(approval: dict[str, Any], trusted: Ed25519PublicKey | None) -> str | None:
    sig = approval.get("signature")
    if sig is None:
        return None
    if not isinstance(sig, dict):
        raise PlanRefused("the approval's signature is malformed (altered?)")
    try:
        key = trusted or public_key_from_bytes(str(sig.get("public_key", "")).encode(), "approval")
        key.verify(
            base64.b64decode(str(sig.get("value", "")), validate=True), _signed_bytes(approval)
        )
    except (EvidenceError, InvalidSignature, ValueError):
        whose = "the trusted public key" if trusted else "the key recorded in the approval"
        raise PlanRefused(f"the approval's signature is not valid for {whose} (altered?)") from None
    signer = fingerprint_key(key)
    if sig.get("public_key_sha256") != signer:
        raise PlanRefused("the approval records another signer's key (altered?)")
    return signer
