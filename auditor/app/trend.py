"""``credaudit trend``: per tenant and severity, how the recorded scans changed over time.

One row per recorded scan, tenant and severity:

- ``failing``: failing findings (status ``fail``; what ``results.json``'s ``by_severity`` counts);
  ``manual`` and ``waived`` are counted apart (a waiver accepts a risk, it does not remove it);
- ``new``: open findings (fail, manual, waived) first seen in this scan;
- ``resolved``: findings open in the tenant's previous complete scan or any later partial one that
  are gone now; only a complete tenant resolves anything (``auditor.app.historymark``);
- ``mttr_days``: the mean time to remediate of this scan's resolved findings (resolution as-of
  minus first seen, in days), or none;
- ``credentials``: the tenant's inventory size.

A tenant that **failed** in a scan has every count as ``None`` (shown as "failed"), never 0: no
collection proves nothing. A partial tenant's counts are what was seen (a lower bound).
Rows are computed from the history's own rows in recording order, so ``--since`` only hides older
scans; it never changes what counts as new or resolved.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from auditor.app.history import History
from auditor.app.historyschema import _ts
from auditor.kernel.model import SEVERITIES, TrendPoint
from auditor.kernel.timestamps import format_timestamp

COLUMNS = (
    "scan_id",
    "as_of",
    "tenant",
    "tenant_status",
    "severity",
    "failing",
    "manual",
    "waived",
    "new",
    "resolved",
    "mttr_days",
    "credentials",
)


@dataclass(frozen=True)
class TrendRow:
    scan_id: str
    as_of: datetime
    tenant: str
    tenant_status: str
    severity: str
    failing: int | None
    manual: int | None
    waived: int | None
    new: int | None
    resolved: int | None
    mttr_days: float | None
    credentials: int | None

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["as_of"] = format_timestamp(self.as_of)
        return row


@dataclass
class _Open:
    severity: str
    first_seen: datetime


def _findings_by_scan(history: History) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """The findings table, one scan at a time, in recording order (streamed, not loaded)."""
    cursor = history.backend.execute(
        "SELECT scan_seq, tenant, fingerprint, status, severity, first_seen, change "
        "FROM findings ORDER BY scan_seq"
    )
    current: int | None = None
    batch: list[tuple[Any, ...]] = []
    for row in cursor:
        if row[0] != current:
            if current is not None:
                yield current, batch
            current, batch = row[0], []
        batch.append(tuple(row))
    if current is not None:
        yield current, batch


def trend_rows(history: History, since: datetime | None = None) -> list[TrendRow]:
    scans = history.scans()
    by_seq = dict(_findings_by_scan(history))
    window: dict[str, dict[str, _Open]] = {}  # tenant -> open since its last complete scan
    rows: list[TrendRow] = []
    for scan in scans:
        found = by_seq.get(scan.seq, [])
        for tenant in scan.tenants:
            mine = [f for f in found if f[1] == tenant.tenant]
            if tenant.status == "failed":
                rows.extend(
                    TrendRow(scan.id, scan.as_of, tenant.tenant, "failed", sev, *([None] * 7))
                    for sev in SEVERITIES
                )
                continue
            now = {f[2]: _Open(f[4], _ts(f[5])) for f in mine}
            earlier = window.get(tenant.tenant, {})
            gone = (
                {fp: o for fp, o in earlier.items() if fp not in now}
                if tenant.status == "complete"
                else {}
            )
            window[tenant.tenant] = now if tenant.status == "complete" else {**earlier, **now}
            for sev in SEVERITIES:
                fixed = [o for o in gone.values() if o.severity == sev]
                ages = [(scan.as_of - o.first_seen).total_seconds() / 86_400 for o in fixed]
                of_sev = [f for f in mine if f[4] == sev]
                rows.append(
                    TrendRow(
                        scan_id=scan.id,
                        as_of=scan.as_of,
                        tenant=tenant.tenant,
                        tenant_status=tenant.status,
                        severity=sev,
                        failing=sum(1 for f in of_sev if f[3] == "fail"),
                        manual=sum(1 for f in of_sev if f[3] == "manual"),
                        waived=sum(1 for f in of_sev if f[3] == "waived"),
                        new=sum(1 for f in of_sev if f[6] == "new"),
                        resolved=len(fixed),
                        mttr_days=round(sum(ages) / len(ages), 2) if ages else None,
                        credentials=tenant.credential_count,
                    )
                )
    if since is not None:
        rows = [r for r in rows if r.as_of >= since]
    return rows


def trend_points(rows: Sequence[TrendRow]) -> tuple[TrendPoint, ...]:
    """The rows as the HTML chart's points: one per scan and tenant."""
    points: dict[tuple[str, str], TrendPoint] = {}
    for row in rows:
        key = (row.scan_id, row.tenant)
        point = points.get(key) or TrendPoint(
            scan_id=row.scan_id, as_of=row.as_of, tenant=row.tenant, status=row.tenant_status
        )
        if row.failing is not None:
            point = point.model_copy(
                update={"failing": {**point.failing, row.severity: row.failing}}
            )
        points[key] = point
    return tuple(points.values())


def chart_points(
    history: History, tenants: Sequence[str], limit: int = 60
) -> tuple[TrendPoint, ...]:
    """The last ``limit`` recorded scans of ``tenants`` for the HTML chart: failing findings by
    severity per scan and tenant, counted by the database (cheap on a large history)."""
    scans = history.scans(limit=limit)
    if not scans:
        return ()
    counts: dict[tuple[int, str], dict[str, int]] = {}
    for seq, tenant, severity, count in history.backend.execute(
        "SELECT scan_seq, tenant, severity, COUNT(*) FROM findings "
        "WHERE status = 'fail' AND scan_seq >= ? GROUP BY scan_seq, tenant, severity",
        (scans[0].seq,),
    ):
        counts.setdefault((seq, tenant), {})[severity] = int(count)
    wanted = set(tenants)
    return tuple(
        TrendPoint(
            scan_id=scan.id,
            as_of=scan.as_of,
            tenant=t.tenant,
            status=t.status,
            failing={}
            if t.status == "failed"
            else {sev: counts.get((scan.seq, t.tenant), {}).get(sev, 0) for sev in SEVERITIES},
        )
        for scan in scans
        for t in scan.tenants
        if t.tenant in wanted
    )
