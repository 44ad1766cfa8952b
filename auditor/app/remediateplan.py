"""Building a remediation plan from a scan (``credaudit remediate plan``).

A plan is a reviewable JSON document (``PLAN_FORMAT``): per credential, the action the
``remediation.policy`` chose (``revoke``, ``narrow-scope``, or ``notify-owner`` while the grace
period counted from ``first_seen`` runs), the failing findings and their evidence behind it, the
exact vendor request, and the credential's fingerprint (a hash of the facts the decision rests on,
compared again before anything is sent). What is *not* acted on is listed too, with the reason:
platform-managed (Workflow) credentials, credentials under a live waiver, and actions the vendor
does not allow. Nothing outside ``actions`` is ever touched.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from auditor.app.remediateconfig import RemediationConfig, RemediationRule
from auditor.kernel.errors import ConfigError
from auditor.kernel.model import SEVERITY_RANK, Credential, Finding, ScanResult
from auditor.kernel.timestamps import format_timestamp
from providers.base import ClientFactory, Provider, TenantSettings
from providers.remediation import Remediator

__all__ = [
    "PLAN_FORMAT",
    "build_plan",
    "canonical",
    "credential_fingerprint",
    "first_seen_from_document",
    "plan_digest",
]

PLAN_FORMAT = "credaudit-remediation-plan/1"
STRENGTH = {"revoke": 2, "narrow-scope": 1}
_FACTS = (
    "provider",
    "tenant",
    "id",
    "client_id",
    "name",
    "created_at",
    "updated_at",
    "last_used_at",
    "expires_at",
    "deleted_at",
    "scopes",
    "scope_mode",
    "allowed_cidrs",
    "managed",
)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def credential_fingerprint(credential: Credential) -> str:
    """SHA-256 of the facts an action rests on: any change (a new use, a renewal, a new scope,
    another owner) makes ``apply`` skip the credential."""
    data = credential.model_dump(mode="json", include=set(_FACTS))
    data["owner_id"] = credential.owner.id
    return hashlib.sha256(canonical(data)).hexdigest()


def plan_digest(plan: Mapping[str, Any]) -> str:
    """SHA-256 of the plan without its ``approval``: what an approval covers."""
    return hashlib.sha256(canonical({k: v for k, v in plan.items() if k != "approval"})).hexdigest()


def first_seen_from_document(document: Any) -> dict[str, datetime]:
    """Finding fingerprint → ``first_seen`` from a saved ``results.json`` (its ``findings``)."""
    from auditor.kernel.timestamps import parse_timestamp

    out: dict[str, datetime] = {}
    for item in document.get("findings") or () if isinstance(document, dict) else ():
        if isinstance(item, dict) and isinstance(item.get("fingerprint"), str):
            try:
                seen = parse_timestamp(item.get("first_seen"))
            except (TypeError, ValueError):
                seen = None
            if seen is not None:
                out[item["fingerprint"]] = seen
    return out


def _check_rules(config: RemediationConfig, known: Sequence[str]) -> None:
    for i, rule in enumerate(config.policy):
        unknown = [r for r in rule.rules if r not in known]
        if unknown:
            raise ConfigError(
                f"unknown rule id(s) {', '.join(unknown)}",
                key=f"remediation.policy[{i}].rules",
                fix=f"use rule ids from `credaudit rules`: {', '.join(known)}",
            )


def _matching(rule: RemediationRule, finding: Finding) -> bool:
    return (
        finding.rule_id in rule.rules
        and SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[rule.min_severity]
    )


def build_plan(
    result: ScanResult,
    config: RemediationConfig,
    *,
    tenants: Mapping[str, TenantSettings],
    registry: Mapping[str, type[Provider]],
    known_rules: Sequence[str],
    identities: Mapping[str, str | None],
    created_at: datetime,
    first_seen: Mapping[str, datetime] | None = None,
) -> dict[str, Any]:
    """The plan for ``result``. ``tenants``: each tenant's settings (for the vendor requests);
    ``identities``: tenant → ``remediation_identity``; ``first_seen``: overrides by finding
    fingerprint (a saved results.json)."""
    _check_rules(config, known_rules)
    as_of = result.scan.as_of
    failing: dict[tuple[str, str], list[Finding]] = {}
    waived: set[tuple[str, str]] = set()
    for finding in result.findings:
        key = (finding.tenant, finding.credential_id)
        if finding.status == "waived":
            waived.add(key)
        elif finding.status == "fail":
            failing.setdefault(key, []).append(finding)
    actions: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for credential in result.credentials:
        findings = failing.get(credential.key)
        if not findings:
            continue
        chosen = _choose(config, findings)
        if chosen is None:
            continue
        rule, matched = chosen

        def exclude(reason: str, cred: Credential = credential) -> None:
            excluded.append(
                {
                    "tenant": cred.tenant,
                    "credential_id": cred.id,
                    "credential_name": cred.name,
                    "reason": reason,
                }
            )

        if credential.managed:
            exclude("platform-managed (Workflow) credential: never touched")
            continue
        if credential.key in waived:
            exclude("under a live waiver: never touched")
            continue
        cls = registry.get(credential.provider)
        remediator_cls = cls.remediator if cls is not None else None
        settings = tenants.get(credential.tenant)
        if remediator_cls is None or settings is None:
            exclude(f"{credential.provider} offers no remediation through credaudit")
            continue
        remediator: Remediator = remediator_cls(settings, ClientFactory())
        params: dict[str, Any] = {}
        if rule.action == "narrow-scope":
            params = {
                "scope": list(rule.scope or ()),
                "remediation_identity": identities.get(credential.tenant),
            }
        refusal = remediator.refusal(rule.action, credential, params)
        if refusal is not None:
            exclude(f"{rule.action}: {refusal}")
            continue
        overrides = first_seen or {}
        seen = [overrides.get(f.fingerprint) or f.first_seen for f in matched]
        known_seen = [s for s in seen if s is not None]
        start = min(known_seen) if known_seen else as_of
        due = start + timedelta(days=rule.grace_days)
        request = remediator.request_for(rule.action, credential, params)
        entry: dict[str, Any] = {
            "id": f"a{len(actions) + 1:04d}",
            "action": rule.action if due <= as_of else "notify-owner",
            "pending_action": rule.action,
            "due": format_timestamp(due),
            "tenant": credential.tenant,
            "provider": credential.provider,
            "credential_id": credential.id,
            "credential_name": credential.name,
            "owner": {
                "id": credential.owner.id,
                "name": credential.owner.name,
                "email": credential.owner.email,
            },
            "credential_fingerprint": credential_fingerprint(credential),
            "facts": {
                "last_used_at": format_timestamp(credential.last_used_at),
                "expires_at": format_timestamp(credential.expires_at),
                "updated_at": format_timestamp(credential.updated_at),
                "scopes": list(credential.scopes),
            },
            "params": {k: v for k, v in params.items() if k == "scope"},
            "request": request.as_dict(),
            "findings": [
                {
                    "rule_id": f.rule_id,
                    "severity": f.severity,
                    "fingerprint": f.fingerprint,
                    "message": f.message,
                    "evidence": f.evidence,
                    "first_seen": format_timestamp(s) if s is not None else None,
                }
                for f, s in zip(matched, seen, strict=True)
            ],
        }
        if not known_seen:
            entry["note"] = "first_seen unknown (no history): the grace period starts at the scan"
        actions.append(entry)
    return {
        "format": PLAN_FORMAT,
        "plan_id": uuid.uuid4().hex,
        "created_at": format_timestamp(created_at),
        "scan": {
            "id": result.scan.id,
            "as_of": format_timestamp(as_of),
            "status": result.scan.status,
        },
        "policy": [r.model_dump(mode="json") for r in config.policy],
        "actions": actions,
        "excluded": excluded,
        "approval": None,
    }


def _choose(
    config: RemediationConfig, findings: Sequence[Finding]
) -> tuple[RemediationRule, list[Finding]] | None:
    """The strongest action any policy entry asks for, with the findings behind it."""
    best: tuple[RemediationRule, list[Finding]] | None = None
    for rule in config.policy:
        matched = [f for f in findings if _matching(rule, f)]
        if matched and (best is None or STRENGTH[rule.action] > STRENGTH[best[0].action]):
            best = (rule, matched)
    return best
