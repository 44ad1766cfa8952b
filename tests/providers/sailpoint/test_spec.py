"""The simulated tenant's responses validate against SailPoint's official OpenAPI files."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from openapi_core.validation.response.exceptions import InvalidData

from providers.sailpoint import SailPointSimulator, SimFaults
from providers.sailpoint.simfaults import corrupt
from providers.sailpoint.versions import SUPPORTED_VERSIONS, VERSIONS
from tests.fakes import FakeTime
from tests.providers.sailpoint.conftest import BASE, make_sim
from tests.providers.sailpoint.spec_check import SPECS, validate_exchange
from tests.specs import require

# openapi-core cannot check oauth2 security schemes; it says so once per validation
pytestmark = [
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]


@pytest.fixture(autouse=True)
def _specs_present() -> None:
    require(SPECS)


def exchange(
    sim: SailPointSimulator,
    calls: list[tuple[str, dict[str, Any] | None]],
    *,
    kind: str = "admin",
    auth: bool = True,
) -> list[httpx.Response]:
    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=sim.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            cid, secret = sim.mint_client(kind)  # type: ignore[arg-type]
            form = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
            token = (await client.post("/oauth/token", data=form)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"} if auth else {}
            return [await client.get(p, params=q, headers=headers) for p, q in calls]

    return asyncio.run(main())


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@pytest.mark.parametrize("size", [None, 300])
def test_pat_lists_validate_for_every_version(version: str, size: int | None) -> None:
    sim = make_sim(FakeTime(), size=size, seed=11)
    path = VERSIONS[version].pat_path
    calls: list[tuple[str, dict[str, Any] | None]] = [
        (path, None),
        (path, {"owner-id": "me"}),
        (path, {"filters": "lastUsed isnull"}),
        (path, {"filters": "lastUsed le 2026-05-01T00:00:00.000Z"}),
        (path, {"filters": 'owner.id eq "x"'}),
    ]
    responses = exchange(sim, calls)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 400]
    assert len(responses[0].json()) == (37 if size is None else 300)
    for response in responses:
        validate_exchange(response, version)


@pytest.mark.parametrize("version", ["v3", "v2025", "v1"])
def test_error_responses_validate(version: str) -> None:
    path = VERSIONS[version].pat_path
    denied = exchange(make_sim(FakeTime()), [(path, None)], kind="own_only")[0]
    assert denied.status_code == 403
    validate_exchange(denied, version)
    unauthenticated = exchange(make_sim(FakeTime()), [(path, None)], auth=False)[0]
    assert unauthenticated.status_code == 401
    validate_exchange(unauthenticated, version)
    fake = FakeTime()
    sim = make_sim(fake)
    limited = exchange(sim, [(path, None)] * 100)  # + the token request
    assert [r.status_code for r in limited[-2:]] == [200, 429]
    validate_exchange(limited[-1], version)


def test_public_identities_validate() -> None:
    sim = make_sim(FakeTime(), size=900, seed=3)
    ids = [i.id for i in sim.dataset.identities[:40]]
    many = "id in (" + ",".join(f'"{i}"' for i in ids) + ")"
    calls: list[tuple[str, dict[str, Any] | None]] = [
        ("/v3/public-identities", None),
        ("/v3/public-identities", {"filters": f'id eq "{ids[0]}"', "count": "true"}),
        ("/v3/public-identities", {"filters": many, "limit": 250, "offset": 0}),
        ("/v3/public-identities", {"limit": 7, "offset": 295, "sorters": "name"}),
        ("/v3/public-identities", {"filters": 'manager eq "x"'}),
    ]
    responses = exchange(sim, calls)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 400]
    assert [len(r.json()) for r in responses[:4]] == [250, 1, 40, 5]
    states = {i["identityState"] for r in responses[:1] for i in r.json()}
    assert None in states and "INACTIVE_LONG_TERM" in states
    for response in responses:
        validate_exchange(response)
    denied = exchange(
        make_sim(FakeTime(), faults=SimFaults(deny_identity_lookup=True)),
        [("/v3/public-identities", None)],
    )[0]
    assert denied.status_code == 403
    validate_exchange(denied)


def test_auth_users_validate() -> None:
    """Every answer of ``GET /v3/auth-users/{id}`` the simulator gives: the v3 spec's AuthUser with
    each kind of level (null, one, several), 404 for an identity without a login, 403 without
    the scope sp:auth-user:read."""
    sim = make_sim(FakeTime(), size=900, seed=3)
    people = sim.dataset.identities
    base = next(i for i in people if i.capabilities is None and i.login)
    empty = next(i for i in people if i.capabilities == () and i.login)
    admin = next(i for i in people if i.capabilities == ("ORG_ADMIN",))
    several = next(i for i in people if i.capabilities and len(i.capabilities) > 1)
    no_login = next(i for i in people if not i.login)
    ids = [base.id, empty.id, admin.id, several.id, no_login.id, "0" * 32]
    responses = exchange(sim, [(f"/v3/auth-users/{i}", None) for i in ids])
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 404, 404]
    assert [r.json().get("capabilities") for r in responses[:4]] == [
        None,
        [],
        ["ORG_ADMIN"],
        list(several.capabilities or ()),
    ]
    denied = exchange(make_sim(FakeTime()), [(f"/v3/auth-users/{base.id}", None)], kind="own_only")
    assert denied[0].status_code == 403
    for response in [*responses, *denied]:
        validate_exchange(response)


def test_a_damaged_auth_user_breaks_the_spec() -> None:
    """The check can fail: a level that is not in the spec's enum is rejected."""
    sim = make_sim(FakeTime(), size=900, seed=3)
    (good,) = exchange(sim, [(f"/v3/auth-users/{sim.dataset.identities[0].id}", None)])
    validate_exchange(good)
    body = {**good.json(), "capabilities": ["SUPREME_LEADER"]}
    with pytest.raises(InvalidData):
        validate_exchange(httpx.Response(200, json=body, request=good.request))


@pytest.mark.parametrize("kind", range(6))
def test_each_injected_corruption_breaks_the_spec(kind: int) -> None:
    """The check can fail: each kind of damage ``malformed_records`` injects breaks the schema."""
    record = make_sim(FakeTime()).ground_truth()[0]
    request = httpx.Request("GET", BASE + "/v3/personal-access-tokens")
    validate_exchange(httpx.Response(200, json=[record], request=request))
    bad = httpx.Response(200, json=[corrupt(record, kind)], request=request)
    with pytest.raises(InvalidData):
        validate_exchange(bad)
