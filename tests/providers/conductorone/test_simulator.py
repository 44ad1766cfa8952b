"""The simulated tenant: token endpoint checks, paging, errors, faults and determinism."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from providers.conductorone import ConductorOneSimulator, SimFaults
from providers.conductorone.auth import ASSERTION_TYPE, encode_client_secret
from tests.providers.conductorone.conftest import ANCHOR, NOW, make_sim
from tests.providers.conductorone.simclient import assertion_form, call, login

SEARCH = "/api/v1/search/iam/personal_clients"


def rpc(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": []}


# -- token endpoint -----------------------------------------------------------------------------


def test_token_endpoint_issues_a_bearer_token() -> None:
    sim = make_sim()
    client_id, secret = sim.mint_client()
    assert client_id.endswith("@acme.conductor.one/pcc")
    assert secret.startswith("secret-token:conductorone.com:v1:")
    response = call(sim, "POST", "/auth/v1/token", data=assertion_form(client_id, secret))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 600)


def _claims(client_id: str, **changes: Any) -> dict[str, Any]:
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": ["acme.conductor.one"],
        "iat": int(NOW),
        "nbf": int(NOW) - 120,
        "exp": int(NOW) + 120,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


OTHER_KEY = Ed25519PrivateKey.generate()


@pytest.mark.parametrize(
    ("changes", "key", "description"),
    [
        ({}, "other", "assertion signature is invalid"),
        ({"aud": ["evil.example.com"]}, "own", "assertion audience must be 'acme.conductor.one'"),
        (
            {"aud": ["acme.conductor.one:443"]},
            "own",
            "assertion audience must be 'acme.conductor.one'",
        ),
        ({"exp": int(NOW) - 1}, "own", "assertion has expired"),
        ({"exp": int(NOW) + 301}, "own", "assertion must expire within five minutes"),
        ({"nbf": int(NOW) + 600}, "own", "assertion is not valid yet"),
        ({"iss": "someone-else"}, "own", "assertion issuer must be the client id"),
        ({"sub": "someone-else"}, "own", "assertion subject must be the client id"),
        ({"exp": None}, "own", 'malformed assertion: Token is missing the "exp" claim'),
    ],
)
def test_token_endpoint_rejects_bad_assertions(
    changes: dict[str, Any], key: str, description: str
) -> None:
    sim = make_sim()
    client_id, secret = sim.mint_client()
    from providers.conductorone.auth import parse_client_secret

    signer = OTHER_KEY if key == "other" else parse_client_secret(secret)
    assertion = jwt.encode(_claims(client_id, **changes), signer, algorithm="EdDSA")
    form = {
        "client_id": client_id,
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    response = call(sim, "POST", "/auth/v1/token", data=form)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": description}


def test_token_endpoint_rejects_hmac_and_garbage() -> None:
    sim = make_sim()
    client_id, _ = sim.mint_client()
    hs = jwt.encode(_claims(client_id), "k" * 32, algorithm="HS256")
    for assertion, text in [
        (hs, "the assertion must be signed with EdDSA"),
        ("x.y.z", "malformed assertion"),
    ]:
        form = {
            "client_id": client_id,
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        }
        response = call(sim, "POST", "/auth/v1/token", data=form)
        assert response.status_code == 401
        assert response.json()["error_description"].startswith(text)


def test_audience_is_the_host_header_without_port() -> None:
    sim = make_sim()
    client_id, secret = sim.mint_client()
    ok = call(
        sim,
        "POST",
        "/auth/v1/token",
        host="127.0.0.1:8123",
        data=assertion_form(client_id, secret, audience="127.0.0.1"),
    )
    assert ok.status_code == 200
    bad = call(
        sim,
        "POST",
        "/auth/v1/token",
        host="127.0.0.1:8123",
        data=assertion_form(client_id, secret, audience="127.0.0.1:8123"),
    )
    assert bad.status_code == 401


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_id": ""}, 400, "invalid_request"),
        ({"client_id": "nobody@acme.conductor.one/pcc"}, 401, "invalid_client"),
        ({"client_assertion_type": "urn:other"}, 400, "invalid_request"),
        ({"client_assertion": None, "client_assertion_type": None}, 400, "invalid_request"),
        (
            {"client_assertion": None, "client_assertion_type": None, "client_secret": "wrong"},
            401,
            "invalid_client",
        ),
    ],
)
def test_token_endpoint_request_errors(form: dict[str, Any], status: int, error: str) -> None:
    sim = make_sim()
    client_id, secret = sim.mint_client()
    data = {**assertion_form(client_id, secret), **form}
    data = {k: v for k, v in data.items() if v is not None}
    response = call(sim, "POST", "/auth/v1/token", data=data)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_plain_secret_method_and_json_body() -> None:
    sim = make_sim()
    client_id, secret = sim.mint_client()
    form = {"client_id": client_id, "grant_type": "client_credentials", "client_secret": secret}
    assert call(sim, "POST", "/auth/v1/token", data=form).status_code == 200
    as_json = call(sim, "POST", "/auth/v1/token", json=form)
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    stranger = encode_client_secret(OTHER_KEY)
    form["client_secret"] = stranger
    assert call(sim, "POST", "/auth/v1/token", data=form).status_code == 401


def test_api_needs_a_valid_unexpired_token() -> None:
    now = [NOW]
    sim = ConductorOneSimulator(anchor=ANCHOR, clock=lambda: now[0])
    assert call(sim, "GET", "/api/v1/iam/roles").json() == rpc(16, "unauthenticated")
    assert call(sim, "GET", "/api/v1/iam/roles", token="made-up").status_code == 401
    token = login(sim)
    assert call(sim, "GET", "/api/v1/iam/roles", token=token).status_code == 200
    now[0] += 600
    response = call(sim, "GET", "/api/v1/iam/roles", token=token)
    assert (response.status_code, response.json()) == (401, rpc(16, "unauthenticated"))


# -- paging -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "served"), [(None, 25), (0, 25), (5, 10), (30, 30), ("30", 30), (500, 100)]
)
def test_page_size_is_clamped(size: Any, served: int) -> None:
    sim = make_sim(size=300)
    token = login(sim)
    body = {} if size is None else {"pageSize": size}
    page = call(sim, "POST", SEARCH, token=token, json=body).json()
    assert len(page["list"]) == served
    assert page["nextPageToken"] != ""


def test_walking_every_page_returns_each_client_once() -> None:
    sim = make_sim(size=237)
    token = login(sim)
    seen: list[str] = []
    page_token = ""
    pages = 0
    while True:
        body: dict[str, Any] = {"pageSize": 25}
        if page_token:
            body["pageToken"] = page_token
        page = call(sim, "POST", SEARCH, token=token, json=body).json()
        seen += [c["id"] for c in page.get("list", [])]
        pages += 1
        page_token = page["nextPageToken"]
        if not page_token:
            break
    assert pages == 10
    assert seen == [c["id"] for c in sim.data.clients]
    assert len(set(seen)) == 237


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"pageSize": -1}, "pageSize must not be negative"),
        ({"pageSize": "ten"}, "invalid value for int32 field pageSize: 'ten'"),
        ({"pageSize": True}, "pageSize must be an integer"),
        ({"pageToken": "garbage"}, "invalid page token"),
        ({"pageToken": 7}, "pageToken must be a string"),
    ],
)
def test_bad_paging_arguments(body: dict[str, Any], message: str) -> None:
    sim = make_sim()
    token = login(sim)
    response = call(sim, "POST", SEARCH, token=token, json=body)
    assert (response.status_code, response.json()) == (400, rpc(3, message))


def test_page_token_is_bound_to_its_request() -> None:
    sim = make_sim(size=100)
    token = login(sim)
    first = call(sim, "POST", SEARCH, token=token, json={"pageSize": 10}).json()
    other = call(
        sim,
        "POST",
        SEARCH,
        token=token,
        json={"query": "laptop", "pageToken": first["nextPageToken"]},
    )
    assert other.json() == rpc(3, "page token does not belong to this request")
    roles = call(
        sim, "GET", "/api/v1/iam/roles", token=token, params={"page_token": first["nextPageToken"]}
    )
    assert roles.status_code == 400
    tampered = first["nextPageToken"][:-2] + ("AA" if first["nextPageToken"][-2:] != "AA" else "BB")
    assert call(sim, "POST", SEARCH, token=token, json={"pageToken": tampered}).status_code == 400


def test_search_filters_and_body_errors() -> None:
    sim = make_sim()
    token = login(sim)
    page = call(sim, "POST", SEARCH, token=token, json={"query": "FRANK", "pageSize": 100}).json()
    assert [c["displayName"] for c in page["list"]] == [f"frank key {i}" for i in range(1, 7)] + [
        "frank expired key"
    ]
    owner = page["list"][0]["userId"]
    by_user = call(
        sim, "POST", SEARCH, token=token, json={"users": [{"id": owner}], "pageSize": 100}
    ).json()
    assert len(by_user["list"]) == 7
    empty = call(sim, "POST", SEARCH, token=token, json={"query": "no such name"}).json()
    assert empty == {"nextPageToken": ""}  # protojson omits an empty repeated field
    bad = call(
        sim,
        "POST",
        SEARCH,
        token=token,
        content=b"[1]",
        headers={"content-type": "application/json"},
    )
    assert bad.json() == rpc(3, "request body must be a JSON object")


# -- permissions, other endpoints ---------------------------------------------------------------


def test_limited_credential_cannot_search_but_lists_its_own() -> None:
    sim = make_sim()
    token = login(sim, "limited")
    denied = call(sim, "POST", SEARCH, token=token, json={})
    assert denied.status_code == 403
    assert denied.json()["code"] == 7
    assert denied.json()["message"].startswith(
        "Permission denied, missing permission/c1.api.iam.v1.PersonalClientSearchService.Search"
    )
    own = call(sim, "GET", "/api/v1/iam/personal_clients", token=token).json()
    assert [c["displayName"] for c in own["list"]] == [
        "clean: ci deploy",
        "no expiry: permanent",
        "expiring soon",
        "no CIDR: empty list",
    ]
    assert own["nextPageToken"] == ""
    other = sim.data.clients[1]["id"]
    assert call(sim, "GET", f"/api/v1/iam/personal_clients/{other}", token=token).status_code == 404


def test_get_endpoints_and_error_shapes() -> None:
    sim = make_sim()
    token = login(sim)
    first = sim.data.clients[0]
    assert call(sim, "GET", f"/api/v1/iam/personal_clients/{first['id']}", token=token).json() == {
        "client": first
    }
    role = sim.data.roles[0]
    assert call(sim, "GET", f"/api/v1/iam/roles/{role['id']}", token=token).json() == {"role": role}
    assert call(sim, "GET", "/api/v1/iam/roles/nope", token=token).json() == rpc(5, "not found")
    uid = sim.data.limited_user_id
    got = call(sim, "GET", f"/api/v1/users/{uid}", token=token).json()
    assert got["userView"]["user"] == sim.users[uid]
    assert call(sim, "GET", "/api/v1/users/ghost", token=token).status_code == 404
    missing = call(sim, "GET", "/api/v1/nothing/here", token=token)
    assert (missing.status_code, missing.json()) == (404, rpc(5, "not found"))
    wrong = call(sim, "DELETE", "/api/v1/iam/roles", token=token)
    assert (wrong.status_code, wrong.json()) == (405, rpc(12, "Method Not Allowed"))


def test_user_search_statuses_refs_and_denial() -> None:
    sim = make_sim()
    token = login(sim)
    everyone = [{"id": uid} for uid in sim.users]
    default = call(
        sim, "POST", "/api/v1/search/users", token=token, json={"refs": everyone, "pageSize": 100}
    ).json()
    assert {v["user"]["status"] for v in default["list"]} == {"ENABLED", "DISABLED"}
    all_three = {
        "refs": everyone,
        "pageSize": 100,
        "userStatuses": ["ENABLED", "DISABLED", "DELETED"],
    }
    full = call(sim, "POST", "/api/v1/search/users", token=token, json=all_three).json()
    assert len(full["list"]) == len(sim.users)
    assert all(v["userId"] == v["user"]["id"] for v in full["list"])
    denied_sim = make_sim(faults=SimFaults(deny_user_search=True))
    denied = call(
        denied_sim, "POST", "/api/v1/search/users", token=login(denied_sim), json=all_three
    )
    assert denied.status_code == 403
    assert "permission/c1.api.user.v1.UserSearch.Search" in denied.json()["message"]


# -- faults -------------------------------------------------------------------------------------


def test_rate_limit_fault_sends_retry_after_and_spares_the_token_endpoint() -> None:
    sim = make_sim(faults=SimFaults(rate_limit_fraction=1.0, retry_after_seconds=7))
    token = login(sim)  # the token endpoint is never faulted
    response = call(sim, "GET", "/api/v1/iam/roles", token=token)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json() == rpc(8, "rate limit exceeded")


def test_503_bursts_follow_the_pattern() -> None:
    sim = make_sim(faults=SimFaults(burst_503_every=4, burst_503_length=2))
    token = login(sim)
    statuses = [call(sim, "GET", "/api/v1/iam/roles", token=token).status_code for _ in range(8)]
    assert statuses == [200, 200, 503, 503, 200, 200, 503, 503]
    assert sim.requests["fault 503"] == 4


def test_rate_limit_fraction_is_seeded() -> None:
    def pattern(seed: int) -> list[int]:
        sim = make_sim(seed=seed, faults=SimFaults(rate_limit_fraction=0.3))
        token = login(sim)
        return [call(sim, "GET", "/api/v1/iam/roles", token=token).status_code for _ in range(30)]

    first = pattern(1)
    assert first == pattern(1)
    assert 429 in first and 200 in first
    assert first != pattern(2)


def test_latency_uses_the_injected_sleep() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    sim = ConductorOneSimulator(
        anchor=ANCHOR, faults=SimFaults(latency_ms=250), clock=lambda: NOW, sleep=sleep
    )
    started = time.monotonic()
    token = login(sim)
    call(sim, "GET", "/api/v1/iam/roles", token=token)
    assert slept == [0.25, 0.25]
    assert time.monotonic() - started < 5  # sanity: nothing slept for real (not a timing test)


# -- data ---------------------------------------------------------------------------------------


def test_generation_is_deterministic() -> None:
    a, b = make_sim(size=500, seed=3), make_sim(size=500, seed=3)
    assert a.ground_truth() == b.ground_truth()
    assert a.users == b.users
    assert make_sim(size=500, seed=4).ground_truth() != a.ground_truth()
    assert make_sim().ground_truth() == make_sim().ground_truth()


def test_ground_truth_excludes_deleted_and_malformed() -> None:
    sim = make_sim(size=400, faults=SimFaults(malformed_records=4))
    deleted = [c for c in sim.data.clients if c.get("deletedAt")]
    bad = sim.malformed_truth()
    assert len(bad) == 4
    assert len(sim.ground_truth()) == 400 - len(deleted) - 4
    assert "id" not in bad[0]
    assert bad[1]["createdAt"] == "last tuesday"
    assert bad[2]["scopedRoles"] == "not-a-list"
    assert bad[3]["lastUsedAt"] == 1_700_000_000


def test_generated_mix_is_realistic() -> None:
    sim = make_sim(size=3000)
    clients = sim.data.clients
    statuses = {u["status"] for u in sim.users.values()}
    assert statuses == {"ENABLED", "DISABLED", "DELETED"}
    owner_role = sim.data.role_ids["system:owner"]
    assert any(owner_role in (u.get("roleIds") or []) for u in sim.users.values())
    assert any(c["userId"] not in sim.users for c in clients)
    assert any(c.get("deletedAt") for c in clients)
    assert any(c["lastUsedAt"] is None for c in clients)
    assert any("expiresTime" not in c for c in clients)
    assert any(c.get("expiresTime", "x") is None for c in clients)
    cidrs = [x for c in clients for x in (c.get("allowSourceCidr") or [])]
    assert {"0.0.0.0/0", "::/0", "10.0.0.0/8", "2001:db8::/32"} <= set(cidrs)
    assert any(x.endswith("/32") and "." in x for x in cidrs)
    assert any("allowSourceCidr" not in c for c in clients)
    assert any(c.get("scopedRoles", "x") == [] for c in clients)
    digits = {
        len(c["createdAt"].split(".")[1]) - 1 if "." in c["createdAt"] else 0 for c in clients
    }
    assert digits == {0, 3, 6, 9}


@pytest.mark.parametrize(
    "faults",
    [
        {"rate_limit_fraction": 1.5},
        {"latency_ms": -1},
        {"burst_503_every": 2, "burst_503_length": 3},
    ],
)
def test_fault_settings_are_checked(faults: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        SimFaults(**faults)


def test_minted_secrets_stay_out_of_reprs() -> None:
    sim = make_sim()
    client_id, secret = sim.mint_client()
    assert secret not in repr(sim.principals[client_id])


@pytest.mark.parametrize("size", [0, 1_000_001])
def test_size_bounds(size: int) -> None:
    with pytest.raises(ValueError, match="size must be between"):
        make_sim(size=size)


def test_small_sizes_work() -> None:
    assert len(make_sim(size=10).data.clients) == 10
