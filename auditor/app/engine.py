"""The scan engine: configuration → tenants collected concurrently → policy evaluation → result.

``prepare`` turns a loaded configuration into a ``ScanPlan`` (provider settings validated by each
provider, policy and waivers validated by ``policies``), so every configuration mistake surfaces
before any request is sent. ``run_scan`` collects every tenant concurrently and isolates failures:
a tenant that raises gets coverage ``failed`` with the reason and the others go on. A failed tenant
is never reported as a clean one; ``ScanInfo.status`` says ``incomplete``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from auditor import __version__
from auditor.app.config import LoadedConfig
from auditor.kernel.errors import AuditorError, ConfigError, UsageError
from auditor.kernel.http import ApiClient, ErrorParser, HttpSettings, RateLimit, TokenProvider
from auditor.kernel.http import clean_vendor_text as _clean
from auditor.kernel.model import (
    Evaluation,
    ScanInfo,
    ScanResult,
    TenantCoverage,
    TenantInventory,
    ToolInfo,
    scan_status,
)
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.withhold import WITHHELD_NOTE, withhold_model
from providers.base import ClientFactory, Provider, TenantSettings

logger = logging.getLogger("credaudit.engine")

Evaluator = Callable[[Sequence[TenantInventory], datetime], Evaluation]
"""The narrow interface to the policy engine: inventories and as-of in, evaluation out."""


class Progress(Protocol):
    """Receives progress events; the CLI renders them on stderr."""

    def tenant_started(self, tenant: str, provider: str) -> None: ...

    def tenant_update(self, tenant: str, collected: int, requests: int, retries: int) -> None: ...

    def tenant_finished(self, coverage: TenantCoverage) -> None: ...


class NullProgress:
    def tenant_started(self, tenant: str, provider: str) -> None:
        return None

    def tenant_update(self, tenant: str, collected: int, requests: int, retries: int) -> None:
        return None

    def tenant_finished(self, coverage: TenantCoverage) -> None:
        return None


@dataclass(frozen=True)
class ScanPlan:
    """A validated, ready-to-run scan."""

    tenants: tuple[TenantSettings, ...]
    evaluator: Evaluator
    policy: Any = None
    waivers: tuple[Any, ...] = ()
    loaded: LoadedConfig | None = None


def default_registry() -> Mapping[str, type[Provider]]:
    """Every vendor: built in, or added by a package through an entry point."""
    from providers.registry import registry

    return registry().providers


def secrets_for(
    tenants: Sequence[TenantSettings],
    registry: Mapping[str, type[Provider]] | None = None,
    *,
    into: SecretSet | None = None,
) -> SecretSet:
    """Every tenant's secret and the key material its provider derives, added to ``into``."""
    registry = registry if registry is not None else default_registry()
    found = into if into is not None else SecretSet()
    for tenant in tenants:
        registry.get(tenant.provider, Provider).register_secrets(tenant.client_secret, found)
    return found


BACKSTOP_GRACE = 1.0
"""Seconds past ``http.tenant_timeout`` before the engine cancels a tenant's collection."""


def tenant_settings(
    loaded: LoadedConfig, registry: Mapping[str, type[Provider]]
) -> tuple[TenantSettings, ...]:
    """Resolve and provider-validate every tenant; raise one ConfigError listing all problems."""
    problems: list[ConfigError] = []
    out: list[TenantSettings] = []
    for index, tenant in enumerate(loaded.config.tenants):
        cls = registry.get(tenant.provider)
        if cls is None:
            problems.append(
                ConfigError(
                    f"provider {tenant.provider!r} is not available in this build",
                    key=f"tenants[{index}].provider",
                    fix=f"use one of: {', '.join(sorted(registry))}",
                )
            )
            continue
        creds = loaded.credentials[tenant.name]
        http = tenant.http
        limit = (
            RateLimit(http.rate_limit.requests, http.rate_limit.per_seconds)
            if http.rate_limit
            else cls.default_rate_limit
        )
        settings = TenantSettings(
            name=tenant.name,
            provider=tenant.provider,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            base_url=tenant.base_url,
            api_version=tenant.api_version,
            options=loaded.options.get(tenant.name) or cls.options_model(),
            http=HttpSettings(
                connect_timeout=http.connect_timeout,
                read_timeout=http.read_timeout,
                max_concurrency=http.max_concurrency,
                max_retries=http.max_retries,
                retry_after_cap=http.retry_after_cap,
                max_pages=http.max_pages,
                max_body_bytes=http.max_body_bytes,
                response_timeout=http.response_timeout,
                tenant_timeout=http.tenant_timeout,
                max_empty_pages=http.max_empty_pages,
                max_records=http.max_records,
                rate_limit=limit,
                ca_bundle=str(loaded.resolve_path(tenant.ca_bundle)) if tenant.ca_bundle else None,
            ),
        )
        try:
            cls.validate(settings)
        except ConfigError as exc:
            problems.append(exc.located(None, f"tenants[{index}]"))
            continue
        out.append(settings)
    if problems:
        file = str(loaded.path)
        located = [p.located(file) for p in problems]
        if len(located) == 1:
            raise located[0]
        raise ConfigError(f"{file}: {len(located)} configuration problems", problems=located)
    return tuple(out)


def prepare(
    loaded: LoadedConfig,
    *,
    only: Sequence[str] = (),
    registry: Mapping[str, type[Provider]] | None = None,
) -> ScanPlan:
    """Validate everything a scan needs; ``only`` restricts the scan to named tenants."""
    import policies

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


@dataclass(frozen=True)
class _TrackingFactory(ClientFactory):
    """A ClientFactory that remembers its clients, so stats survive a failed tenant."""

    created: list[ApiClient] = field(default_factory=list)

    def client(
        self,
        *,
        tenant: str,
        base_url: str,
        settings: HttpSettings,
        auth: TokenProvider | None = None,
        error_parser: ErrorParser | None = None,
    ) -> ApiClient:
        made = super().client(
            tenant=tenant,
            base_url=base_url,
            settings=settings,
            auth=auth,
            error_parser=error_parser,
        )
        self.created.append(made)
        return made

    def totals(self) -> tuple[int, int]:
        return (
            sum(c.stats.requests for c in self.created),
            sum(c.stats.retries for c in self.created),
        )

    def withheld(self) -> int:
        return sum(c.stats.withheld for c in self.created)


async def collect_tenant(
    settings: TenantSettings,
    registry: Mapping[str, type[Provider]],
    clients: ClientFactory,
    progress: Progress,
) -> TenantInventory:
    """Collect one tenant; never raises except on cancellation."""
    cls = registry[settings.provider]
    secrets = clients.secrets if clients.secrets is not None else SecretSet()
    factory = _TrackingFactory(
        transport=clients.transport,
        sleep=clients.sleep,
        clock=clients.clock,
        jitter=clients.jitter,
        secrets=secrets,
        deadline=clients.clock() + settings.http.tenant_timeout,
    )
    started = time.monotonic()
    # the backstop, in real time whatever the clock: a second after the clients' own deadline,
    # so that a request cut off by that deadline is the one the coverage names
    budget = asyncio.timeout(settings.http.tenant_timeout + BACKSTOP_GRACE)
    progress.tenant_started(settings.name, settings.provider)
    base_url: str | None = None
    try:
        base_url = cls.base_url_for(settings)
        provider = cls(settings, factory)
        provider.on_progress = lambda n: progress.tenant_update(settings.name, n, *factory.totals())
        async with budget:
            inventory = await provider.collect()
    except asyncio.CancelledError:
        raise
    except TimeoutError:
        if not budget.expired():
            raise
        inventory = _failed(
            settings,
            base_url,
            f"the tenant's deadline of {settings.http.tenant_timeout:g} s "
            "(http.tenant_timeout) was hit before collection finished",
        )
    except AuditorError as exc:
        inventory = _failed(settings, base_url, str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug in one adapter must not sink the other tenants
        logger.error(
            "%s: internal error in the %s adapter (%s)",
            settings.name,
            settings.provider,
            type(exc).__name__,
        )
        # The traceback only with --verbose, and never with a secret in it: an exception
        # message may quote anything the adapter held.
        detail = "".join(traceback.format_exception(exc))
        secret = settings.client_secret.get_secret_value()
        if secret:  # whole, however short (SecretSet ignores values under MIN_SECRET)
            detail = detail.replace(secret, "[redacted secret]")
        logger.debug("%s", _clean(detail, limit=20_000, secrets=secrets))
        inventory = _failed(
            settings,
            base_url,
            f"internal error in the {settings.provider} adapter ({type(exc).__name__}); "
            "run with --verbose for details and report it",
        )
    requests, retries = factory.totals()
    for made in factory.created:
        await made.aclose()
    inventory = withhold_model(_own(inventory, settings), secrets)
    status, notes = inventory.coverage.status, inventory.coverage.notes
    if factory.withheld() and WITHHELD_NOTE not in notes:
        notes = (*notes, WITHHELD_NOTE)  # withheld at source, the mark since cut by an adapter
    if inventory.coverage.record_errors and status == "complete":
        # A record we could not read is a credential we did not evaluate: the population is
        # incomplete whatever the adapter thought, and the scan must not read as a clean one.
        status = "partial"
        notes = (*notes, "some records could not be read; the population is incomplete")
    coverage = inventory.coverage.model_copy(
        update={
            "status": status,
            "notes": notes,
            "base_url": inventory.coverage.base_url or base_url,
            "credential_count": len(inventory.credentials),
            "requests": requests,
            "retries": retries,
            "duration_seconds": round(time.monotonic() - started, 3),
            # what the reports call this vendor and its credentials: the provider declares it
            "provider_label": cls.label or cls.name,
            "credential_kind": cls.credential_kind or f"{cls.label or cls.name} credential",
        }
    )
    progress.tenant_finished(coverage)
    return TenantInventory(coverage=coverage, credentials=inventory.credentials)


def scrub_secret(inventory: TenantInventory, secret: str) -> TenantInventory:
    """The inventory with every fragment of ``secret`` withheld (``auditor.kernel.withhold``).

    A vendor may echo a request in an error body (a token endpoint answering 400 with the form
    it was sent); messages, notes, record errors and credential fields quote vendor text, so the
    engine withholds the scan's secrets here, once per tenant, before progress, logs, policy
    evaluation, history and reports see them.
    """
    return withhold_model(inventory, SecretSet([secret]))


def _own(inventory: TenantInventory, settings: TenantSettings) -> TenantInventory:
    """The inventory, if it is this tenant's: a plug-in that returns another tenant's or vendor's
    credentials would mix populations, so the tenant fails instead."""
    stray = [
        c.id
        for c in inventory.credentials
        if (c.tenant, c.provider) != (settings.name, settings.provider)
    ]
    if (inventory.coverage.tenant, inventory.coverage.provider) != (
        settings.name,
        settings.provider,
    ) or stray:
        return _failed(
            settings,
            inventory.coverage.base_url,
            f"the {settings.provider} adapter returned credentials or coverage of another tenant "
            f"or vendor ({len(stray)} credential(s)); nothing of it was kept",
        )
    return inventory


def _failed(settings: TenantSettings, base_url: str | None, error: str) -> TenantInventory:
    return TenantInventory(
        coverage=TenantCoverage(
            tenant=settings.name,
            provider=settings.provider,
            status="failed",
            base_url=base_url,
            error=error,
        )
    )


async def collect_all(
    tenants: Sequence[TenantSettings],
    *,
    registry: Mapping[str, type[Provider]],
    clients: ClientFactory,
    progress: Progress,
) -> list[TenantInventory]:
    return list(
        await asyncio.gather(*(collect_tenant(t, registry, clients, progress) for t in tenants))
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
    inventories = asyncio.run(
        collect_all(
            plan.tenants,
            registry=registry,
            clients=clients,
            progress=progress or NullProgress(),
        )
    )
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
