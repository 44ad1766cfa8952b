"""The HTTP layer against absurd vendor data: each maps onto our error tree."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx

from auditor.kernel.errors import ClientRequestError, ResponseFormatError
from auditor.kernel.http import ApiClient, HttpSettings
from auditor.kernel.secretmatch import SecretSet
from tests.fakes import FakeTime

BASE = "https://api.example.test"
SECRET = "Zq9-very-secret-client-value-77"


def client(**kwargs: Any) -> ApiClient:
    fake = FakeTime()
    return ApiClient(
        tenant="t1", base_url=BASE, settings=HttpSettings(), sleep=fake.sleep, clock=fake.clock,
        **kwargs,
    )  # fmt: skip


def get(path: str, **params: str) -> Any:
    async def go() -> Any:
        async with client(secrets=SecretSet([SECRET])) as api:
            return await api.get_json(path, params=params or None)

    return asyncio.run(go())


@respx.mock(base_url=BASE)
def test_json_nested_too_deep_is_a_format_error(respx_mock: respx.MockRouter) -> None:
    body = "[" * 100_000 + "]" * 100_000
    respx_mock.get("/x").mock(return_value=httpx.Response(200, text=body))
    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        get("/x")


@respx.mock(base_url=BASE)
def test_json_that_parses_but_nests_too_deep_to_walk_is_a_format_error(
    respx_mock: respx.MockRouter,
) -> None:
    import sys

    depth = sys.getrecursionlimit() - 60  # the parser copes; walking it for secrets may not
    body = '{"a":' * depth + '"x"' + "}" * depth
    respx_mock.get("/x").mock(return_value=httpx.Response(200, text=body))
    try:
        get("/x")
    except ResponseFormatError as exc:
        message = str(exc)
    else:
        message = "nested too deeply"  # read whole: fine too
    assert "nested too deeply" in message


@respx.mock(base_url=BASE, assert_all_called=False)
def test_a_url_no_request_can_carry_is_a_format_error(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/x")
    with pytest.raises(ResponseFormatError, match="cannot form the request") as caught:
        get("/x", filters="f" * 70_000)
    assert len(str(caught.value)) < 400


@respx.mock(base_url=BASE)
def test_a_huge_redirect_location_is_bounded_and_redacted(respx_mock: respx.MockRouter) -> None:
    location = f"https://evil.example/cb?client_secret={SECRET}&pad=" + "p" * 20_000
    respx_mock.get("/x").mock(return_value=httpx.Response(302, headers={"Location": location}))
    with pytest.raises(ClientRequestError) as caught:
        get("/x")
    message = str(caught.value)
    assert len(message) < 500
    assert SECRET not in message and "very-secret" not in message
    assert "https://evil.example/cb?client_secret=" in message


def test_cookies_a_vendor_sets_are_not_kept_nor_sent_back(respx_mock: respx.MockRouter) -> None:
    big = "x" * 3000
    respx_mock.get(f"{BASE}/set").respond(
        200,
        json={},
        headers=[("Set-Cookie", f"c{i}={big}; Path=/") for i in range(20)],
    )
    seen = respx_mock.get(f"{BASE}/next").respond(200, json={})

    async def go() -> None:
        async with client() as api:
            await api.get_json("/set")
            await api.get_json("/next")

    asyncio.run(go())
    assert "cookie" not in seen.calls.last.request.headers
