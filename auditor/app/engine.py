"""The scan engine: configuration → tenants collected concurrently → policy evaluation → result.

``prepare`` turns a loaded configuration into a ``ScanPlan`` (provider settings validated by each
provider, policy and waivers validated by ``policies``), so every configuration mistake surfaces
before any request is sent. ``run_scan`` collects every tenant concurrently and isolates failures:
a tenant that raises gets coverage ``failed`` with the reason and the others go on. A failed tenant
is never reported as a clean one; ``ScanInfo.status`` says ``incomplete``.

Tenant settings resolution (``tenant_settings``, ``secrets_for``, ``default_registry``) is in
``auditor.app.enginesettings``; collecting tenants (``collect_all``, ``collect_tenant``,
``Progress``) is in ``auditor.app.enginecollect``. Both are re-exported here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditor import __version__
from auditor.app.config import LoadedConfig
from auditor.app.enginecollect import (
    BACKSTOP_GRACE,
    NullProgress,
    Progress,
    collect_all,
    collect_tenant,
    logger,
    scrub_secret,
)
from auditor.app.enginecollect import _failed as _failed
from auditor.app.enginecollect import _own as _own
from auditor.app.enginecollect import _TrackingFactory as _TrackingFactory
from auditor.app.enginesettings import default_registry, secrets_for, tenant_settings
from auditor.app.vendorhooks import install_vendor_hooks
from auditor.kernel.errors import ConfigError, UsageError
from auditor.kernel.http import clean_vendor_text as _clean  # noqa: F401 - kept importable here
from auditor.kernel.model import (
    Evaluation,
    ScanInfo,
    ScanResult,
    TenantInventory,
    ToolInfo,
    scan_status,
)
from auditor.kernel.secretmatch import SecretSet
from providers.base import ClientFactory, Provider, TenantSettings

__all__ = [
    "BACKSTOP_GRACE",
    "Evaluator",
    "NullProgress",
    "Progress",
    "ScanPlan",
    "assemble",
    "collect_all",
    "collect_tenant",
    "default_registry",
    "logger",
    "plan_for",
    "prepare",
    "run_scan",
    "scrub_secret",
    "secrets_for",
    "tenant_settings",
]

Evaluator = Callable[[Sequence[TenantInventory], datetime], Evaluation]
"""The narrow interface to the policy engine: inventories and as-of in, evaluation out."""


@dataclass(frozen=True)
class ScanPlan:
    """A validated, ready-to-run scan."""

    tenants: tuple[TenantSettings, ...]
    evaluator: Evaluator
    policy: Any = None
    waivers: tuple[Any, ...] = ()
    loaded: LoadedConfig | None = None


def prepare(
    loaded: LoadedConfig,
    *,
    only: Sequence[str] = (),
    registry: Mapping[str, type[Provider]] | None = None,
) -> ScanPlan:
    """Validate everything a scan needs; ``only`` restricts the scan to named tenants."""
    import policies

    install_vendor_hooks()

    registry = registry if registry is not None else default_registry()
    names = [t.name for t in loaded.config.tenants]
    unknown = [n for n in only if n not in names]
    if unknown:
        raise UsageError(
            f"--tenant {', '.join(unknown)}: no such tenant in {loaded.path} "
            f"(configured: {', '.join(names)})"
        )
    file = str(loaded.path)
    try:
        policy = policies.load_policy(loaded.config.policy, tenants=names, base_dir=loaded.base_dir)
        waivers = policies.load_waivers(
            loaded.config.waivers, base_dir=loaded.base_dir, known_rules=policy.rule_ids
        )
    except ConfigError as exc:
        raise exc.located(file) from None
    tenants = tenant_settings(loaded, registry)
    if only:
        tenants = tuple(t for t in tenants if t.name in only)
    return plan_for(tenants, policy, waivers, loaded=loaded)


def plan_for(
    tenants: Sequence[TenantSettings],
    policy: Any,
    waivers: Sequence[Any],
    *,
    loaded: LoadedConfig | None = None,
) -> ScanPlan:
    """A plan from already-validated parts (the demo and the sandbox build theirs directly)."""
    import policies

    install_vendor_hooks()

    frozen_waivers = tuple(waivers)

    def evaluator(inventories: Sequence[TenantInventory], as_of: datetime) -> Evaluation:
        return policies.evaluate(inventories, policy, frozen_waivers, as_of)

    return ScanPlan(
        tenants=tuple(tenants),
        evaluator=evaluator,
        policy=policy,
        waivers=frozen_waivers,
        loaded=loaded,
    )


def run_scan(
    plan: ScanPlan,
    as_of: datetime,
    *,
    registry: Mapping[str, type[Provider]] | None = None,
    clients: ClientFactory | None = None,
    progress: Progress | None = None,
    scan_id: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    secrets: SecretSet | None = None,
) -> ScanResult:
    """Collect every tenant of ``plan`` and evaluate the policy as of ``as_of``.

    ``secrets`` (default: ``secrets_for(plan.tenants)``) are withheld from everything collected;
    the bearer tokens received during the scan are added to it, so a caller that passes its own
    set can check its outputs against all of them."""
    if as_of.tzinfo is None:
        raise UsageError("as-of must carry a time zone")
    started = now()
    registry = registry if registry is not None else default_registry()
    secrets = secrets_for(plan.tenants, registry, into=secrets)
    clients = dataclasses.replace(clients or ClientFactory(), secrets=secrets)
    inventories: list[TenantInventory] = []

    async def collect() -> None:
        # the inventories leave through a list, not as the coroutine's result: on its way out
        # asyncio.run restores the SIGINT handler, and Python 3.11's signal.signal then formats
        # the old handler (which holds the main task) with repr; a task's repr includes its
        # result, so every credential was repr'd: 2.3 s at 20,000 per tenant, for nothing
        inventories.extend(
            await collect_all(
                plan.tenants,
                registry=registry,
                clients=clients,
                progress=progress or NullProgress(),
            )
        )

    asyncio.run(collect())
    return assemble(plan, inventories, as_of, started=started, finished=now(), scan_id=scan_id)


def assemble(
    plan: ScanPlan,
    inventories: Sequence[TenantInventory],
    as_of: datetime,
    *,
    started: datetime,
    finished: datetime,
    scan_id: str | None = None,
) -> ScanResult:
    """Evaluate collected inventories into a ``ScanResult`` (also used to re-evaluate)."""
    evaluation = plan.evaluator(inventories, as_of)
    coverage = tuple(inv.coverage for inv in inventories)
    return ScanResult(
        tool=ToolInfo(version=__version__),
        scan=ScanInfo(
            id=scan_id or uuid.uuid4().hex,
            started_at=started,
            finished_at=finished,
            as_of=as_of.astimezone(UTC),
            status=scan_status(coverage),
        ),
        coverage=coverage,
        credentials=tuple(c for inv in inventories for c in inv.credentials),
        evaluation=evaluation,
    )
