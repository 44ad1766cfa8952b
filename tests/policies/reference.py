"""The evaluator as the rule contract defines it, without any shortcut: every enabled rule's
``evaluate`` called on every credential, owner counts from ``counts_toward_owner``.

``policies.evaluator`` skips calls (``Rule.screen``, ``Rule.requires``); the tests hold it to
exactly what this slow reference computes, so a screen that drops a non-pass (a false pass)
fails them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.kernel.model import Evaluation, Finding, TenantInventory, fingerprint
from policies import Policy
from policies.base import remediation_for
from policies.compliance import controls_for
from policies.rules.too_many_per_owner import counts_toward_owner

Key = tuple[str, str, str]
"""(tenant, credential id, rule id)"""


@dataclass
class Reference:
    results: dict[Key, tuple[str, str, Any]] = field(default_factory=dict)
    """Every non-pass outcome: key -> (status, message, evidence)."""
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    """rule id -> status -> count, pass included."""
    findings: dict[Key, dict[str, Any]] = field(default_factory=dict)
    """Every non-pass result as the whole finding it must become (``Finding.model_dump()``),
    built here from the credential object and its owner, not from the evaluator's columns."""


def reference(inventories: Sequence[TenantInventory], policy: Policy, as_of: datetime) -> Reference:
    out = Reference()
    for inventory in inventories:
        tenant = inventory.coverage.tenant
        owners = Counter(
            c.owner.id
            for c in inventory.credentials
            if c.owner.id is not None and counts_toward_owner(c, as_of)
        )
        for rule_id, settings in sorted(policy.for_tenant(tenant).items()):
            if not settings.enabled:
                continue
            ctx = settings.rule.context(as_of, settings.params, tenant=tenant, owner_counts=owners)
            counts = out.counts.setdefault(rule_id, Counter())
            for credential in inventory.credentials:
                outcome = settings.rule.evaluate(credential, ctx)
                if outcome is None:
                    counts["pass"] += 1
                    continue
                counts[outcome[0]] += 1
                out.results[(tenant, credential.id, rule_id)] = outcome
                out.findings[(tenant, credential.id, rule_id)] = Finding(
                    rule_id=rule_id,
                    status=outcome[0],
                    severity=settings.severity,
                    provider=credential.provider,
                    tenant=credential.tenant,
                    credential_id=credential.id,
                    credential_name=credential.name,
                    owner_id=credential.owner.id,
                    owner_name=credential.owner.name,
                    message=outcome[1],
                    evidence=outcome[2],
                    remediation=remediation_for(settings.rule.remediation, credential.managed),
                    controls=controls_for(rule_id) + settings.rule.controls,
                    fingerprint=fingerprint(credential.tenant, credential.id, rule_id),
                ).model_dump()
    _fold(out)
    return out


def _fold(out: Reference) -> None:
    """One cause, one row (the contract ``policies.onerow`` implements): an ``owner-unverified``
    manual is folded into the same credential's ``inactive-owner`` manual; counts keep both."""
    for tenant, cid, rule_id in list(out.results):
        carrier = (tenant, cid, "inactive-owner")
        if rule_id != "owner-unverified" or out.results[(tenant, cid, rule_id)][0] != "manual":
            continue
        if carrier not in out.results or out.results[carrier][0] != "manual":
            continue
        del out.results[(tenant, cid, rule_id)]
        del out.findings[(tenant, cid, rule_id)]
        status, message, evidence = out.results[carrier]
        out.results[carrier] = (status, message, {**evidence, "also_manual": ["owner-unverified"]})
        out.findings[carrier]["evidence"] = out.results[carrier][2]


def observed(evaluation: Evaluation) -> Reference:
    """The evaluator's answer in the reference's shape: capability groups spread back out are
    compared by count and message (they name no credential)."""
    out = Reference()
    for rule_id, row in evaluation.result_counts.items():
        out.counts[rule_id] = Counter({s: n for s, n in row.items() if n})
    for f in evaluation.findings:
        out.results[(f.tenant, f.credential_id, f.rule_id)] = (f.status, f.message, f.evidence)
    return out


def not_applicable_by_group(
    inventories: Sequence[TenantInventory], ref: Reference
) -> Counter[tuple[str, str, str, str]]:
    """The reference's ``not_applicable`` results counted by (tenant, provider, rule, message)."""
    providers = {
        (inv.coverage.tenant, c.id): c.provider for inv in inventories for c in inv.credentials
    }
    return Counter(
        (tenant, providers[(tenant, cid)], rule_id, message)
        for (tenant, cid, rule_id), (status, message, _) in ref.results.items()
        if status == "not_applicable"
    )
