"""The search's pages are read while the next page's request is on its way
(``_Run._load_clients``): over real loopback HTTP, with latency, every page but the last is
read only once the next page's request is written to the socket, so reading a page never sits
on the chain of round trips the search is paced by: not even when the request first waits for
the rate limit (a fixed number of event-loop turns, as before, let the page be read first)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from httpcore._backends.anyio import AnyIOStream

from auditor.app.sandbox import Faults, Sandbox, Simulation
from auditor.kernel.httpresponses import Deferred
from auditor.kernel.httpsettings import RateLimit
from providers.base import ClientFactory
from providers.conductorone import ConductorOneProvider
from providers.conductorone.adapter import SEARCH_PATH

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    server = Sandbox(Simulation(as_of=AS_OF, size=120, latency_ms=40, faults=Faults()), port=0)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def test_a_page_is_read_after_the_next_request_reached_the_vendor(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    write = AnyIOStream.write

    async def writing(self: AnyIOStream, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if buffer.startswith(f"POST {SEARCH_PATH} ".encode()):
            events.append("sent")
        await write(self, buffer, timeout)

    monkeypatch.setattr(AnyIOStream, "write", writing)
    read = Deferred.withheld

    def reading(self: Deferred) -> Any:
        if self._path == SEARCH_PATH:
            events.append("read")
        return read(self)

    monkeypatch.setattr(Deferred, "withheld", reading)
    tenant = sandbox.simulation.tenant("conductorone")
    settings = sandbox.tenants()[sandbox.simulation.simulated.index(tenant)]
    # one request start per 60 ms, round trips of 40 ms: each next page's request waits
    limited = replace(settings.http, rate_limit=RateLimit(requests=1, per_seconds=0.06))
    settings = replace(settings, http=limited)
    inventory = asyncio.run(ConductorOneProvider(settings, ClientFactory()).collect())
    assert inventory.coverage.status == "complete"
    pages = events.count("read")
    assert pages >= 5 and events.count("sent") == pages
    # the first request; then for each page, the next request is sent before it is read
    assert events == ["sent"] + ["sent", "read"] * (pages - 1) + ["read"]
