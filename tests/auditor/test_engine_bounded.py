"""Issue 15: a tenant's total deadline (``http.tenant_timeout``) ends its collection; the other
tenants are still reported and the scan says it is incomplete."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

from auditor.app.engine import ScanPlan, run_scan
from auditor.kernel.http import HttpSettings
from auditor.kernel.model import Evaluation, TenantInventory
from providers.base import ClientFactory, Provider
from tests.auditor.test_engine import CAPS, GoodProvider, settings
from tests.rawserver import raw_server

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)


class HangingProvider(Provider):
    """An adapter stuck somewhere no HTTP timeout reaches (the worst case)."""

    name = "sailpoint"
    capabilities = CAPS

    async def collect(self) -> TenantInventory:
        await asyncio.sleep(60)
        raise AssertionError("unreachable")


class SilentVendorProvider(Provider):
    """Asks a vendor that accepts the connection and never answers."""

    name = "sailpoint"
    capabilities = CAPS
    url = ""

    async def collect(self) -> TenantInventory:
        async with self.clients.client(
            tenant=self.settings.name, base_url=self.url, settings=self.settings.http
        ) as api:
            await api.get_json("/list")
        raise AssertionError("unreachable")


def scan(slow: type[Provider], timeout: float) -> tuple[object, object, str]:
    slow_settings = dataclasses.replace(
        settings("slow", "sailpoint"),
        http=HttpSettings(tenant_timeout=timeout, read_timeout=30, max_retries=8),
    )
    plan = ScanPlan(
        tenants=(settings("good", "conductorone"), slow_settings),
        evaluator=lambda inventories, as_of: Evaluation(),
    )
    registry: dict[str, type[Provider]] = {"conductorone": GoodProvider, "sailpoint": slow}
    result = run_scan(plan, AS_OF, registry=registry, clients=ClientFactory(), scan_id="s1")
    good, late = result.coverage
    return good, late, result.scan.status


def test_an_adapter_that_never_finishes_fails_at_the_tenant_deadline() -> None:
    good, late, status = scan(HangingProvider, 0.3)
    assert good.status == "complete" and good.credential_count == 3  # type: ignore[attr-defined]
    assert late.status == "failed"  # type: ignore[attr-defined]
    assert "deadline of 0.3 s (http.tenant_timeout) was hit" in late.error  # type: ignore[attr-defined]
    assert status == "incomplete"


def test_a_vendor_that_never_answers_fails_the_tenant_at_its_deadline() -> None:
    async def silent(line: str, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(60)

    async def serve() -> tuple[object, object, str, int]:
        async with raw_server(silent) as served:
            SilentVendorProvider.url = served.url
            good, late, status = await asyncio.to_thread(scan, SilentVendorProvider, 0.5)
            return good, late, status, len(served.requests)

    good, late, status, requests = asyncio.run(serve())
    assert good.status == "complete"  # type: ignore[attr-defined]
    assert late.status == "failed" and "tenant_timeout" in late.error  # type: ignore[attr-defined]
    assert "GET /list" in late.error  # type: ignore[attr-defined]
    assert requests == 1  # no retries once the time is up
    assert status == "incomplete"
