"""What the human-facing formats (HTML, Markdown) show, computed once from a ``ScanResult``.

The HTML and Markdown reports present the same facts at different sizes; deriving them here keeps
the two consistent (same ordering, same counts, same buckets) and keeps the templates free of
logic. Everything is plain data: the renderers escape it for their own syntax.

Conventions (docs/architecture.md "Output files"):
- the *open* findings are ``fail`` and ``manual``: they are what a reader must act on, and the
  only ones counted in the summary (``ScanResult.summary`` does the same);
- ``waived`` stays visible with its waiver; ``not_applicable`` (a fact the vendor cannot express,
  e.g. SailPoint has no network restriction) is shown as grouped counts, never as a problem.

The credential buckets and not-applicable groups are in ``reports.view_buckets``, the rule table
and compliance matrix in ``reports.view_matrix``; both are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from auditor.kernel.model import (
    SEVERITIES,
    SEVERITY_RANK,
    Finding,
    ScanResult,
    TenantCoverage,
    fingerprint,
)
from auditor.kernel.timestamps import format_timestamp
from reports.view_buckets import (
    Bucket,
    NotApplicableGroup,
    _days,
    expiry_buckets,
    last_use_buckets,
    not_applicable_groups,
)
from reports.view_matrix import (
    MatrixControl,
    MatrixFramework,
    MatrixRule,
    RuleRow,
    _matrix_control,
    compliance_matrix,
    rule_rows,
)

__all__ = [
    "COVERAGE_RULE",
    "NOTE_LABELS",
    "OPEN_STATUSES",
    "STATUS_LABELS",
    "STATUS_ORDER",
    "Bucket",
    "MatrixControl",
    "MatrixFramework",
    "MatrixRule",
    "NotApplicableGroup",
    "RuleRow",
    "_days",
    "_matrix_control",
    "compliance_matrix",
    "coverage_fingerprint",
    "coverage_gaps",
    "coverage_message",
    "credential_kinds",
    "expiry_buckets",
    "finding_sort_key",
    "fmt_date",
    "fmt_time",
    "incomplete_coverage",
    "last_use_buckets",
    "not_applicable_groups",
    "open_rules_by_credential",
    "ordered_findings",
    "provider_labels",
    "rule_rows",
    "severity_counts",
    "status_counts",
    "worst_severity",
]

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


NOTE_LABELS = {"cause": "cause", "caveat": "caveat", "info": "information"}
"""What a report calls a coverage note's severity (``auditor.kernel.coveragenotes``)."""

COVERAGE_RULE = "coverage"
"""The rule id of the rows that say a tenant was not collected completely (CSV, OCSF)."""


def coverage_gaps(result: ScanResult) -> list[TenantCoverage]:
    """Tenants collected only partially or not at all: machine formats must carry them too,
    or a CSV/SIEM consumer would read such a tenant as clean."""
    return [c for c in result.coverage if c.status != "complete"]


def coverage_message(cov: TenantCoverage) -> str:
    what = "could not be collected" if cov.status == "failed" else "was collected only partially"
    detail = "; ".join(cov.reasons())
    return f"tenant {cov.tenant} {what}: {detail}" if detail else f"tenant {cov.tenant} {what}"


def coverage_fingerprint(cov: TenantCoverage) -> str:
    return fingerprint(cov.tenant, "", COVERAGE_RULE)
