"""What the human-facing formats (HTML, Markdown) show, computed once from a ``ScanResult``.

The HTML and Markdown reports present the same facts at different sizes; deriving them here keeps
the two consistent (same ordering, same counts, same buckets) and keeps the templates free of
logic. Everything is plain data: the renderers escape it for their own syntax.

Conventions (docs/architecture.md "Output files"):
- the *open* findings are ``fail`` and ``manual``: they are what a reader must act on, and the
  only ones counted in the summary (``ScanResult.summary`` does the same);
- ``waived`` stays visible with its waiver; ``not_applicable`` (a fact the vendor cannot express,
  e.g. SailPoint has no network restriction) is shown as grouped counts, never as a problem.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auditor.kernel.model import (
    SEVERITIES,
    SEVERITY_RANK,
    ControlInfo,
    Credential,
    Finding,
    ScanResult,
    TenantCoverage,
    fingerprint,
)
from auditor.kernel.timestamps import format_timestamp

OPEN_STATUSES = ("fail", "manual")
STATUS_ORDER = ("fail", "manual", "waived", "not_applicable", "pass")
STATUS_LABELS = {
    "fail": "fail",
    "manual": "manual review",
    "waived": "waived",
    "not_applicable": "not applicable",
    "pass": "pass",
}


def provider_labels(result: ScanResult) -> dict[str, str]:
    """Provider name → what to call the vendor, as each provider declared it in coverage (a
    result saved before labels existed shows the name itself)."""
    labels: dict[str, str] = {}
    for cov in result.coverage:
        labels.setdefault(cov.provider, cov.provider_label or cov.provider)
    return labels


def credential_kinds(result: ScanResult) -> dict[str, str]:
    """Provider name → what to call one of its credentials (see ``provider_labels``)."""
    kinds: dict[str, str] = {}
    for cov in result.coverage:
        kinds.setdefault(cov.provider, cov.credential_kind or f"{cov.provider} credential")
    return kinds


def finding_sort_key(finding: Finding) -> tuple[int, int, str, str, str, str]:
    """Open first, then by severity (most severe first), rule, tenant, name, id."""
    return (
        STATUS_ORDER.index(finding.status),
        -SEVERITY_RANK[finding.severity],
        finding.rule_id,
        finding.tenant,
        finding.credential_name,
        finding.credential_id,
    )


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_sort_key)


def fmt_time(value: datetime | None) -> str:
    """A timestamp as a reader sees it: ``2026-11-24 00:00 UTC`` (minutes are enough)."""
    if value is None:
        return ""
    text = format_timestamp(value) or ""
    return f"{text[:10]} {text[11:16]} UTC"


def fmt_date(value: datetime | None) -> str:
    text = format_timestamp(value)
    return text[:10] if text else ""


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int
    tone: str
    """A colour class: ``good``, ``warn``, ``bad``, ``muted``."""


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def last_use_buckets(credentials: Sequence[Credential], as_of: datetime) -> list[Bucket]:
    """Credentials by time since last use (the ``stale`` rule's fact)."""
    edges = [(30, "< 30 days", "good"), (90, "30-90 days", "good"), (180, "90-180 days", "warn")]
    counts: Counter[str] = Counter()
    for cred in credentials:
        if not cred.capabilities.last_used:
            counts["not reported"] += 1
        elif cred.last_used_at is None:
            counts["never used"] += 1
        else:
            idle = _days(as_of - cred.last_used_at)
            label = next((name for limit, name, _ in edges if idle < limit), None)
            counts[label or ("180-365 days" if idle < 365 else "> 1 year")] += 1
    order = [
        *((name, tone) for _, name, tone in edges),
        ("180-365 days", "bad"),
        ("> 1 year", "bad"),
        ("never used", "warn"),
        ("not reported", "muted"),
    ]
    return [Bucket(name, counts[name], tone) for name, tone in order]


def expiry_buckets(credentials: Sequence[Credential], as_of: datetime) -> list[Bucket]:
    """Credentials by expiry horizon (``expired``, ``expiring-soon``, ``no-expiry``)."""
    counts: Counter[str] = Counter()
    for cred in credentials:
        if cred.expires_at is None:
            counts["no expiry"] += 1
            continue
        left = _days(cred.expires_at - as_of)
        if left <= 0:
            counts["expired"] += 1
        elif left <= 14:
            counts["≤ 14 days"] += 1
        elif left <= 90:
            counts["15-90 days"] += 1
        elif left <= 365:
            counts["91-365 days"] += 1
        else:
            counts["> 1 year"] += 1
    order = [
        ("expired", "bad"),
        ("≤ 14 days", "warn"),
        ("15-90 days", "good"),
        ("91-365 days", "good"),
        ("> 1 year", "warn"),
        ("no expiry", "bad"),
    ]
    return [Bucket(name, counts[name], tone) for name, tone in order]


@dataclass(frozen=True)
class NotApplicableGroup:
    tenant: str
    provider: str
    rule_id: str
    reason: str
    count: int


def not_applicable_groups(result: ScanResult) -> list[NotApplicableGroup]:
    """``not_applicable`` results grouped by tenant, rule and reason: one line per vendor gap.

    The evaluator counts vendor-capability gaps itself (``Evaluation.not_applicable``); a rule
    may still decide ``not_applicable`` for one credential (a custom rule can), and those
    findings are grouped here the same way.
    """
    counts: Counter[tuple[str, str, str, str]] = Counter(
        (f.tenant, f.provider, f.rule_id, f.message)
        for f in result.findings
        if f.status == "not_applicable"
    )
    for group in result.evaluation.not_applicable:
        counts[(group.tenant, group.provider, group.rule_id, group.message)] += group.credentials
    return [NotApplicableGroup(*key, count=n) for key, n in sorted(counts.items())]


@dataclass(frozen=True)
class RuleRow:
    rule_id: str
    severity: str
    counts: dict[str, int]

    @property
    def open(self) -> int:
        return self.counts.get("fail", 0) + self.counts.get("manual", 0)


def rule_rows(result: ScanResult) -> list[RuleRow]:
    """Per rule: severity and counts by status (including ``pass``), most severe first."""
    policy_rules = result.evaluation.policy.get("rules", {})
    severities: dict[str, str] = {}
    for rule_id, settings in policy_rules.items() if isinstance(policy_rules, dict) else ():
        if isinstance(settings, dict) and settings.get("severity") in SEVERITY_RANK:
            severities[rule_id] = settings["severity"]
    for f in result.findings:
        severities.setdefault(f.rule_id, f.severity)
    rows = [
        RuleRow(rule_id, severities.get(rule_id, "info"), dict(counts))
        for rule_id, counts in result.evaluation.result_counts.items()
    ]
    return sorted(rows, key=lambda r: (-SEVERITY_RANK[r.severity], r.rule_id))


@dataclass(frozen=True)
class MatrixRule:
    rule_id: str
    strength: str
    failed: int
    manual: int
    waived: int
    passed: int
    not_applicable: int


@dataclass(frozen=True)
class MatrixControl:
    ref: str
    control_id: str
    name: str
    rules: list[MatrixRule]
    gaps: list[str]

    @property
    def state(self) -> str:
        """``fail`` with a failure or an unmet threshold, ``review`` with only manual-review
        results, ``pass`` otherwise."""
        if self.gaps or any(r.failed for r in self.rules):
            return "fail"
        return "review" if any(r.manual for r in self.rules) else "pass"


@dataclass(frozen=True)
class MatrixFramework:
    name: str
    version: str
    controls: list[MatrixControl] = field(default_factory=list)


def compliance_matrix(result: ScanResult) -> list[MatrixFramework]:
    """Framework → control → rules with fail/pass counts, plus unmet thresholds per control."""
    counts = result.evaluation.result_counts
    gaps: dict[str, list[str]] = defaultdict(list)
    for gap in result.evaluation.constraint_gaps:
        gaps[gap.control].append(gap.message)
    frameworks: dict[str, MatrixFramework] = {}
    for control in result.evaluation.controls:
        fw = frameworks.setdefault(
            control.framework, MatrixFramework(control.framework, control.version)
        )
        fw.controls.append(_matrix_control(control, counts, gaps.get(control.ref, [])))
    return list(frameworks.values())


def _matrix_control(
    control: ControlInfo, counts: dict[str, dict[str, int]], gaps: list[str]
) -> MatrixControl:
    rules = []
    for rule in control.rules:
        c = counts.get(rule.rule_id, {})
        rules.append(
            MatrixRule(
                rule_id=rule.rule_id,
                strength=rule.strength,
                failed=c.get("fail", 0),
                manual=c.get("manual", 0),
                waived=c.get("waived", 0),
                passed=c.get("pass", 0),
                not_applicable=c.get("not_applicable", 0),
            )
        )
    return MatrixControl(control.ref, control.control_id, control.name, rules, gaps)


def incomplete_coverage(result: ScanResult) -> list[TenantCoverage]:
    """Tenants whose population is not the whole story; every report leads with them."""
    return [c for c in result.coverage if c.status != "complete"]


def open_rules_by_credential(findings: Iterable[Finding]) -> dict[tuple[str, str], list[str]]:
    """(tenant, credential id) → the rule ids with an open finding, for the inventory."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for f in findings:
        if f.status in OPEN_STATUSES:
            out[(f.tenant, f.credential_id)].append(f.rule_id)
    return out


def worst_severity(findings: Iterable[Finding]) -> dict[tuple[str, str], str]:
    """(tenant, credential id) → the most severe open finding's severity."""
    out: dict[tuple[str, str], str] = {}
    for f in findings:
        if f.status not in OPEN_STATUSES:
            continue
        key = (f.tenant, f.credential_id)
        if key not in out or SEVERITY_RANK[f.severity] > SEVERITY_RANK[out[key]]:
            out[key] = f.severity
    return out


def severity_counts(result: ScanResult) -> list[tuple[str, int]]:
    by = result.summary["by_severity"]
    return [(sev, int(by.get(sev, 0))) for sev in SEVERITIES]


def status_counts(result: ScanResult) -> dict[str, int]:
    by = result.summary["by_status"]
    return {status: int(by.get(status, 0)) for status in STATUS_ORDER if status != "pass"}


COVERAGE_RULE = "coverage"
"""The rule id of the rows that say a tenant was not collected completely (CSV, OCSF)."""


def coverage_gaps(result: ScanResult) -> list[TenantCoverage]:
    """Tenants collected only partially or not at all: machine formats must carry them too,
    or a CSV/SIEM consumer would read such a tenant as clean."""
    return [c for c in result.coverage if c.status != "complete"]


def coverage_message(cov: TenantCoverage) -> str:
    what = "could not be collected" if cov.status == "failed" else "was collected only partially"
    detail = cov.error or "; ".join(cov.notes)
    return f"tenant {cov.tenant} {what}: {detail}" if detail else f"tenant {cov.tenant} {what}"


def coverage_fingerprint(cov: TenantCoverage) -> str:
    return fingerprint(cov.tenant, "", COVERAGE_RULE)
