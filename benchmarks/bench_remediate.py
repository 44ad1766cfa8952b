"""Benchmark: build a remediation plan for a generated tenant pair and execute it against the
in-process simulators (figures printed, never asserted)::

    .venv/bin/python benchmarks/bench_remediate.py [--size 5000]

Reports the time to plan, the plan file size, the CPU time to execute every revoke, and the
time the vendors' rate limits would make it take (SailPoint: 95 requests per 10 s, on a fake
clock, so the run itself does not wait).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import policies
from auditor.app.engine import plan_for, run_scan
from auditor.app.remediateapply import execute
from auditor.app.remediateapprove import render_plan
from auditor.app.remediateconfig import RemediationConfig
from auditor.app.remediateplan import build_plan
from auditor.app.sandbox import Simulation
from providers.base import ClientFactory
from providers.registry import registry
from tests.fakes import FakeTime

POLICY = RemediationConfig.model_validate(
    {
        "policy": [
            {
                "rules": ["inactive-owner", "stale", "never-used"],
                "action": "revoke",
                "grace_days": 0,
            }
        ]
    }
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=5000)
    args = parser.parse_args()
    as_of = datetime(2026, 11, 24, tzinfo=UTC)
    sim = Simulation(as_of=as_of, size=args.size)
    tenants, router = sim.in_process()
    policy = policies.load_policy(None, tenants=[t.name for t in tenants], base_dir=Path.cwd())
    scan = run_scan(plan_for(tenants, policy, ()), as_of, clients=ClientFactory(transport=router))
    providers = registry().providers
    started = time.perf_counter()
    plan = build_plan(
        scan,
        POLICY,
        tenants={t.name: t for t in tenants},
        registry=providers,
        known_rules=policy.rule_ids,
        identities={},
        created_at=as_of,
    )
    planned = time.perf_counter() - started
    text = render_plan(plan)
    revokes = sum(a["action"] == "revoke" for a in plan["actions"])
    print(
        f"credentials {len(scan.credentials)}, failing findings "
        f"{sum(f.status == 'fail' for f in scan.findings)}"
    )
    print(f"plan: {revokes} revokes in {planned:.2f} s; file {len(text) / 1e6:.1f} MB")
    sp_id, sp_secret = sim.tenant("sailpoint").simulator.mint_client("remediation")
    fake = FakeTime()
    sim.tenant(
        "sailpoint"
    ).simulator._clock = fake.clock  # the tenant's rate limit counts on the same (fake) clock
    sim.tenant("sailpoint").simulator._windows.clear()
    clients = ClientFactory(transport=router, sleep=fake.sleep, clock=fake.clock)
    remediators = {}
    for tenant in tenants:
        cls = providers[tenant.provider].remediator
        assert cls is not None
        if tenant.provider == "sailpoint":
            import dataclasses

            from pydantic import SecretStr

            tenant = dataclasses.replace(
                tenant, client_id=sp_id, client_secret=SecretStr(sp_secret)
            )
        remediators[tenant.name] = cls(tenant, clients)
    started = time.perf_counter()
    receipts = execute(plan, scan, remediators, clock=lambda: as_of)
    spent = time.perf_counter() - started
    results: dict[str, int] = {}
    details = {r["detail"][:90] for r in receipts if r["result"] == "failed"}
    print("failure kinds:", sorted(details)[:3])
    for receipt in receipts:
        results[receipt["result"]] = results.get(receipt["result"], 0) + 1
    print(
        f"execute: {results} in {spent:.2f} s CPU+loopback; rate-limited vendor time "
        f"{fake.now - 1000.0:.0f} s (fake clock)"
    )


if __name__ == "__main__":
    main()
