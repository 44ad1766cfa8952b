"""The simulator's responses, and the adapter's requests, checked against the official spec.

The spec (``openapi.yaml``, OpenAPI 3.1; the subset in ``tests/specs/conductorone``) declares only
the 200 responses; error bodies are checked against its ``google.rpc.Status`` schema. The
token endpoint is not a path in the spec (only ``tokenUrl``), so it is not validated here.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.response.exceptions import InvalidData
from werkzeug.datastructures import Headers, ImmutableMultiDict

from providers.base import ClientFactory
from providers.conductorone import ConductorOneProvider, ConductorOneSimulator, SimFaults
from tests.providers.conductorone.conftest import NOW, FakeTime, make_sim, settings_for
from tests.providers.conductorone.simclient import call, login
from tests.specs import require, specs_dir

SPEC_PATH = specs_dir() / "conductorone" / "openapi.yaml"

# openapi-core does not model oauth2 security schemes and warns; the bearer scheme is checked.
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    require(SPEC_PATH)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=loader)
    return loaded


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> OpenAPI:
    from openapi_core import Config

    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def _convert(response: httpx.Response) -> tuple[_Request, _Response]:
    request = response.request
    params = RequestParameters(
        query=ImmutableMultiDict(list(request.url.params.multi_items())),
        header=Headers(list(request.headers.items())),
        cookie=ImmutableMultiDict(),
        path={},
    )
    converted = _Request(
        host_url=f"{request.url.scheme}://{request.url.netloc.decode()}",
        path=request.url.path,
        method=request.method.lower(),
        body=request.content or None,
        content_type=request.headers.get("content-type", ""),
        parameters=params,
    )
    return converted, _Response(
        response.status_code,
        response.headers.get("content-type", ""),
        Headers(list(response.headers.items())),
        response.content,
    )


def check(openapi: OpenAPI, spec: dict[str, Any], response: httpx.Response) -> None:
    """Raise unless the request and response are what the spec describes."""
    request, converted = _convert(response)
    if response.status_code == 200:
        openapi.validate_request(request)
        openapi.validate_response(request, converted)
        return
    status = spec["components"]["schemas"]["google.rpc.Status"]
    jsonschema.Draft202012Validator(status).validate(json.loads(response.content))


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.responses: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        response.request = request
        self.responses.append(response)
        return response


def _collect_recorded(sim: ConductorOneSimulator, kind: str = "admin") -> list[httpx.Response]:
    client_id, secret = sim.mint_client("admin" if kind == "admin" else "limited")
    recorder = Recorder(httpx.ASGITransport(app=sim.app))
    fake = FakeTime()
    factory = ClientFactory(transport=recorder, sleep=fake.sleep, clock=fake.clock)
    provider = ConductorOneProvider(
        settings_for(client_id, secret), factory, wall_clock=lambda: NOW
    )
    asyncio.run(provider.collect())
    return [r for r in recorder.responses if r.request.url.path.startswith("/api/")]


@pytest.mark.parametrize("size", [None, 120])
def test_adapter_exchanges_match_the_spec(
    openapi: OpenAPI, spec: dict[str, Any], size: int | None
) -> None:
    responses = _collect_recorded(make_sim(size=size))
    paths = {(r.request.method, r.request.url.path) for r in responses}
    assert paths == {
        ("POST", "/api/v1/search/iam/personal_clients"),
        ("GET", "/api/v1/iam/roles"),
        ("POST", "/api/v1/search/users"),
        ("GET", "/api/v1/settings/session"),
    }
    for response in responses:
        check(openapi, spec, response)


def test_fallback_and_fault_exchanges_match_the_spec(
    openapi: OpenAPI, spec: dict[str, Any]
) -> None:
    responses = _collect_recorded(make_sim(), "limited")
    # refused: the search and the session settings (both Super Administrator only)
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 403, 403]
    responses += _collect_recorded(make_sim(faults=SimFaults(deny_session_settings=True)))
    faulty = make_sim(
        size=60, faults=SimFaults(rate_limit_fraction=0.3, burst_503_every=5, burst_503_length=1)
    )
    more = _collect_recorded(faulty)
    assert {r.status_code for r in more} == {200, 429, 503}
    for response in [*responses, *more]:
        check(openapi, spec, response)


def test_other_endpoints_match_the_spec(openapi: OpenAPI, spec: dict[str, Any]) -> None:
    sim = make_sim()
    token = login(sim)
    first = sim.data.clients[0]["id"]
    responses = [
        call(sim, "GET", "/api/v1/iam/personal_clients", token=token),
        call(sim, "GET", f"/api/v1/iam/personal_clients/{first}", token=token),
        call(sim, "GET", f"/api/v1/iam/roles/{sim.data.roles[0]['id']}", token=token),
        call(sim, "GET", f"/api/v1/users/{sim.data.limited_user_id}", token=token),
        call(sim, "GET", "/api/v1/iam/roles", token=token, params={"page_size": 10}),
        call(
            sim, "POST", "/api/v1/search/iam/personal_clients", token=token, json={"query": "zzz"}
        ),
        call(sim, "GET", "/api/v1/iam/roles"),  # 401
        call(sim, "GET", "/api/v1/users/nope", token=token),  # 404
        call(sim, "POST", "/api/v1/search/users", token=token, json={"pageSize": -3}),  # 400
    ]
    assert [r.status_code for r in responses] == [200] * 6 + [401, 404, 400]
    for response in responses:
        check(openapi, spec, response)


def test_validation_catches_a_malformed_record(openapi: OpenAPI, spec: dict[str, Any]) -> None:
    """The check can fail: a damaged record is outside the spec's schema."""
    sim = make_sim(faults=SimFaults(malformed_records=3))
    token = login(sim)
    response = call(
        sim, "POST", "/api/v1/search/iam/personal_clients", token=token, json={"pageSize": 100}
    )
    with pytest.raises(InvalidData) as info:
        check(openapi, spec, response)
    assert "schema" in str(info.value.__cause__ or info.value).lower()


def test_role_permissions_name_operations_of_the_spec(spec: dict[str, Any]) -> None:
    """The simulated ``Role.permissions`` are "permission/" + an operationId (the one public
    example, c1i's permission/c1.api.auth.v1.Auth.Introspect, docs/vendors/conductorone.md §1.4)."""
    operations = {
        op["operationId"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for sim in (make_sim(), make_sim(size=50)):
        for role in sim.data.roles:
            assert role["permissions"], role["name"]
            for permission in role["permissions"]:
                assert permission.removeprefix("permission/") in operations, permission


def test_simulated_users_and_settings_use_the_spec_enums(
    openapi: OpenAPI, spec: dict[str, Any]
) -> None:
    user = spec["components"]["schemas"]["c1.api.user.v1.User"]["properties"]
    sim = make_sim(size=2000, seed=3)
    kinds = {u.get("type") for u in sim.users.values()}
    assert kinds <= set(user["type"]["enum"])
    assert {"USER_TYPE_HUMAN", "USER_TYPE_SERVICE", "USER_TYPE_AGENT"} <= kinds
    assert {u.get("directoryStatus") for u in sim.users.values()} <= set(
        user["directoryStatus"]["enum"]
    )
    left = [u for u in sim.users.values() if str(u.get("employmentStatus")).strip() == "Terminated"]
    assert any(u["status"] == "ENABLED" for u in left)  # HR says left, C1 still enabled
    token = login(sim)
    response = call(sim, "GET", "/api/v1/settings/session", token=token)
    assert response.status_code == 200
    check(openapi, spec, response)
    assert response.json()["sessionSettings"]["pccAdminSource"]["enabled"] is True
