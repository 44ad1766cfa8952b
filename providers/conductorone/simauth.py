"""The simulated token endpoint's checks: ``POST /auth/v1/token`` as docs/vendors/conductorone.md
§1.3 says.

It accepts both documented client-authentication methods: a signed client assertion (verified
against the minted client's Ed25519 public key) and the plain secret. The assertion must be EdDSA,
``iss`` = ``sub`` = client id, ``aud`` = the Host header's host without port (the Go SDK strips the
port, §1.3 A step 1), not expired, and expiring within five minutes ("Infinitely valid JWTs are not
allowed", DOCS authenticate.mdx L145-149). Errors use the OAuth2 shape ``{"error",
"error_description"}`` the same endpoint uses for the device grant (c1i internal/login/login.go).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import jwt

if TYPE_CHECKING:
    from providers.conductorone.simulator import Principal

TOKEN_LIFETIME = 600  # authenticate.mdx L95 example expires_in
MAX_ASSERTION_LIFETIME = 300  # "exp must be within five minutes of now"
CLOCK_SKEW = 60  # tolerated for nbf / iat in the future
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class TokenError(Exception):
    """A refused token request: HTTP status, OAuth2 ``error`` code and a description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def host_without_port(host_header: str) -> str:
    return (urlsplit(f"//{host_header.strip()}").hostname or "").lower()


def _form(body: bytes, content_type: str) -> dict[str, str]:
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise TokenError(
            400, "invalid_request", "the body must be application/x-www-form-urlencoded"
        )
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise TokenError(400, "invalid_request", "the body is not UTF-8") from None
    if any(len(values) > 1 for values in fields.values()):
        raise TokenError(400, "invalid_request", "a parameter was sent more than once")
    return {name: values[0] for name, values in fields.items()}


def verify_token_request(
    body: bytes,
    content_type: str,
    host_header: str,
    principals: Mapping[str, Principal],
    now: float,
) -> Principal:
    """The principal the request authenticates, or ``TokenError``."""
    form = _form(body, content_type)
    if form.get("grant_type") != "client_credentials":
        raise TokenError(400, "unsupported_grant_type", "grant_type must be client_credentials")
    client_id = form.get("client_id", "")
    if not client_id:
        raise TokenError(400, "invalid_request", "client_id is required")
    principal = principals.get(client_id)
    if principal is None:
        raise TokenError(401, "invalid_client", "unknown client")
    if "client_assertion" in form:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise TokenError(400, "invalid_request", "unsupported client_assertion_type")
        _verify_assertion(form["client_assertion"], principal, host_without_port(host_header), now)
        return principal
    if "client_secret" in form:
        if not hmac.compare_digest(form["client_secret"].encode(), principal.secret.encode()):
            raise TokenError(401, "invalid_client", "client authentication failed")
        return principal
    raise TokenError(400, "invalid_request", "client_assertion or client_secret is required")


def _verify_assertion(assertion: str, principal: Principal, audience: str, now: float) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
        if header.get("alg") != "EdDSA":
            raise TokenError(401, "invalid_client", "the assertion must be signed with EdDSA")
        claims: dict[str, Any] = jwt.decode(
            assertion,
            principal.public_key,
            algorithms=["EdDSA"],
            audience=audience,
            issuer=principal.client_id,
            # Time claims are checked below against the simulator's injected clock.
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": ["exp", "iss", "sub", "aud"],
            },
        )
    except jwt.InvalidSignatureError:
        raise TokenError(401, "invalid_client", "assertion signature is invalid") from None
    except jwt.InvalidAudienceError:
        raise TokenError(
            401, "invalid_client", f"assertion audience must be {audience!r}"
        ) from None
    except jwt.InvalidIssuerError:
        raise TokenError(401, "invalid_client", "assertion issuer must be the client id") from None
    except jwt.PyJWTError as exc:
        raise TokenError(401, "invalid_client", f"malformed assertion: {exc}") from None
    if claims.get("sub") != principal.client_id:
        raise TokenError(401, "invalid_client", "assertion subject must be the client id")
    exp, nbf = claims.get("exp"), claims.get("nbf", now)
    if not isinstance(exp, int | float) or not isinstance(nbf, int | float):
        raise TokenError(401, "invalid_client", "assertion exp and nbf must be numbers")
    if exp <= now:
        raise TokenError(401, "invalid_client", "assertion has expired")
    if exp - now > MAX_ASSERTION_LIFETIME:
        raise TokenError(401, "invalid_client", "assertion must expire within five minutes")
    if nbf > now + CLOCK_SKEW:
        raise TokenError(401, "invalid_client", "assertion is not valid yet")
