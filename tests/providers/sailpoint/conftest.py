"""Fixtures for the SailPoint adapter and simulator tests: fixed anchor, fake time, sim builder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from auditor.kernel.http import HttpSettings
from providers.base import ClientFactory, TenantSettings
from providers.sailpoint import SailPointSimulator, SimFaults
from providers.sailpoint.options import LifecycleStatesOptions, SailPointOptions
from tests.fakes import FakeTime

ANCHOR = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BASE = "https://acme.api.identitynow.com"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_sim(
    fake: FakeTime, *, size: int | None = None, seed: int = 0, faults: SimFaults | None = None
) -> SailPointSimulator:
    return SailPointSimulator(
        seed=seed, size=size, anchor=ANCHOR, faults=faults, clock=fake.clock, sleep=fake.sleep
    )


def settings(
    client_id: str = "0123456789abcdef0123456789abcdef",
    secret: str = "s3cr3t-value-never-shown",
    *,
    base_url: str = BASE,
    api_version: str | None = None,
    http: HttpSettings | None = None,
    user_levels: bool | None = None,
    active_lifecycle_states: tuple[str, ...] | None = None,
    inactive_lifecycle_states: tuple[str, ...] | None = None,
) -> TenantSettings:
    return TenantSettings(
        name="acme-isc",
        provider="sailpoint",
        client_id=client_id,
        client_secret=SecretStr(secret),
        base_url=base_url,
        api_version=api_version,
        options=SailPointOptions(
            user_levels=user_levels,
            lifecycle_states=(
                LifecycleStatesOptions(
                    active=active_lifecycle_states, inactive=inactive_lifecycle_states
                )
                if (active_lifecycle_states, inactive_lifecycle_states) != (None, None)
                else None
            ),
        ),
        http=http or HttpSettings(),
    )


def sim_factory(sim: SailPointSimulator, fake: FakeTime) -> ClientFactory:
    return ClientFactory(
        transport=httpx.ASGITransport(app=sim.app),
        sleep=fake.sleep,
        clock=fake.clock,
        jitter=lambda: 0.5,
    )


def respx_factory(fake: FakeTime) -> ClientFactory:
    return ClientFactory(sleep=fake.sleep, clock=fake.clock, jitter=lambda: 0.5)


@pytest.fixture
def sim_builder(fake_time: FakeTime) -> Callable[..., SailPointSimulator]:
    def build(**kwargs: Any) -> SailPointSimulator:
        return make_sim(fake_time, **kwargs)

    return build
