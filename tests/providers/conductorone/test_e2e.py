"""End to end: the adapter against the simulator, in-process and over real loopback HTTP.

With faults on (429 with Retry-After, bursts of 503, malformed records) the collected inventory
must equal the simulator's ground truth exactly: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from auditor.kernel.http import HttpSettings
from auditor.kernel.model import TenantInventory
from providers.base import ClientFactory
from providers.conductorone import ConductorOneProvider, ConductorOneSimulator, SimFaults
from tests.providers.conductorone.conftest import (
    ANCHOR,
    NOW,
    FakeTime,
    make_sim,
    provider_for,
    settings_for,
)
from tests.providers.conductorone.truth import assert_matches_ground_truth

FAULTS = SimFaults(
    rate_limit_fraction=0.1, retry_after_seconds=2, burst_503_every=23, burst_503_length=2
)


def test_curated_tenant_in_process(fake_time: FakeTime) -> None:
    sim = make_sim()
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    assert_matches_ground_truth(sim, inventory)
    assert inventory.coverage.status == "complete"
    assert inventory.coverage.notes == (
        "employmentStatus values treated as employed (owners stay active): 'Active' (7); list any "
        "that mean the person left in inactive_employment_statuses",
        "1 soft-deleted personal client(s) excluded (deletedAt set)",
        "tenant API-key allow lists: pccUserSource not enforced, pccAdminSource enforced with 2 "
        "network(s)",
    )
    # 1 token + 2 search pages (44 clients + 1 deleted) + 1 role page + 1 owner batch
    # + 1 session settings
    assert inventory.coverage.requests == 6
    assert sim.requests["GET /api/v1/settings/session"] == 1
    assert sim.requests["POST /api/v1/search/users"] == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_tenant_with_faults_in_process(fake_time: FakeTime, seed: int) -> None:
    sim = make_sim(size=900, seed=seed, faults=FAULTS)
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    assert_matches_ground_truth(sim, inventory)
    assert inventory.coverage.retries > 0
    assert sim.requests["fault 429"] + sim.requests["fault 503"] == inventory.coverage.retries
    assert 2.0 in fake_time.slept  # Retry-After honoured
    owners = len({c["userId"] for c in sim.data.clients})
    pages = -(-len(sim.data.clients) // 25)
    assert (
        inventory.coverage.requests
        == 1 + pages + 1 + -(-owners // 100) + 1 + inventory.coverage.retries
    )


def test_malformed_records_become_record_errors(fake_time: FakeTime) -> None:
    sim = make_sim(size=200, faults=SimFaults(malformed_records=8))
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    assert_matches_ground_truth(sim, inventory)
    errors = inventory.coverage.record_errors
    assert len(errors) == 8
    bad = sim.malformed_truth()
    assert [e.record_id for e in errors] == [r.get("id") for r in bad]
    assert inventory.coverage.status == "partial"


def test_limited_credential_is_partial_with_its_own_clients(fake_time: FakeTime) -> None:
    sim = make_sim()
    inventory = asyncio.run(provider_for(sim, fake_time, kind="limited").collect())
    own = [c["id"] for c in sim.ground_truth() if c["userId"] == sim.data.limited_user_id]
    assert [c.id for c in inventory.credentials] == own
    assert inventory.coverage.status == "partial"
    assert inventory.coverage.notes[0].startswith("partial population: searching every user's")


def test_denied_user_search_leaves_owners_unknown(fake_time: FakeTime) -> None:
    sim = make_sim(faults=SimFaults(deny_user_search=True))
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    assert {c.owner.status for c in inventory.credentials} == {"unknown"}
    assert inventory.coverage.status == "complete"  # owners unknown, population whole
    assert len(inventory.credentials) == len(sim.ground_truth())


def test_token_is_reminted_when_it_expires_mid_scan() -> None:
    """A slow tenant (latency through the injected sleep) outlives the 600 s token."""
    fake = FakeTime()
    now = [NOW]

    async def sim_sleep(seconds: float) -> None:
        fake.advance(seconds)
        now[0] += seconds

    sim = ConductorOneSimulator(
        size=600,
        anchor=ANCHOR,
        faults=SimFaults(latency_ms=30_000),
        clock=lambda: now[0],
        sleep=sim_sleep,
    )
    client_id, secret = sim.mint_client()
    transport = httpx.ASGITransport(app=sim.app)
    factory = ClientFactory(transport=transport, sleep=fake.sleep, clock=fake.clock)
    settings = settings_for(client_id, secret, http=HttpSettings(max_concurrency=1))
    provider = ConductorOneProvider(settings, factory, wall_clock=lambda: now[0])
    inventory = asyncio.run(provider.collect())
    assert_matches_ground_truth(sim, inventory)
    # 24 search pages + roles + owner batches at 30 s each: about 16 min, so 2 tokens
    assert sim.requests["POST /auth/v1/token"] == 2


@pytest.fixture
def loopback() -> Iterator[tuple[ConductorOneSimulator, str]]:
    sim = make_sim(size=1000, seed=7, faults=FAULTS)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(sim.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield sim, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.mark.e2e
def test_loopback_http_with_faults(loopback: tuple[ConductorOneSimulator, str]) -> None:
    sim, base_url = loopback
    client_id, secret = sim.mint_client()
    fake = FakeTime()
    factory = ClientFactory(sleep=fake.sleep, clock=fake.clock)  # real transport, no real waiting
    # Over a real socket the interleaving of concurrent requests is not fixed, so one request may
    # meet a 503 burst and several 429s in a row; 8 retries keep that from failing the tenant.
    settings = settings_for(
        client_id, secret, base_url=base_url, http=HttpSettings(max_concurrency=4, max_retries=8)
    )
    provider = ConductorOneProvider(settings, factory, wall_clock=lambda: NOW)
    inventory: TenantInventory = asyncio.run(provider.collect())
    assert_matches_ground_truth(sim, inventory)
    assert inventory.coverage.base_url == base_url
    assert inventory.coverage.retries == sim.requests["fault 429"] + sim.requests["fault 503"]
    assert inventory.coverage.retries > 0
