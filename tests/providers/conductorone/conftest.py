"""Shared fixtures: a fixed anchor and clocks, fake sleep, and a provider wired to a simulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from auditor.kernel.http import HttpSettings
from providers.base import ClientFactory, TenantSettings
from providers.conductorone import ConductorOneProvider, ConductorOneSimulator, SimFaults

ANCHOR = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
NOW = ANCHOR.timestamp()


@dataclass
class FakeTime:
    """A monotonic clock that only moves when ``sleep`` is awaited or ``advance`` is called."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_sim(
    *, size: int | None = None, seed: int = 0, faults: SimFaults | None = None
) -> ConductorOneSimulator:
    return ConductorOneSimulator(
        seed=seed, size=size, anchor=ANCHOR, faults=faults, clock=lambda: NOW, sleep=_no_sleep
    )


async def _no_sleep(seconds: float) -> None:
    return None


def settings_for(
    client_id: str,
    secret: str,
    *,
    base_url: str | None = None,
    http: HttpSettings | None = None,
) -> TenantSettings:
    return TenantSettings(
        name="acme-c1",
        provider="conductorone",
        client_id=client_id,
        client_secret=SecretStr(secret),
        base_url=base_url,
        http=http or HttpSettings(),
    )


def provider_for(
    sim: ConductorOneSimulator,
    fake: FakeTime,
    *,
    kind: str = "admin",
    http: HttpSettings | None = None,
    wall_clock: Callable[[], float] = lambda: NOW,
) -> ConductorOneProvider:
    client_id, secret = sim.mint_client("admin" if kind == "admin" else "limited")
    factory = ClientFactory(
        transport=httpx.ASGITransport(app=sim.app),
        sleep=fake.sleep,
        clock=fake.clock,
        jitter=lambda: 0.5,
    )
    return ConductorOneProvider(
        settings_for(client_id, secret, http=http), factory, wall_clock=wall_clock
    )
