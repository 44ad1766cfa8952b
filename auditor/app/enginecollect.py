"""Collecting tenants (``auditor.app.engine``): ``collect_all`` runs ``collect_tenant`` for every
tenant concurrently. Each is isolated: a tenant that raises, overruns its deadline or returns
another tenant's credentials gets coverage ``failed`` with the reason, and what it collected has
the scan's secrets withheld before anyone sees it. Progress events go to a ``Progress``."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from auditor.app.collecttuning import collecting
from auditor.kernel.coveragenotes import CoverageNote, cause
from auditor.kernel.errors import AuditorError, ProviderError
from auditor.kernel.http import ApiClient, ErrorParser, HttpSettings, TokenProvider
from auditor.kernel.http import clean_vendor_text as _clean
from auditor.kernel.model import TenantCoverage, TenantInventory
from auditor.kernel.phases import NO_PHASES, PhaseListener, PhaseUpdate
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.sharing import Sharing
from auditor.kernel.withhold import (
    WITHHELD_DETAIL,
    WITHHELD_NOTE,
    Vouched,
    withhold_inventory,
    withhold_model,
)
from providers.base import ClientFactory, Provider, TenantSettings

__all__ = [
    "BACKSTOP_GRACE",
    "NullProgress",
    "Progress",
    "collect_all",
    "collect_tenant",
    "logger",
    "scrub_secret",
]

logger = logging.getLogger("credaudit.engine")


class Progress(Protocol):
    """Receives progress events; the CLI renders them on stderr."""

    def tenant_started(self, tenant: str, provider: str) -> None: ...

    def tenant_update(self, tenant: str, collected: int, requests: int, retries: int) -> None: ...

    def phase_update(self, tenant: str, update: PhaseUpdate) -> None:
        """A long phase of the tenant's collection moved (``auditor.kernel.phases``)."""

    def tenant_finished(self, coverage: TenantCoverage) -> None: ...


class NullProgress:
    def tenant_started(self, tenant: str, provider: str) -> None:
        return None

    def tenant_update(self, tenant: str, collected: int, requests: int, retries: int) -> None:
        return None

    def phase_update(self, tenant: str, update: PhaseUpdate) -> None:
        return None

    def tenant_finished(self, coverage: TenantCoverage) -> None:
        return None


BACKSTOP_GRACE = 1.0
"""Seconds past ``http.tenant_timeout`` before the engine cancels a tenant's collection."""


@dataclass(frozen=True)
class _TrackingFactory(ClientFactory):
    """A ClientFactory that remembers its clients, so stats survive a failed tenant."""

    created: list[ApiClient] = field(default_factory=list)
    on_phase: PhaseListener = NO_PHASES
    """Where the clients' phases report (``ApiClient.phase``)."""

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
        made.phases = self.on_phase
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
        on_phase=lambda update: progress.phase_update(settings.name, update),
    )
    started = time.monotonic()
    # the backstop, in real time whatever the clock: a second after the clients' own deadline,
    # so that a request cut off by that deadline is the one the coverage names
    budget = asyncio.timeout(settings.http.tenant_timeout + BACKSTOP_GRACE)
    progress.tenant_started(settings.name, settings.provider)
    base_url: str | None = None
    provider: Provider | None = None
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
    except ProviderError as exc:
        # the coverage names the tenant already: its error does not say it again
        mine = exc.tenant in (None, settings.name)
        inventory = _failed(settings, base_url, exc.message if mine else str(exc))
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
    # every credential searched for the scan's secrets, then equal parts shared once (a third of
    # the memory): seconds of CPU at 20k, in a worker thread so that the tenants still collecting
    # go on meanwhile
    vouched = provider.vouched if provider is not None else None
    sharing = provider.sharing if provider is not None else None
    inventory = await asyncio.to_thread(
        _withheld_and_shared, _own(inventory, settings), secrets, vouched, sharing
    )
    status, notes = inventory.coverage.status, list[CoverageNote]()
    if factory.withheld() and WITHHELD_NOTE not in inventory.coverage.notes:
        notes.append(WITHHELD_DETAIL)  # withheld at source, the mark since cut by an adapter
    if inventory.coverage.record_errors and status == "complete":
        # A record we could not read is a credential we did not evaluate: the population is
        # incomplete whatever the adapter thought, and the scan must not read as a clean one.
        status = "partial"
        notes.append(
            cause(
                "records-unreadable",
                "some records could not be read; the population is incomplete",
                count=len(inventory.coverage.record_errors),
            )
        )
    coverage = inventory.coverage.with_notes(
        *notes,
        **{
            "status": status,
            "base_url": inventory.coverage.base_url or base_url,
            "credential_count": len(inventory.credentials),
            "requests": requests,
            "retries": retries,
            "duration_seconds": round(time.monotonic() - started, 3),
            # what the reports call this vendor and its credentials: the provider declares it
            "provider_label": cls.label or cls.name,
            "credential_kind": cls.credential_kind or f"{cls.label or cls.name} credential",
        },
    )
    progress.tenant_finished(coverage)
    return TenantInventory(coverage=coverage, credentials=inventory.credentials)


def _withheld_and_shared(
    inventory: TenantInventory, secrets: SecretSet, vouched: Vouched | None, sharing: Sharing | None
) -> TenantInventory:
    """``inventory`` withheld, and its equal parts shared: through the provider's own pool when
    it has one (``Provider.sharing``: what it shared already is passed over)."""
    inventory = withhold_inventory(inventory, secrets, vouched)
    (sharing or Sharing()).share_all(inventory.credentials)
    return inventory


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
    """Every tenant, concurrently on this event loop; CPU work of a tenant that has its data
    (normalising, checking for secrets) runs in worker threads meanwhile, with the interpreter
    set for it (``auditor.app.collecttuning``)."""
    with collecting():
        return list(
            await asyncio.gather(*(collect_tenant(t, registry, clients, progress) for t in tenants))
        )
