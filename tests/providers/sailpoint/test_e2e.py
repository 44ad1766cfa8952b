"""End to end: the adapter against the simulated tenant, in-process and over loopback HTTP.

The expected inventory is derived here from the simulator's ground truth (the JSON it serves)
and its identity store, independently of the adapter's own normalisation code.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from auditor.kernel.http import HttpSettings, RateLimit
from auditor.kernel.model import TenantInventory
from auditor.kernel.timestamps import parse_timestamp
from providers.base import ClientFactory
from providers.sailpoint import SailPointProvider, SailPointSimulator, SimFaults
from tests.fakes import FakeTime, count_compactions
from tests.providers.sailpoint.conftest import ANCHOR, make_sim, settings, sim_factory
from tests.providers.sailpoint.scope_spec import scope_levels


def expected(
    sim: SailPointSimulator, version: str, include_managed: bool
) -> tuple[list[tuple[Any, ...]], list[int]]:
    """(credential facts in served order, indices of malformed records)."""
    served = sim.ground_truth(version, include_managed)
    clean = SailPointSimulator(seed=sim.seed, size=sim.size, anchor=ANCHOR)
    pristine_rows = clean.ground_truth(version, include_managed)
    people = {i.id: i for i in sim.dataset.identities}
    rows, bad = [], []
    for index, (record, pristine) in enumerate(zip(served, pristine_rows, strict=True)):
        if record != pristine:
            bad.append(index)
            continue
        person = people.get(record["owner"]["id"])
        # the person's real status (the simulator's ground truth), not a reading of the fields
        status = "not_found" if person is None else person.truth
        scope = record["scope"]
        mode = (
            "full"
            if scope is None or "sp:scopes:all" in scope
            else "unknown"
            if scope == []
            else "scoped"
        )
        rows.append(
            (
                record["id"],
                record["id"],
                record["name"],
                record["owner"]["id"],
                record["owner"]["name"],
                None if person is None else person.email,
                status,
                parse_timestamp(record["created"]),
                parse_timestamp(record["lastUsed"]),
                parse_timestamp(record.get("expirationDate")),
                tuple(scope or ()),
                mode,
                record.get("managed", False),
                record.get("accessTokenValiditySeconds"),
                (),
            )
        )
    return rows, bad


def actual(inventory: TenantInventory) -> list[tuple[Any, ...]]:
    return [
        (
            c.id,
            c.client_id,
            c.name,
            c.owner.id,
            c.owner.name,
            c.owner.email,
            c.owner.status,
            c.created_at,
            c.last_used_at,
            c.expires_at,
            c.scopes,
            c.scope_mode,
            c.managed,
            c.access_token_ttl_seconds,
            c.allowed_cidrs,
        )
        for c in inventory.credentials
    ]


def assert_levels(sim: SailPointSimulator, inventory: TenantInventory) -> int:
    """Every owner of a full-scope PAT, or of a PAT with a scope the spec reserves for
    administrative levels, carries its simulated user level; a plain user's PATs list those scopes
    as unusable. Returns how many credentials carry a level."""
    people = {i.id: i for i in sim.dataset.identities}
    table = scope_levels()

    def admin_only(scope: str) -> bool:
        levels = table.get(scope)
        return levels is not None and "USER" not in levels

    wanted = {
        c.owner.id
        for c in inventory.credentials
        if c.scope_mode == "full" or any(admin_only(s) for s in c.scopes)
    }
    read = 0
    for c in inventory.credentials:
        person = people.get(c.owner.id or "")
        if c.owner.id in wanted and person is not None and person.login:
            assert c.owner.roles == (person.capabilities or ("USER",)), c.id
            read += 1
            if c.scope_mode == "scoped" and not person.capabilities:
                assert c.unusable_scopes == tuple(s for s in c.scopes if admin_only(s)), c.id
        else:
            assert c.owner.roles == (), c.id
        if c.owner.roles in ((), ("ORG_ADMIN",)):
            assert c.unusable_scopes == (), c.id
    return read


async def _collect(
    sim: SailPointSimulator,
    factory: ClientFactory,
    kind: str,
    version: str,
    base_url: str = "https://acme.api.identitynow.com",
    user_levels: bool | None = None,
) -> TenantInventory:
    client_id, secret = sim.mint_client(kind)  # type: ignore[arg-type]
    tenant = settings(
        client_id, secret, base_url=base_url, api_version=version, user_levels=user_levels
    )
    SailPointProvider.validate(tenant)
    return await SailPointProvider(tenant, factory).collect()


@pytest.mark.parametrize(
    ("size", "version", "kind"),
    [
        (None, "v3", "admin"),
        (None, "v2025", "no_managed"),
        (36_000, "v1", "no_managed"),
        (5_000, "v3", "admin"),
        (5_000, "beta", "admin"),
        (5_000, "v2024", "admin"),
        (5_000, "v2026", "admin"),
    ],
)
def test_inventory_equals_ground_truth_with_faults_and_respects_the_rate_limit(
    size: int | None, version: str, kind: str
) -> None:
    fake = FakeTime()
    faults = SimFaults(latency_ms=40, error_503_fraction=0.15, malformed_records=7)
    sim = SailPointSimulator(
        seed=21,
        size=size,
        anchor=ANCHOR,
        faults=faults,
        clock=fake.clock,
        sleep=fake.sleep,
        token_ttl_seconds=8,
    )
    levels = (size, version) == (5_000, "v3")  # the opt-in lookups, under faults and the limit
    inventory = asyncio.run(
        _collect(sim, sim_factory(sim, fake), kind, version, user_levels=levels)
    )
    rows, bad = expected(sim, version, include_managed=kind == "admin")
    assert actual(inventory) == rows
    if levels:
        assert assert_levels(sim, inventory) > 500
    assert [e.index for e in inventory.coverage.record_errors] == bad
    assert len(bad) == 7
    coverage = inventory.coverage
    # managed PATs are claimed covered only when the list showed some (the right is proven)
    managed_notes = [n for n in coverage.notes if n.startswith("platform-managed PATs")]
    assert len(managed_notes) == 1
    claimed = "are covered" in managed_notes[0]
    assert claimed == (kind == "admin") == any(c.managed for c in inventory.credentials)
    assert coverage.status == "partial"  # the 7 damaged records were not evaluated
    assert coverage.credential_count == len(rows)
    (client_id,) = sim.request_log
    assert sim.max_in_window(client_id) <= 100
    assert 429 not in sim.served
    assert sim.served.get(503, 0) == coverage.retries
    assert coverage.requests == sum(sim.served.values())
    if size:
        assert coverage.retries > 0
    if size == 36_000:  # enough traffic for the limit to bind: the default 95 per 10 s holds
        assert coverage.requests > 100
        assert sim.max_in_window(client_id) <= 95


def test_429_from_the_tenant_is_waited_out_with_retry_after() -> None:
    """A client set above the real limit gets 429s, waits Retry-After, and still completes."""
    fake = FakeTime()
    sim = SailPointSimulator(seed=8, size=36_000, anchor=ANCHOR, clock=fake.clock, sleep=fake.sleep)
    client_id, secret = sim.mint_client()
    tenant = settings(client_id, secret, http=HttpSettings(rate_limit=RateLimit(1000, 10.0)))
    inventory = asyncio.run(SailPointProvider(tenant, sim_factory(sim, fake)).collect())
    rows, _ = expected(sim, "v3", include_managed=True)
    assert actual(inventory) == rows
    assert sim.served[429] == inventory.coverage.retries > 0
    assert {round(s) for s in fake.sleeps if s >= 1} <= set(range(1, 11))  # Retry-After values


def test_partial_coverage_and_unverified_owners_end_to_end() -> None:
    fake = FakeTime()
    sim = make_sim(fake, faults=SimFaults(deny_identity_lookup=True))
    inventory = asyncio.run(_collect(sim, sim_factory(sim, fake), "own_only", "v2025"))
    mine = [r for r in sim.ground_truth("v2025", False) if r["owner"]["id"] == sim.dataset.me]
    assert [c.id for c in inventory.credentials] == [r["id"] for r in mine]
    assert {c.owner.status for c in inventory.credentials} == {"unknown"}
    assert inventory.coverage.status == "partial"
    assert sim.served == {200: 2, 403: 2}


@contextmanager
def loopback(sim: SailPointSimulator) -> Iterator[str]:
    """Serve ``sim.app`` with uvicorn on 127.0.0.1 (a free port), in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections queue in the kernel until uvicorn accepts: no start-up wait
    config = uvicorn.Config(sim.app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.mark.e2e
def test_over_loopback_http_with_faults() -> None:
    # server and client share a fake clock: the client's back-off and rate limiting never sleep
    # for real, and the server's rate window sees the same time the client paces itself by (with
    # the owner user-level lookups on, several hundred requests: the limit binds)
    fake = FakeTime()
    sim = SailPointSimulator(
        seed=4,
        size=3000,
        anchor=ANCHOR,
        faults=SimFaults(error_503_fraction=0.2, malformed_records=3),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    factory = ClientFactory(sleep=fake.sleep, clock=fake.clock, jitter=lambda: 0.5)
    with loopback(sim) as base_url:
        inventory = asyncio.run(
            _collect(sim, factory, "admin", "v2025", base_url=base_url, user_levels=True)
        )
    rows, bad = expected(sim, "v2025", include_managed=True)
    assert actual(inventory) == rows
    assert assert_levels(sim, inventory) > 100
    assert [e.index for e in inventory.coverage.record_errors] == bad
    assert inventory.coverage.base_url == base_url
    # every 503 was retried; over real loopback HTTP a kept-alive connection the server closed
    # as the client reused it is retried too (a transport error, no response served), so the
    # retries may exceed the 503s by those few
    # the client paces itself below the tenant's limit by the shared fake clock; over real
    # loopback HTTP the server reads that clock a moment later than the client did, so under
    # machine load a request can land in the next window's count: a rare 429, waited out
    served_429 = sim.served.get(429, 0)
    assert served_429 <= 3
    served_503 = sim.served.get(503, 0)
    assert 0 < served_503 <= inventory.coverage.retries <= served_503 + served_429 + 10


@pytest.mark.parametrize(
    ("paging", "note"),
    [
        ("ignore", "asked for more at offset 500 and got none: the list is whole"),
        ("reject", "was refused as a bad request (HTTP 400: the list takes no limit/offset)"),
        ("page", "the server paged the PAT list at 250; every page was collected (500 records)"),
    ],
)
def test_a_list_of_exactly_k_pages_is_probed_and_a_refused_probe_costs_nothing(
    paging: str, note: str
) -> None:
    """500 PATs, a multiple of ISC's default page size: the adapter asks for more. Whether the
    server ignores limit/offset, refuses them (400) or pages by them, the population is whole
    and the tenant complete (a 400 on the probe must not fail the tenant)."""
    fake = FakeTime()
    sim = make_sim(fake, size=500, seed=3, faults=SimFaults(pat_list_paging=paging))
    inventory = asyncio.run(_collect(sim, sim_factory(sim, fake), "admin", "v3"))
    rows, _ = expected(sim, "v3", include_managed=True)
    assert len(rows) == 500
    assert actual(inventory) == rows
    assert inventory.coverage.status == "complete"
    assert any(note in n for n in inventory.coverage.notes), inventory.coverage.notes
    assert sim.served.get(400, 0) == (1 if paging == "reject" else 0)


def test_a_server_that_pages_then_refuses_leaves_the_tenant_partial() -> None:
    """It accepted limit/offset for the second page, so a 400 on the third cannot mean "does
    not page": the 400 PATs after offset 500 may exist, so the tenant is partial, never whole."""
    fake = FakeTime()
    sim = make_sim(fake, size=900, seed=3, faults=SimFaults(pat_list_paging="break"))
    sim_page = make_sim(FakeTime(), size=900, seed=3, faults=SimFaults(pat_list_paging="page"))
    inventory = asyncio.run(_collect(sim, sim_factory(sim, fake), "admin", "v3"))
    assert len(inventory.credentials) == 500 < len(sim_page.ground_truth("v3", True))
    assert inventory.coverage.status == "partial"
    assert any(
        n.startswith("partial population: the PAT list paged at 250, then refused the page at "
                     "offset 500 (HTTP 400)") for n in inventory.coverage.notes
    )  # fmt: skip


def test_every_credential_returned_was_shared_through_the_pool_handed_to_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``Provider.sharing``: the engine shares the inventory through the adapter's pool, which
    passes over what it shared already (each credential made, then given its owner)."""
    fake = FakeTime()
    sim = make_sim(fake, seed=3, size=600)
    client_id, secret = sim.mint_client()
    provider = SailPointProvider(settings(client_id, secret), sim_factory(sim, fake))
    inventory = asyncio.run(provider.collect())
    assert provider.sharing is not None
    compacted = count_compactions(monkeypatch)
    provider.sharing.share_all(inventory.credentials)
    assert len(inventory.credentials) > 500
    assert compacted == []
