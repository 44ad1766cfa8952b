"""Recorded scans as ``credaudit history`` lists them, and the comparison of two (``compare``).

What counts as *open* (``OPEN_STATUSES``): ``fail``, ``manual`` and ``waived`` (see
``auditor.app.history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditor.kernel.model import SEVERITY_RANK, Finding

OPEN_STATUSES = frozenset({"fail", "manual", "waived"})


@dataclass(frozen=True)
class TenantRecord:
    tenant: str
    provider: str
    status: str
    credential_count: int


@dataclass(frozen=True)
class ScanRecord:
    """One recorded scan, as ``credaudit history`` lists it."""

    seq: int
    id: str
    started_at: datetime
    finished_at: datetime
    as_of: datetime
    status: str
    tool_version: str
    config_hash: str | None
    policy_hash: str
    summary: dict[str, Any]
    tenants: tuple[TenantRecord, ...]


@dataclass(frozen=True)
class ScanDiff:
    """Open findings of scan ``b`` against scan ``a`` (see ``compare``)."""

    a: ScanRecord
    b: ScanRecord
    new: tuple[Finding, ...]
    persisting: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    changed: tuple[tuple[Finding, Finding], ...]
    """Persisting findings whose status or severity changed: (in a, in b)."""
    not_compared: dict[str, str]
    """Tenants whose absent findings prove nothing, with the reason."""


def compare(
    a: ScanRecord, a_findings: Sequence[Finding], b: ScanRecord, b_findings: Sequence[Finding]
) -> ScanDiff:
    """Open findings new in ``b``, gone from ``b``, in both. A finding absent from ``b`` counts as
    resolved only when ``b`` collected its tenant completely, as in ``mark``."""
    before = {f.fingerprint: f for f in a_findings if f.status in OPEN_STATUSES}
    after = {f.fingerprint: f for f in b_findings if f.status in OPEN_STATUSES}
    a_status = {t.tenant: t.status for t in a.tenants}
    b_status = {t.tenant: t.status for t in b.tenants}
    not_compared = {
        t.tenant: f"{t.status} in scan {a.id}" for t in a.tenants if t.status != "complete"
    }
    a_names = {t.tenant for t in a.tenants}
    for t in b.tenants:
        if t.tenant not in a_names:
            not_compared[t.tenant] = f"not collected in scan {a.id}"
    for t in a.tenants:
        if b_status.get(t.tenant, "absent") != "complete":
            not_compared[t.tenant] = f"{b_status.get(t.tenant, 'not collected')} in scan {b.id}"

    def order(items: list[Finding]) -> tuple[Finding, ...]:
        # most severe first (a reader acts on the critical ones), then tenant, rule, credential
        return tuple(
            sorted(
                items,
                key=lambda f: (-SEVERITY_RANK[f.severity], f.tenant, f.rule_id, f.credential_id),
            )
        )

    both = [after[fp] for fp in after if fp in before]
    return ScanDiff(
        a=a,
        b=b,
        # new only where ``a`` saw the tenant completely: a finding of a tenant that failed in
        # ``a`` was simply not looked at then (the tenant is listed in not_compared instead)
        new=order(
            [
                f
                for fp, f in after.items()
                if fp not in before and a_status.get(f.tenant) == "complete"
            ]
        ),
        persisting=order(both),
        resolved=order(
            [
                f
                for fp, f in before.items()
                if fp not in after and b_status.get(f.tenant) == "complete"
            ]
        ),
        changed=tuple(
            (before[f.fingerprint], f)
            for f in order(both)
            if (before[f.fingerprint].status, before[f.fingerprint].severity)
            != (f.status, f.severity)
        ),
        not_compared=dict(sorted(not_compared.items())),
    )
