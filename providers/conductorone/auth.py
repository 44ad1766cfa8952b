"""ConductorOne credentials: client id and secret parsing, the signed assertion, token caching.

A personal client authenticates with a *signed client assertion* (docs/vendors/conductorone.md §1.3
A): an EdDSA JWT signed with the Ed25519 key inside the client secret, exchanged at
``/auth/v1/token`` for a bearer token. We never send the secret itself over the wire (method B in
§1.3 does), so a proxy that logs request bodies sees a JWT valid for two minutes, not a long-lived
key.

Parsing errors are ``ConfigError``s that name the part that is wrong and never contain the secret
or any fragment of it: the message is built only from constant text and non-secret facts.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from auditor.kernel.errors import AuthError, ConfigError, ResponseError, ResponseFormatError
from auditor.kernel.http import ApiClient
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.tokens import MAX_TOKEN_LIFETIME, token_lifetime

SECRET_PREFIX = "secret-token:conductorone.com:v1:"  # noqa: S105 - a format prefix (§1.2)
TOKEN_PATH = "/auth/v1/token"  # noqa: S105 - openapi.yaml securitySchemes.oauth tokenUrl
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # §1.3 A step 4
ASSERTION_LIFETIME = 120.0  # SDKGO token_source.go: exp = now + 2 min; docs cap it at 5 min
DEFAULT_TOKEN_LIFETIME = 600  # docs/vendors/conductorone.md §1.3 "Response": example expires_in 600
USE_CASES = frozenset({"pcc", "spc"})  # personal client / service principal (§1.1)
_SECRET_KEY = "client_secret_env"  # noqa: S105 - a config key name


@dataclass(frozen=True)
class ClientId:
    """``<name>@<host>/<use-case>`` (docs/vendors/conductorone.md §1.1)."""

    name: str
    host: str
    use_case: str

    def __str__(self) -> str:
        return f"{self.name}@{self.host}/{self.use_case}"


def parse_client_id(value: str) -> ClientId:
    """Split a client id; a bad part is a ``ConfigError`` naming the part (ids are public)."""
    fix = "use the client id ConductorOne showed when the key was created: <name>@<host>/pcc"
    text = value.strip()
    if text.startswith("secret-token:"):  # a swapped id and secret: never echo the secret
        raise ConfigError(
            "the client id looks like a client secret (the two values are swapped?)",
            key="client_id",
            fix=fix,
        )
    if len(text) > 200:
        raise ConfigError("the client id is too long to be a client id", key="client_id", fix=fix)
    name, at, rest = text.partition("@")  # SDKGO extra_sdk_options.go ParseClientID: first '@'
    if not at:
        raise ConfigError(f"client id {text!r} has no '@<host>' part", key="client_id", fix=fix)
    if not name:
        raise ConfigError(
            f"client id {text!r} has an empty name before '@'", key="client_id", fix=fix
        )
    host, slash, use_case = rest.partition("/")  # then the first '/'
    if not host or any(c.isspace() or c in "@/?#" for c in host):
        raise ConfigError(
            f"client id {text!r} has no valid host after '@'", key="client_id", fix=fix
        )
    if not slash or use_case not in USE_CASES:
        raise ConfigError(
            f"client id {text!r} must end in '/pcc' (personal client), not {('/' + use_case)!r}",
            key="client_id",
            fix=fix,
        )
    return ClientId(name=name, host=host.lower(), use_case=use_case)


def _b64url_decode(text: str) -> bytes:
    # docs/vendors/conductorone.md §1.2: RawURLEncoding (no padding); add it back for Python's
    # decoder.
    if not text or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parse_client_secret(value: str) -> Ed25519PrivateKey:
    """The Ed25519 private key inside ``secret-token:conductorone.com:v1:<base64url JWK>``.

    Every failure names the faulty part and includes none of the secret's characters.
    """
    fix = "set the variable to the full client secret ConductorOne showed when the key was created"
    parts = value.strip().split(":", 3)  # SDKGO token_source.go parseSecret: SplitN(":", 4)
    if len(parts) != 4 or parts[0] != "secret-token" or parts[1] != "conductorone.com":
        raise ConfigError(
            "the client secret does not start with 'secret-token:conductorone.com:'",
            key=_SECRET_KEY,
            fix=fix,
        )
    if parts[2] != "v1":
        raise ConfigError(
            "the client secret has an unsupported version (expected 'v1')", key=_SECRET_KEY, fix=fix
        )
    try:
        jwk: Any = json.loads(_b64url_decode(parts[3]))
    except (ValueError, binascii.Error):
        raise ConfigError(
            "the client secret's key part is not base64url-encoded JSON", key=_SECRET_KEY, fix=fix
        ) from None  # the cause would quote the secret
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ConfigError(
            "the client secret's key is not an Ed25519 JWK (kty OKP, crv Ed25519)",
            key=_SECRET_KEY,
            fix=fix,
        )
    d = jwk.get("d")
    try:
        seed = _b64url_decode(d) if isinstance(d, str) else b""
    except (ValueError, binascii.Error):
        seed = b""
    if len(seed) != 32:
        raise ConfigError(
            "the client secret's key has no valid private part ('d', 32 bytes)",
            key=_SECRET_KEY,
            fix=fix,
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def register_key_material(value: str, into: SecretSet) -> None:
    """The secret and the key material inside it, for ``auditor.kernel.secretmatch``: the secret
    without its constant ``secret-token:conductorone.com:v1:`` prefix (which also covers the JWK
    JSON base64url-encoded), the JWK's private part ``d`` (so the JWK JSON itself: its ``kty``,
    ``crv`` and ``x`` are public), and the 32-byte seed as standard base64 and as hex. A secret
    that does not parse adds itself only."""
    into.add(value, public_prefix=SECRET_PREFIX)
    parts = value.strip().split(":", 3)
    try:
        text = _b64url_decode(parts[-1]).decode("utf-8")
        d = json.loads(text).get("d")
        seed = _b64url_decode(d) if isinstance(d, str) else b""
    except (ValueError, AttributeError, binascii.Error):
        return
    if not seed:
        return
    assert isinstance(d, str)
    into.add(d)
    into.add_bytes(seed)  # base64 at every byte offset (a PKCS#8 PEM holds it at offset 16), hex


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}


def encode_client_secret(key: Ed25519PrivateKey) -> str:
    """The secret string ConductorOne hands out for ``key`` (used by the simulated tenant)."""
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    jwk = {**public_jwk(key.public_key()), "d": b64url_encode(seed)}
    return SECRET_PREFIX + b64url_encode(json.dumps(jwk, separators=(",", ":")).encode())


def make_assertion(client_id: str, key: Ed25519PrivateKey, audience: str, now: float) -> str:
    """The client-assertion JWT (docs/vendors/conductorone.md §1.3 A steps 1-2; nonce in the claims
    as SDKPY)."""
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": [audience],
        "iat": int(now),
        "nbf": int(now) - 120,
        "exp": int(now + ASSERTION_LIFETIME),
        "nonce": b64url_encode(secrets.token_bytes(16)),
    }
    return jwt.encode(claims, key, algorithm="EdDSA")


class AssertionTokenProvider:
    """``auditor.kernel.http.TokenProvider`` for a personal client; caches the bearer token.

    Expiry uses the ``ApiClient``'s monotonic clock; the JWT's ``iat``/``exp`` use ``wall_clock``
    because the server checks them against real time. The token is refreshed ``margin`` seconds
    before ``expires_in`` runs out so a long scan never sends an expired token.
    """

    def __init__(
        self,
        client_id: str,
        key: Ed25519PrivateKey,
        audience: str,
        *,
        wall_clock: Callable[[], float] = time.time,
        margin: float = 60.0,
    ) -> None:
        self.client_id = client_id
        self.audience = audience
        self.mints = 0
        self._key = key
        self._wall_clock = wall_clock
        self._margin = margin
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:  # never show the key or the token
        return f"AssertionTokenProvider(client_id={self.client_id!r}, audience={self.audience!r})"

    def invalidate(self) -> None:
        self._token = None

    async def get_token(self, client: ApiClient) -> str:
        async with self._lock:
            if self._token is not None and client.clock() < self._expires_at:
                return self._token
            assertion = make_assertion(self.client_id, self._key, self.audience, self._wall_clock())
            client.secrets.add(assertion)  # a vendor echoing the form must not publish it
            form = {
                "client_id": self.client_id,
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            }
            started = client.clock()
            try:
                body = await client.post_form(TOKEN_PATH, data=form)
            except ResponseError as exc:
                if exc.status_code >= 500 or isinstance(exc, AuthError):
                    raise
                # docs/vendors/conductorone.md §4: a refused token request is an auth failure (c1i
                # TokenError)
                raise AuthError(
                    exc.message,
                    tenant=exc.tenant,
                    status_code=exc.status_code,
                    vendor_message=exc.vendor_message,
                ) from exc
            token, lifetime = _read_token_response(body, client.tenant)
            self.mints += 1
            margin = min(self._margin, lifetime / 10)
            self._token = token
            self._expires_at = started + lifetime - margin
            return token


def _read_token_response(body: Any, tenant: str) -> tuple[str, float]:
    # SDKGO c1Token {access_token, token_type, expires_in}; an empty token is an error (L161).
    if not isinstance(body, dict):
        raise ResponseFormatError("the token endpoint returned no JSON object", tenant=tenant)
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise AuthError(
            "the token endpoint answered without an access_token", tenant=tenant, status_code=200
        )
    raw = body.get("expires_in")
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        raw = int(raw) if len(raw) <= 18 else MAX_TOKEN_LIFETIME  # int() refuses 4,300+ digits
    return token, token_lifetime(raw, DEFAULT_TOKEN_LIFETIME)
