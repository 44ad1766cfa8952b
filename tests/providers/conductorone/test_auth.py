"""Client id and secret parsing, the client assertion, and token caching (respx)."""

from __future__ import annotations

import asyncio
import base64
import json
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.kernel.errors import AuthError, ConfigError
from auditor.kernel.http import ApiClient, HttpSettings
from providers.conductorone.auth import (
    ASSERTION_TYPE,
    AssertionTokenProvider,
    ClientId,
    encode_client_secret,
    make_assertion,
    parse_client_id,
    parse_client_secret,
)
from providers.conductorone.normalise import parse_error
from tests.providers.conductorone.conftest import NOW, FakeTime

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
SECRET = encode_client_secret(KEY)
CLIENT_ID = "strange-hydra-68836@acme.conductor.one/pcc"
BASE = "https://acme.conductor.one"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_secret(jwk: object) -> str:
    return "secret-token:conductorone.com:v1:" + b64(json.dumps(jwk).encode())


# -- client id ----------------------------------------------------------------------------------


def test_client_id_parts() -> None:
    parsed = parse_client_id("strange-hydra-68836@ACME.conductor.one/pcc")
    assert parsed == ClientId("strange-hydra-68836", "acme.conductor.one", "pcc")
    assert str(parsed) == "strange-hydra-68836@acme.conductor.one/pcc"
    assert parse_client_id("x@127.0.0.1:8443/pcc").host == "127.0.0.1:8443"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("strange-hydra", "client id 'strange-hydra' has no '@<host>' part"),
        ("@acme.conductor.one/pcc", "has an empty name before '@'"),
        ("name@/pcc", "has no valid host after '@'"),
        ("name@acme.conductor.one", "must end in '/pcc' (personal client), not '/'"),
        ("name@acme.conductor.one/wfe", "must end in '/pcc' (personal client), not '/wfe'"),
        ("name@ac me.one/pcc", "has no valid host after '@'"),
        ("secret-token:conductorone.com:v1:" + "A" * 40, "looks like a client secret"),
        ("x" * 201 + "@a.b/pcc", "too long to be a client id"),
    ],
)
def test_client_id_errors_name_the_part(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_client_id(value)
    assert message in info.value.message
    assert "A" * 40 not in str(info.value)
    assert info.value.key == "client_id"
    assert info.value.fix is not None


# -- client secret ------------------------------------------------------------------------------


def test_secret_round_trip() -> None:
    key = parse_client_secret(SECRET)
    assert key.public_key().public_bytes_raw() == KEY.public_key().public_bytes_raw()
    # unpadded base64url (docs/vendors/conductorone.md §1.2)
    assert "=" not in SECRET.rsplit(":", 1)[1]


def test_secret_padding_is_rejected_and_whitespace_ignored() -> None:
    with pytest.raises(ConfigError):  # RawURLEncoding: no '=' (docs/vendors/conductorone.md §1.2)
        parse_client_secret(SECRET + "=")
    assert parse_client_secret(f"  {SECRET}\n").public_key() is not None


D = b64(bytes(range(32)))


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("", "does not start with 'secret-token:conductorone.com:'"),
        ("hunter2-very-secret", "does not start with 'secret-token:conductorone.com:'"),
        ("secret-token:example.com:v1:" + D, "does not start with"),
        ("secret-token:conductorone.com:v2:" + D, "unsupported version (expected 'v1')"),
        ("secret-token:conductorone.com:v1:!!notbase64!!", "not base64url-encoded JSON"),
        ("secret-token:conductorone.com:v1:" + b64(b"not json at all"), "not base64url-encoded"),
        (jwk_secret({"kty": "RSA", "d": D}), "not an Ed25519 JWK"),
        (jwk_secret(["OKP"]), "not an Ed25519 JWK"),
        (jwk_secret({"kty": "OKP", "crv": "Ed25519", "x": D}), "no valid private part"),
        (jwk_secret({"kty": "OKP", "crv": "Ed25519", "d": b64(b"short")}), "no valid private"),
        (jwk_secret({"kty": "OKP", "crv": "Ed25519", "d": 42}), "no valid private part"),
    ],
)
def test_secret_errors_name_the_part_and_never_echo_it(secret: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_client_secret(secret)
    text = str(info.value)
    assert message in text
    assert info.value.key == "client_secret_env"
    assert info.value.__cause__ is None
    tail = secret.rsplit(":", 1)[-1]
    if len(tail) > 4:
        assert tail not in text
        assert tail[:8] not in text
    assert D not in text


# -- assertion ----------------------------------------------------------------------------------


def test_assertion_claims() -> None:
    token = make_assertion(CLIENT_ID, KEY, "acme.conductor.one", NOW)
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    claims = jwt.decode(
        token,
        KEY.public_key(),
        algorithms=["EdDSA"],
        audience="acme.conductor.one",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert claims["iss"] == CLIENT_ID
    assert claims["sub"] == CLIENT_ID
    assert claims["aud"] == ["acme.conductor.one"]
    assert claims["iat"] == int(NOW)
    assert claims["exp"] == int(NOW) + 120
    assert claims["nbf"] == int(NOW) - 120
    assert len(base64.urlsafe_b64decode(claims["nonce"] + "==")) == 16


# -- token provider (respx) ---------------------------------------------------------------------


def _client(fake: FakeTime, auth: AssertionTokenProvider) -> ApiClient:
    return ApiClient(
        tenant="acme-c1",
        base_url=BASE,
        settings=HttpSettings(),
        auth=auth,
        error_parser=parse_error,
        sleep=fake.sleep,
        clock=fake.clock,
    )


def _provider() -> AssertionTokenProvider:
    return AssertionTokenProvider(CLIENT_ID, KEY, "acme.conductor.one", wall_clock=lambda: NOW)


def test_token_is_minted_once_cached_and_refreshed_before_expiry(fake_time: FakeTime) -> None:
    auth = _provider()

    async def run() -> list[str]:
        async with _client(fake_time, auth) as api:
            tokens = [await auth.get_token(api), await auth.get_token(api)]
            fake_time.advance(539)  # 600 s lifetime, 60 s margin: still valid at +539 s
            tokens.append(await auth.get_token(api))
            fake_time.advance(2)  # +541 s: inside the margin, refresh
            tokens.append(await auth.get_token(api))
            auth.invalidate()
            tokens.append(await auth.get_token(api))
            return tokens

    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        route = mock.post("/auth/v1/token").mock(
            side_effect=[
                httpx.Response(200, json={"access_token": f"t{i}", "expires_in": 600})
                for i in range(3)
            ]
        )
        tokens = asyncio.run(run())
    assert tokens == ["t0", "t0", "t0", "t1", "t2"]
    assert auth.mints == 3
    form = {k: v[0] for k, v in parse_qs(route.calls[0].request.content.decode()).items()}
    assert route.calls[0].request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in route.calls[0].request.headers
    assert set(form) == {"client_id", "grant_type", "client_assertion_type", "client_assertion"}
    assert form["client_id"] == CLIENT_ID
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == ASSERTION_TYPE
    assert SECRET not in route.calls[0].request.content.decode()


@pytest.mark.parametrize(
    ("body", "lifetime_ok_at"),
    [
        ({"access_token": "t", "token_type": "Bearer"}, 539),  # absent: docs' 600
        ({"access_token": "t", "expires_in": "120"}, 107),  # margin = 10 % of a short life
        ({"access_token": "t", "expires_in": -5}, 539),
        # absurd lifetimes are capped at a day, not an OverflowError for the tenant
        ({"access_token": "t", "expires_in": 10**400}, 86_339),
        ({"access_token": "t", "expires_in": "1" + "0" * 5000}, 86_339),
    ],
)
def test_expires_in_variants(
    fake_time: FakeTime, body: dict[str, object], lifetime_ok_at: int
) -> None:
    auth = _provider()

    async def run() -> int:
        async with _client(fake_time, auth) as api:
            await auth.get_token(api)
            fake_time.advance(lifetime_ok_at)
            await auth.get_token(api)
            fake_time.advance(2)
            await auth.get_token(api)
            return auth.mints

    with respx.mock(base_url=BASE) as mock:
        mock.post("/auth/v1/token").respond(200, json=body)
        assert asyncio.run(run()) == 2


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            401,
            {"error": "invalid_client", "error_description": "bad signature"},
            "returned HTTP 401: invalid_client: bad signature",
        ),
        (400, {"error": "unsupported_grant_type"}, "returned HTTP 400: unsupported_grant_type"),
        (
            401,
            {"code": 16, "message": "unauthenticated"},
            "returned HTTP 401: unauthenticated (UNAUTHENTICATED 16)",
        ),
        (200, {"token_type": "Bearer"}, "the token endpoint answered without an access_token"),
        (200, {"access_token": ""}, "the token endpoint answered without an access_token"),
    ],
)
def test_token_errors_carry_vendor_text_but_no_secret(
    fake_time: FakeTime, status: int, body: dict[str, object], expected: str
) -> None:
    auth = _provider()

    async def run() -> None:
        async with _client(fake_time, auth) as api:
            await auth.get_token(api)

    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/auth/v1/token").respond(status, json=body)
        with pytest.raises(AuthError) as info:
            asyncio.run(run())
    assert expected in str(info.value)
    assert route.call_count == 1  # never retried (docs/vendors/conductorone.md §4)
    assertion = parse_qs(route.calls[0].request.content.decode())["client_assertion"][0]
    assert assertion not in str(info.value)
    assert SECRET not in str(info.value)
    assert "secret" not in repr(auth).lower()
