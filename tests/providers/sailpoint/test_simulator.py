"""The simulated tenant's behaviour, request by request (shapes are checked in test_spec)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from providers.sailpoint import SailPointSimulator, SimFaults
from providers.sailpoint.tenantdata import hex_id
from tests.fakes import FakeTime
from tests.providers.sailpoint.conftest import BASE, make_sim

Body = Callable[[httpx.AsyncClient], Awaitable[Any]]


def run(sim: SailPointSimulator, body: Body) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sim.app), base_url=BASE
        ) as c:
            return await body(c)

    return asyncio.run(main())


async def token(
    c: httpx.AsyncClient, sim: SailPointSimulator, kind: str = "admin"
) -> dict[str, str]:
    cid, secret = sim.mint_client(kind)  # type: ignore[arg-type]
    data = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
    r = await c.post("/oauth/token", data=data)
    assert r.status_code == 200
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_token_endpoint_form_query_and_refusals(fake_time: FakeTime) -> None:
    sim = make_sim(fake_time)
    cid, secret = sim.mint_client()

    async def body(c: httpx.AsyncClient) -> None:
        ok = await c.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret},
        )
        assert ok.status_code == 200
        assert ok.json()["token_type"] == "bearer"
        assert ok.json()["expires_in"] == 43200
        assert ok.json()["identity_id"] == sim.dataset.me
        query = await c.post(
            f"/oauth/token?grant_type=CLIENT_CREDENTIALS&client_id={cid}&client_secret={secret}"
        )
        assert query.status_code == 200
        bad = await c.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": cid, "client_secret": "nope"},
        )
        assert (bad.status_code, bad.json()) == (
            401,
            {"error": "invalid_client", "error_description": "Bad credentials"},
        )
        grant = await c.post("/oauth/token", data={"grant_type": "password", "client_id": cid})
        assert (grant.status_code, grant.json()) == (400, {"error": "unsupported_grant_type"})

    run(sim, body)


def test_bearer_token_missing_or_expired(fake_time: FakeTime) -> None:
    sim = make_sim(fake_time)

    async def body(c: httpx.AsyncClient) -> None:
        none = await c.get("/v3/personal-access-tokens")
        assert none.status_code == 401
        assert none.json() == {"error": "JWT validation failed: no valid bearer token"}
        headers = await token(c, sim)
        assert (await c.get("/v3/personal-access-tokens", headers=headers)).status_code == 200
        fake_time.now += 43200
        expired = await c.get("/v3/personal-access-tokens", headers=headers)
        assert expired.json() == {"error": "JWT validation failed: JWT is expired"}
        headers = await token(c, sim)
        sim.expire_tokens()
        assert (await c.get("/v3/personal-access-tokens", headers=headers)).status_code == 401

    run(sim, body)


@pytest.mark.parametrize(
    ("kind", "owner", "status", "count"),
    [
        ("admin", None, 200, 37),
        ("no_managed", None, 200, 35),
        ("own_only", None, 403, None),
        ("own_only", "me", 200, 1),
        ("admin", "me", 200, 1),
        ("admin", hex_id("identity:priya"), 200, 2),
        ("no_managed", hex_id("identity:priya"), 200, 0),
        ("admin", hex_id("identity:bob"), 200, 7),
        ("admin", "no-such-owner", 200, 0),
    ],
)
def test_owner_id_rights_and_managed_visibility(
    fake_time: FakeTime, kind: str, owner: str | None, status: int, count: int | None
) -> None:
    sim = make_sim(fake_time)

    async def body(c: httpx.AsyncClient) -> None:
        headers = await token(c, sim, kind)
        params = {"owner-id": owner} if owner else None
        r = await c.get("/v2025/personal-access-tokens", headers=headers, params=params)
        assert r.status_code == status
        if count is None:
            assert r.json()["detailCode"] == "403 Forbidden"
        else:
            assert len(r.json()) == count

    run(sim, body)


def test_every_version_path_serves_its_shape(fake_time: FakeTime) -> None:
    sim = make_sim(fake_time)
    modern = hex_id("pat:no-expiry-modern")

    async def body(c: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
        headers = await token(c, sim)
        out = {}
        for version, path in [
            ("v3", "/v3/personal-access-tokens"),
            ("beta", "/beta/personal-access-tokens"),
            ("v2024", "/v2024/personal-access-tokens"),
            ("v2025", "/v2025/personal-access-tokens"),
            ("v2026", "/v2026/personal-access-tokens"),
            ("v1", "/personal-access-tokens/v1"),
        ]:
            rows = (await c.get(path, headers=headers)).json()
            assert rows == sim.ground_truth(version)
            out[version] = next(r for r in rows if r["id"] == modern)
        return out

    records = run(sim, body)
    assert "expirationDate" not in records["v3"] and "expirationDate" not in records["v2024"]
    assert records["beta"]["expirationDate"] is None
    assert "userAwareTokenNeverExpires" not in records["beta"]
    for version in ("v2025", "v2026", "v1"):
        assert records[version]["expirationDate"] is None
        assert records[version]["userAwareTokenNeverExpires"] is True
    legacy = next(r for r in sim.ground_truth("v2025") if r["id"] == hex_id("pat:no-expiry-legacy"))
    assert sorted(legacy) == ["created", "id", "lastUsed", "name", "owner", "scope"]


def test_last_used_filters(fake_time: FakeTime) -> None:
    sim = make_sim(fake_time)

    async def body(c: httpx.AsyncClient) -> None:
        headers = await token(c, sim)
        never = await c.get(
            "/v3/personal-access-tokens", headers=headers, params={"filters": "lastUsed isnull"}
        )
        assert [r["id"] for r in never.json()] == [
            hex_id("pat:never-used"), hex_id("pat:idle-since-recording")
        ]  # fmt: skip
        old = await c.get(
            "/v3/personal-access-tokens",
            headers=headers,
            params={"filters": "lastUsed le 2026-08-01T00:00:00.000Z"},
        )
        assert [r["id"] for r in old.json()] == [hex_id("pat:stale")]
        bad = await c.get(
            "/v3/personal-access-tokens",
            headers=headers,
            params={"filters": "created gt 2026-01-01T00:00:00Z"},
        )
        assert bad.status_code == 400
        assert bad.json()["detailCode"] == "400.1 Bad Request Content"
        assert bad.json()["messages"][0]["text"] == (
            "Invalid filter 'created gt 2026-01-01T00:00:00Z': "
            "filtering on 'created' is not supported"
        )

    run(sim, body)


def test_public_identities_filters_paging_and_count(fake_time: FakeTime) -> None:
    sim = make_sim(fake_time, size=600)
    ids = [i.id for i in sim.dataset.identities]

    async def body(c: httpx.AsyncClient) -> None:
        headers = await token(c, sim)
        one = await c.get(
            "/v3/public-identities", headers=headers, params={"filters": f'id eq "{ids[5]}"'}
        )
        assert [i["id"] for i in one.json()] == [ids[5]]
        wanted = [*ids[10:13], "0" * 32]
        batch = await c.get(
            "/v3/public-identities",
            headers=headers,
            params={"filters": "id in (" + ",".join(f'"{i}"' for i in wanted) + ")"},
        )
        assert [i["id"] for i in batch.json()] == ids[10:13]
        page = await c.get(
            "/v3/public-identities",
            headers=headers,
            params={"limit": 50, "offset": 190, "count": "true"},
        )
        assert [i["id"] for i in page.json()] == ids[190:200]
        assert page.headers["X-Total-Count"] == "200"
        assert "X-Total-Count" not in batch.headers
        for params in (
            {"limit": 251},
            {"offset": -1},
            {"limit": "x"},
            {"sorters": "email"},
            {"filters": 'status eq "Active"'},
        ):
            r = await c.get("/v3/public-identities", headers=headers, params=params)
            assert r.status_code == 400, params
        by_name = await c.get("/v3/public-identities", headers=headers, params={"sorters": "name"})
        names = [i["name"].lower() for i in by_name.json()]
        assert names == sorted(names)
        email = sim.dataset.identities[3].email
        assert email is not None
        sw = await c.get(
            "/v3/public-identities", headers=headers, params={"filters": f'email sw "{email[:-4]}"'}
        )
        assert ids[3] in [i["id"] for i in sw.json()]

    run(sim, body)


def test_rate_limit_is_100_per_10_seconds_per_client(fake_time: FakeTime) -> None:
    sim = make_sim(fake_time)

    async def body(c: httpx.AsyncClient) -> None:
        headers = await token(c, sim)  # the token request counts: 1
        for _ in range(99):
            assert (await c.get("/v3/personal-access-tokens", headers=headers)).status_code == 200
        fake_time.now += 4.0
        limited = await c.get("/v3/personal-access-tokens", headers=headers)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "6"
        assert limited.json() == {"message": " Rate Limit Exceeded "}
        other = await token(c, sim)  # another client id has its own window
        assert (await c.get("/v3/personal-access-tokens", headers=other)).status_code == 200
        fake_time.now += 6.0
        assert (await c.get("/v3/personal-access-tokens", headers=headers)).status_code == 200

    run(sim, body)
    assert sim.served[429] == 1
    first = next(iter(sim.request_log))
    assert len(sim.request_log[first]) == 102
    assert sim.max_in_window(first) == 101  # the log records arrivals, refused ones included


def test_faults_are_deterministic_and_use_the_injected_sleep() -> None:
    def observe() -> tuple[list[int], list[float]]:
        fake = FakeTime()
        sim = make_sim(fake, seed=5, faults=SimFaults(latency_ms=250, error_503_fraction=0.5))

        async def body(c: httpx.AsyncClient) -> list[int]:
            headers = await token(c, sim)
            codes = []
            for i in range(12):
                r = await c.get(
                    "/v3/personal-access-tokens", headers=headers, params={"owner-id": f"x{i % 3}"}
                )
                codes.append(r.status_code)
            return codes

        return run(sim, body), fake.sleeps

    codes, sleeps = observe()
    assert (codes, sleeps) == observe()
    assert set(codes) == {200, 503}
    assert sleeps == [0.25] * 13
    for key in range(3):  # one request key never fails three times in a row
        assert "503,503,503" not in ",".join(map(str, codes[key::3]))


def test_fault_streak_is_capped_below_full_failure() -> None:
    from providers.sailpoint.simfaults import FaultPlan

    plan = FaultPlan(seed=1, fraction=0.99)
    assert [plan.should_fail("k") for _ in range(6)] == [True, True, False, True, True, False]
    always = FaultPlan(seed=1, fraction=1.0)
    assert all(always.should_fail("k") for _ in range(5))


def test_malformed_records_and_identity_denial(fake_time: FakeTime) -> None:
    sim = make_sim(fake_time, faults=SimFaults(malformed_records=6, deny_identity_lookup=True))
    truth = sim.ground_truth("v3")
    clean = make_sim(FakeTime()).ground_truth("v3")
    changed = [i for i, (a, b) in enumerate(zip(truth, clean, strict=True)) if a != b]
    assert len(changed) == 6
    assert sim.ground_truth("v3") == truth  # stable

    async def body(c: httpx.AsyncClient) -> None:
        headers = await token(c, sim)
        r = await c.get("/v3/public-identities", headers=headers)
        assert r.status_code == 403 and r.json()["detailCode"] == "403 Forbidden"
        assert (await c.get("/v3/identities", headers=headers)).status_code == 404

    run(sim, body)


@pytest.mark.parametrize(
    "kwargs",
    [{"latency_ms": -1}, {"malformed_records": -2}, {"error_503_fraction": 1.5}],
)
def test_fault_settings_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"cannot be negative|between 0 and 1"):
        SimFaults(**kwargs)  # type: ignore[arg-type]


def test_ground_truth_rejects_unknown_versions(fake_time: FakeTime) -> None:
    with pytest.raises(ValueError, match="api_version must be one of v3, beta"):
        make_sim(fake_time).ground_truth("v4")


def test_the_whole_list_is_encoded_once_and_again_after_a_write(fake_time: FakeTime) -> None:
    sim = make_sim(fake_time)
    encoded: list[int] = []
    real = sim._encoded_list

    def counting(version: str, include_managed: bool) -> bytes:
        if (version, include_managed) not in sim._encoded:
            encoded.append(1)
        return real(version, include_managed)

    sim._encoded_list = counting  # type: ignore[method-assign]

    async def body(c: httpx.AsyncClient) -> None:
        h = await token(c, sim)
        first = await c.get("/v3/personal-access-tokens", headers=h)
        again = await c.get("/v3/personal-access-tokens", headers=h)
        # the bytes ``_json`` would send for the rendered list, twice from one encoding
        assert first.content == again.content
        assert first.json() == sim.ground_truth("v3")
        assert len(sim._encoded) == 1
        gone = first.json()[0]["id"]
        writer = await token(c, sim, "remediation")
        deleted = await c.delete(f"/v3/personal-access-tokens/{gone}", headers=writer)
        assert deleted.status_code == 204
        after = await c.get("/v3/personal-access-tokens", headers=h)
        assert gone not in {r["id"] for r in after.json()}
        assert after.json() == sim.ground_truth("v3")
        sim.delete_out_of_band(after.json()[0]["id"])
        last = await c.get("/v3/personal-access-tokens", headers=h)
        assert last.json() == sim.ground_truth("v3") and len(last.json()) == len(after.json()) - 1
        # a filtered list is its own body, and leaves the encoded one alone
        own = await c.get("/v3/personal-access-tokens?owner-id=me", headers=h)
        assert own.status_code == 200 and len(own.json()) < len(last.json())

    run(sim, body)
    assert len(encoded) == 3  # once, then after each of the two writes
