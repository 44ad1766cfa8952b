"""Scan results for the report tests, built through the real pipeline from the curated demo.

``curated`` is what ``credaudit demo --as-of 2026-11-24T00:00:00Z`` produces, with the fields
that vary between runs fixed (scan id, start/finish, per-tenant durations) so golden files are
byte-stable. ``rich`` adds what the demo lacks: waivers in every state, a failed and a partial
tenant whose error and notes carry markup, "new" findings and a resolved one (history's fields).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from pydantic import BaseModel

import policies
from auditor.app.engine import NullProgress, assemble, collect_all, default_registry, plan_for
from auditor.app.sandbox import Simulation
from auditor.kernel.model import (
    RecordError,
    ScanResult,
    TenantCoverage,
    TenantInventory,
    fingerprint,
)
from providers.base import ClientFactory

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
SCAN_ID = "golden0000000000000000000000scan"
STARTED = datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC)
FINISHED = datetime(2026, 11, 24, 0, 0, 2, tzinfo=UTC)

WAIVERS: list[dict[str, object]] = [
    {
        "id": "W-ACTIVE",
        "rule": "no-expiry",
        "match": {"tenant": "sandbox-c1", "name": "no expiry: permanent"},
        "reason": "Break-glass key kept in the vault <b>rotated</b> by hand",
        "approved_by": "ciso@example.com",
        "approved_at": "2026-10-01",
        "expires": "2027-03-31",
        "ticket": "SEC-1",
    },
    {
        "id": "W-EXPIRING",
        "rule": "stale",
        "match": {"tenant": "sandbox-c1", "name": "stale: old laptop"},
        "reason": "Laptop being decommissioned",
        "approved_by": "jane@example.com",
        "approved_at": "2026-06-01",
        "expires": "2026-12-01",
    },
    {
        "id": "W-EXPIRED",
        "rule": "too-many-per-owner",
        "match": {"tenant": "sandbox-isc", "name": "Bob integration 1"},
        "reason": "Migration in progress",
        "approved_by": "jane@example.com",
        "approved_at": "2026-01-01",
        "expires": "2026-11-01",
    },
    {
        "id": "W-STALE",
        "rule": "stale",
        "match": {"credential_id": "does-not-exist"},
        "reason": "Old exception",
        "approved_by": "jane@example.com",
        "approved_at": "2026-10-01",
        "expires": "2027-06-01",
    },
]


M = TypeVar("M", bound=BaseModel)


def replace(model: M, **changes: object) -> M:
    """A frozen model with some fields changed, validated again."""
    fields = {name: getattr(model, name) for name in type(model).model_fields}
    return type(model)(**(fields | changes))


def scan_curated(waivers: Sequence[dict[str, object]] = ()) -> ScanResult:
    """The demo scan, in process, with run-to-run variation removed."""
    tenants, router = Simulation(as_of=AS_OF).in_process()
    names = [t.name for t in tenants]
    policy = policies.load_policy(None, tenants=names, base_dir=Path.cwd())
    loaded = policies.load_waivers(list(waivers), base_dir=Path.cwd(), known_rules=policy.rule_ids)
    plan = plan_for(tenants, policy, loaded)
    inventories = asyncio.run(
        collect_all(
            plan.tenants,
            registry=default_registry(),
            clients=ClientFactory(transport=router),
            progress=NullProgress(),
        )
    )
    fixed = [
        TenantInventory(
            coverage=replace(inv.coverage, duration_seconds=0.0),
            credentials=inv.credentials,
        )
        for inv in inventories
    ]
    return assemble(plan, fixed, AS_OF, started=STARTED, finished=FINISHED, scan_id=SCAN_ID)


def enrich(result: ScanResult) -> ScanResult:
    """Add a failed and a partial tenant, three "new" (critical) findings, a resolved one, and a
    ``not_applicable`` finding a (custom) rule decided for one credential."""
    failed = TenantCoverage(
        tenant="broken-isc",
        provider="sailpoint",
        provider_label="SailPoint ISC",  # as the engine stamps it from the provider
        status="failed",
        error="GET /v3/personal-access-tokens returned HTTP 403: <img src=x onerror=alert(9)>",
    )
    partial = TenantCoverage(
        tenant="partial-c1",
        provider="conductorone",
        provider_label="ConductorOne",
        status="partial",
        credential_count=0,
        notes=("paging stopped after 3 pages | [link](https://evil.example)",),
        record_errors=(RecordError(index=7, record_id="rec-7", message="createdAt: bad value"),),
    )
    findings = list(result.evaluation.findings)
    marked = 0
    for i, f in enumerate(findings):
        if f.status == "fail" and f.rule_id == "inactive-owner" and marked < 3:
            findings[i] = replace(f, change="new", first_seen=AS_OF)
            marked += 1
    resolved = replace(
        next(f for f in findings if f.status == "fail"),
        credential_id="gone-1",
        credential_name="deleted since last scan",
    )
    template = next(f for f in findings if f.tenant == "sandbox-c1")
    findings.append(
        replace(
            template,
            rule_id="cmdb-owner",
            status="not_applicable",
            severity="low",
            message="no CMDB entry is kept for <personal> keys",
            evidence={},
            fingerprint=fingerprint(template.tenant, template.credential_id, "cmdb-owner"),
        )
    )
    return replace(
        result,
        coverage=(*result.coverage, failed, partial),
        scan=replace(result.scan, status="incomplete"),
        evaluation=replace(result.evaluation, findings=tuple(findings)),
        resolved=(resolved,),
    )


@pytest.fixture(scope="session")
def curated() -> ScanResult:
    return scan_curated()


@pytest.fixture(scope="session")
def rich() -> ScanResult:
    return enrich(scan_curated(WAIVERS))
