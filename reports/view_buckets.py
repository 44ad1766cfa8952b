"""Counts for the human-facing reports (``reports.view``): credentials bucketed by time since last
use and by expiry horizon, and ``not_applicable`` results grouped per vendor gap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from auditor.kernel.model import Credential, ScanResult

__all__ = [
    "Bucket",
    "NotApplicableGroup",
    "_days",
    "expiry_buckets",
    "last_use_buckets",
    "not_applicable_groups",
]


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
