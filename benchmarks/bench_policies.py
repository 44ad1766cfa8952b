"""Benchmark: evaluate N synthetic credentials against every built-in rule.

Issue 5's target: 200,000 credentials x every rule in under 2 s on the 2-core reference machine.
The credentials are built here, deterministically from a seed, with a realistic mix of facts (both
vendors, every owner status, stale/never-used/expiring/expired, broad and narrow networks, full
and scoped access, owners with many credentials) so that every rule produces findings of every
kind it can. Only ``policies.evaluate`` is timed, not the construction of the input.
``tests/policies/test_screening.py`` checks on this same population (3,000 credentials, each mix)
that the evaluator's shortcuts give exactly what calling every rule on every credential gives.

Usage::

    .venv/bin/python benchmarks/bench_policies.py [--count 200000] [--repeat 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.app.vendorhooks import install_vendor_hooks
from auditor.kernel.model import (
    Capabilities,
    Credential,
    EffectivePrivilege,
    InheritedRestriction,
    Owner,
    TenantCoverage,
    TenantInventory,
)
from policies import RULES, evaluate, load_policy

AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
C1_CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)
SP_CAPS = Capabilities(
    network_restriction=False, expiry=True, last_used=True, last_used_granularity_seconds=86400
)
OWNER_STATUSES = (
    ("active",) * 90 + ("disabled",) * 3 + ("deleted",) * 2 + ("not_found",) * 2 + ("unknown",) * 3
)
C1_CIDRS = (
    ((),) * 10
    + (("10.1.2.0/24",),) * 7
    + (("10.1.2.0/24", "2001:db8::/56"),)
    + (
        ("10.0.0.0/8",),
        ("0.0.0.0/0",),
    )
)
_PLAIN = ("system:user",)
_VIEWER = ("system:viewer", "system:api-logs-viewer")
_ALL = ("system:owner", *_VIEWER, "system:user", "system:application-admin")
C1_PRIVILEGES = (
    (EffectivePrivilege(roles=_PLAIN, max_roles=_PLAIN, permissions=9, basis="scoped"),) * 14
    + (EffectivePrivilege(roles=_VIEWER, max_roles=_VIEWER, permissions=24, basis="scoped"),) * 3
    + (EffectivePrivilege(roles=_ALL, max_roles=_ALL, permissions=48, basis="full"),)
    + (EffectivePrivilege(roles=(), max_roles=_VIEWER, basis="scoped, owner unknown"),)
    + (EffectivePrivilege(roles=(), max_roles=None, basis="full, owner unknown"),)
)
"""Effective privilege as the ConductorOne adapter computes it (shared instances, as there)."""
C1_INHERITED = (
    (None,) * 6
    + (InheritedRestriction(state="none"),) * 2
    + (InheritedRestriction(state="enforced", cidrs=("10.9.0.0/16",), origin="tenant"),)
    + (InheritedRestriction(state="enforced", cidrs=("10.0.0.0/8",), origin="tenant"),)
    + (InheritedRestriction(state="unknown", reason="settings unreadable"),)
)
"""Tenant allow lists for keys without their own (chosen by index: the seeded draws are as
they were)."""
C1_LIFETIMES = (30.0,) * 4 + (90.0,) * 3 + (None,) * 3
SP_LIFETIMES = (180.0,) * 4 + (365.0,) * 1 + (730.0,) * 1 + (None,) * 4
SP_SCOPES = (
    ("sp:scopes:default",),
    ("idn:identity:read", "sp:search:read"),
    ("idn:sources:manage",),
)


def _credential(
    rng: random.Random,
    i: int,
    owners: tuple[list[Owner], list[Owner]],
    mix: str,
    key: int | None = None,
) -> Credential:
    """One synthetic credential.

    ``realistic``: roughly what an unmanaged tenant looks like (a third never expire, a few
    percent stale, many unrestricted or full-scope keys); ``healthy``: well-kept credentials
    (findings are mostly the structural SailPoint not_applicable ones); ``heavy``: most facts bad.
    """
    c1 = i % 2 == 0
    healthy, heavy = mix == "healthy", mix == "heavy"
    if healthy:
        lifetime: float | None = rng.choice((30.0, 90.0) if c1 else (180.0,))
    else:
        lifetime = rng.choice(C1_LIFETIMES if c1 else SP_LIFETIMES)
    if lifetime is None:
        created = AS_OF - timedelta(days=rng.uniform(1, 730))
        expires = None
    else:
        expires = AS_OF + timedelta(days=rng.uniform(15 if healthy else -20, lifetime))
        created = expires - timedelta(days=lifetime)
    roll = rng.random()
    if heavy:
        last_used = None if roll < 0.2 else created + (AS_OF - created) * rng.random() * 0.3
    elif roll < (0.0 if healthy else 0.08):
        last_used = None
    else:
        idle = rng.expovariate(1 / (3 if healthy else 25))  # realistic: ~3% beyond 90 days
        last_used = max(created, AS_OF - timedelta(days=idle))
    if c1:
        modes = ("full",) * 7 + ("scoped",) * 12 + ("unknown",)
        mode = rng.choice(
            ("full", "scoped", "scoped", "unknown") if heavy else ("scoped",) if healthy else modes
        )
        scopes: tuple[str, ...] = (
            ()
            if mode != "scoped"
            else rng.choice((("system:user",), ("system:viewer",), ("system:owner",)))
        )
        if healthy:
            scopes = ("system:user",)
        cidrs = rng.choice(
            ((), ("0.0.0.0/0",), ("10.0.0.0/8",))
            if heavy
            else ((("10.1.2.0/24",),) if healthy else C1_CIDRS)
        )
    else:
        mode = rng.choice(("scoped",) if healthy else ("full", "scoped", "scoped"))
        scopes = ("sp:scopes:all",) if mode == "full" else rng.choice(SP_SCOPES[:2])
        cidrs = ()
    return Credential(
        provider="conductorone" if c1 else "sailpoint",
        tenant="acme-c1" if c1 else "acme-isc",
        id=f"cred-{i if key is None else key:07d}",
        client_id=f"cred-{i:07d}@acme.conductor.one/pcc" if c1 else f"{i:032x}",
        name=f"key {i}",
        owner=rng.choice(owners[0] if c1 else owners[1]),
        created_at=created,
        last_used_at=last_used,
        expires_at=expires,
        scopes=scopes,
        scope_mode=mode,
        allowed_cidrs=cidrs,
        managed=None if c1 else rng.random() < 0.1,
        access_token_ttl_seconds=None if c1 else 43200,
        capabilities=C1_CAPS if c1 else SP_CAPS,
        privilege=(C1_PRIVILEGES[0] if healthy else C1_PRIVILEGES[i % 20]) if c1 else None,
        inherited_restriction=C1_INHERITED[i % 11] if c1 and not cidrs else None,
    )


def build(
    count: int, seed: int, mix: str = "realistic", order: str = "api"
) -> list[TenantInventory]:
    """Two tenants (one per vendor), ``count`` credentials, about three per owner.

    ``order="api"``: the credentials come in an order unrelated to their ids, as a vendor's list
    does (the SailPoint PAT list is not sorted by id), so the evaluator must order the findings
    itself; ``order="id"``: already sorted by id.
    """
    rng = random.Random(seed)
    keys = list(range(count))
    if order == "api":
        random.Random(seed + 1).shuffle(keys)  # its own stream: the facts stay the same
    owners = [
        Owner(
            id=f"u{i:06d}",
            name=f"User {i}",
            status=rng.choice(OWNER_STATUSES),
            roles=("system:owner", "system:user") if i % 20 == 0 else ("system:user",),
        )
        for i in range(max(1, count // 3))
    ]
    # The same people as SailPoint owners carry user levels, not ConductorOne roles (what the
    # SailPoint adapter reads from /v3/auth-users): mostly the base level, a few administrators,
    # and some whose level could not be read. Derived from the index: the main stream is unchanged.
    levels = [("USER",)] * 90 + [("ORG_ADMIN",)] * 3 + [("CERT_ADMIN",)] * 4 + [()] * 3
    sp_owners = [
        owner.model_copy(update={"roles": levels[(i * 37) % len(levels)]})
        for i, owner in enumerate(owners)
    ]
    tenants: dict[str, list[Credential]] = {"acme-c1": [], "acme-isc": []}
    for i in range(count):
        credential = _credential(rng, i, (owners, sp_owners), mix, keys[i])
        tenants[credential.tenant].append(credential)
    return [
        TenantInventory(
            coverage=TenantCoverage(
                tenant=name,
                provider="conductorone" if name == "acme-c1" else "sailpoint",
                status="complete",
                credential_count=len(creds),
            ),
            credentials=tuple(creds),
        )
        for name, creds in tenants.items()
    ]


def main() -> None:
    install_vendor_hooks()  # the vendors' privilege judgements, as a scan installs them
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--mix",
        choices=("healthy", "realistic", "heavy"),
        default="realistic",
        help="how bad the synthetic credentials are (see _credential)",
    )
    parser.add_argument(
        "--order",
        choices=("api", "id"),
        default="api",
        help="credentials in an order unrelated to their ids (as vendors list them), or by id",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    inventories = build(args.count, args.seed, args.mix, args.order)
    built = time.perf_counter() - started
    policy = load_policy(None, tenants=[i.coverage.tenant for i in inventories], base_dir=Path())
    timings: list[float] = []
    cpu: list[float] = []
    evaluation = None
    for _ in range(args.repeat):
        evaluation = None  # free the previous result first: memory growth is part of the cost
        started, started_cpu = time.perf_counter(), time.process_time()
        evaluation = evaluate(inventories, policy, [], AS_OF)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert evaluation is not None
    results = sum(sum(row.values()) for row in evaluation.result_counts.values())
    statuses = Counter(f.status for f in evaluation.findings)
    print(
        f"credentials: {args.count:,} ({args.mix} mix, {args.order} order, "
        f"built in {built:.1f} s), rules: {len(RULES)}"
    )
    gaps = sum(g.credentials for g in evaluation.not_applicable)
    print(
        f"results: {results:,}; findings: {len(evaluation.findings):,} {dict(statuses)}; "
        f"not applicable (vendor capability, counted): {gaps:,} in "
        f"{len(evaluation.not_applicable)} group(s)"
    )
    print(
        f"evaluate: wall best {min(timings):.3f} s, median {statistics.median(timings):.3f} s; "
        f"cpu best {min(cpu):.3f} s; over {args.repeat} run(s)"
    )


if __name__ == "__main__":
    main()
