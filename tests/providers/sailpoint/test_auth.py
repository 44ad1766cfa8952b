from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import SecretStr

from auditor.kernel.errors import AuthError, NotFoundError, ResponseFormatError
from auditor.kernel.http import HttpSettings
from providers.sailpoint.auth import DEFAULT_TTL, SailPointTokenProvider
from providers.sailpoint.errorbody import parse_error
from tests.fakes import FakeTime
from tests.providers.sailpoint.conftest import BASE, respx_factory

CLIENT_ID = "0123456789abcdef0123456789abcdef"
SECRET = "very-secret-pat-value"
PATS = "/v3/personal-access-tokens"


def provider() -> SailPointTokenProvider:
    return SailPointTokenProvider(CLIENT_ID, SecretStr(SECRET), tenant="acme-isc")


async def call(fake: FakeTime, auth: SailPointTokenProvider, times: int = 1) -> list[object]:
    factory = respx_factory(fake)
    settings = HttpSettings(max_retries=0)
    async with factory.client(
        tenant="acme-isc", base_url=BASE, settings=settings, auth=auth, error_parser=parse_error
    ) as client:
        out = []
        for _ in range(times):
            out.append(await client.get_json(PATS))
            fake.now += 1
        return out


def token_route(mock: respx.MockRouter, *responses: httpx.Response) -> respx.Route:
    return mock.post("/oauth/token").mock(side_effect=list(responses))


def ok_token(value: str, expires_in: object = 749) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": value, "token_type": "bearer", "expires_in": expires_in}
    )


def test_form_body_and_bearer_header() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        tokens = token_route(mock, ok_token("tok-1"))
        api = mock.get(PATS).respond(200, json=[])
        asyncio.run(call(FakeTime(), provider()))
    sent = tokens.calls.last.request
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in sent.headers
    assert parse_qs(sent.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": [CLIENT_ID],
        "client_secret": [SECRET],
    }
    assert api.calls.last.request.headers["authorization"] == "Bearer tok-1"


def test_token_is_cached_by_expires_in_with_a_margin() -> None:
    fake = FakeTime()
    auth = provider()
    with respx.mock(base_url=BASE) as mock:
        token_route(mock, ok_token("tok-1", 10), ok_token("tok-2", 10))
        api = mock.get(PATS).respond(200, json=[])
        asyncio.run(call(fake, auth, times=12))  # one call a second; 10 % margin: renew at 9 s
    used = [c.request.headers["authorization"] for c in api.calls]
    assert used == ["Bearer tok-1"] * 9 + ["Bearer tok-2"] * 3
    assert auth.minted == 2


def test_refresh_once_on_401_then_give_up() -> None:
    with respx.mock(base_url=BASE) as mock:
        token_route(mock, *(ok_token(f"tok-{i}") for i in range(1, 5)))
        expired = httpx.Response(401, json={"error": "JWT validation failed: JWT is expired"})
        api = mock.get(PATS).mock(side_effect=[expired, httpx.Response(200, json=[1])])
        assert asyncio.run(call(FakeTime(), provider())) == [[1]]
        assert [c.request.headers["authorization"] for c in api.calls] == [
            "Bearer tok-1",
            "Bearer tok-2",
        ]
        api.mock(side_effect=[expired, expired])
        with pytest.raises(AuthError) as info:
            asyncio.run(call(FakeTime(), provider()))
    assert info.value.vendor_message == "JWT validation failed: JWT is expired"
    assert "JWT validation failed: JWT is expired" in str(info.value)


def test_refused_credentials_surface_the_oauth_error_without_the_secret() -> None:
    with respx.mock(base_url=BASE) as mock:
        token_route(
            mock,
            httpx.Response(
                401, json={"error": "invalid_client", "error_description": "Bad credentials"}
            ),
        )
        with pytest.raises(AuthError) as info:
            asyncio.run(call(FakeTime(), provider()))
    assert info.value.vendor_message == "invalid_client: Bad credentials"
    assert SECRET not in str(info.value) and SECRET not in repr(provider())


def test_token_endpoint_404_hints_at_the_api_host() -> None:
    with respx.mock(base_url=BASE) as mock:
        token_route(mock, httpx.Response(404, text="<html>not here</html>"))
        with pytest.raises(NotFoundError, match=r"is base_url the API host https://<tenant>\.api"):
            asyncio.run(call(FakeTime(), provider()))


@pytest.mark.parametrize(
    "body", [{"token_type": "bearer"}, {"access_token": ""}, ["not", "an", "object"]]
)
def test_token_response_without_access_token(body: object) -> None:
    with respx.mock(base_url=BASE) as mock:
        token_route(mock, httpx.Response(200, json=body))
        with pytest.raises(ResponseFormatError, match="without an access_token"):
            asyncio.run(call(FakeTime(), provider()))


@pytest.mark.parametrize("expires_in", [None, "soon", 0, True])
def test_unusable_expires_in_falls_back_to_a_short_ttl(expires_in: object) -> None:
    fake = FakeTime()
    auth = provider()
    with respx.mock(base_url=BASE) as mock:
        token_route(mock, ok_token("tok-1", expires_in), ok_token("tok-2", expires_in))
        mock.get(PATS).respond(200, json=[])
        asyncio.run(call(fake, auth, times=int(DEFAULT_TTL * 0.9) + 1))
    assert auth.minted == 2


@pytest.mark.parametrize("expires_in", ["1" + "0" * 400, "1e400", "Infinity", "NaN", "1e300"])
def test_absurd_expires_in_is_capped_not_an_internal_error(expires_in: str) -> None:
    """Issue 22: ``expires_in`` of 10^400 was an OverflowError ("internal error")."""
    fake = FakeTime()
    auth = provider()
    body = '{"access_token": "tok-1", "token_type": "bearer", "expires_in": ' + expires_in + "}"
    with respx.mock(base_url=BASE) as mock:
        token_route(mock, httpx.Response(200, text=body))
        mock.get(PATS).respond(200, json=[])
        asyncio.run(call(fake, auth, times=2))
    assert auth.minted == 1
