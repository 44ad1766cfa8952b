"""A faithful simulated SailPoint ISC tenant (ASGI), for tests, ``credaudit demo`` and the sandbox.

What it serves, and the source of each behaviour:

- ``POST /oauth/token`` client credentials in a url-encoded body or the query
  (docs/vendors/sailpoint.md §1.1); bad credentials → 401 ``{"error", "error_description"}``
  (RFC 6749 §5.2).
- ``GET /{v3,beta,v2024,v2025,v2026}/personal-access-tokens`` and ``/personal-access-tokens/v1``
  with ``owner-id`` (omitted / ``me`` / an id) and ``filters`` (``lastUsed le|isnull``), each
  version's payload shape, managed PATs only for credentials holding the managed right (§2.2, §6).
- ``GET /v3/public-identities`` with ``filters`` (id eq/in, alias/email/firstname/lastname eq/sw),
  ``limit``/``offset``/``count`` + ``X-Total-Count``, ``sorters=name`` (§4, §5.1).
- ``GET /v3/auth-users/{id}``: the identity's ``AuthUser`` with its user level in
  ``capabilities`` (v3 spec ``paths./auth-users/{id}.get``, ``getAuthUser``); 403 without the scope
  ``sp:auth-user:read``, 404 for an identity without a login.
- 401 ``{"error"}``, 429 ``{"message"}`` + ``Retry-After``, else ``ErrorResponseDto`` (§5.3);
  100 requests per 10 s per client id on the injected clock (§5.4).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auditor.kernel.timestamps import parse_timestamp
from providers.sailpoint.dataset import curated, generate
from providers.sailpoint.filters import (
    PAT_FILTERS,
    PUBLIC_IDENTITY_FILTERS,
    FilterError,
    Node,
    evaluate,
    exact_ids,
    parse_filter,
)
from providers.sailpoint.simfaults import (
    FaultPlan,
    RateWindow,
    SimFaults,
    corrupt,
    error_body,
    malformed_indices,
)
from providers.sailpoint.tenantdata import (
    Identity,
    render_auth_user,
    render_identity,
    render_pat,
)
from providers.sailpoint.versions import VERSIONS

ClientKind = Literal["admin", "own_only", "no_managed"]
ALL_READ = "idn:all-personal-access-tokens:read"
MY_READ = "idn:my-personal-access-tokens:read"
MANAGED_READ = "idn:managed-personal-access-tokens:read"
AUTH_USER_READ = "sp:auth-user:read"
RIGHTS: dict[str, frozenset[str]] = {
    "admin": frozenset({ALL_READ, MY_READ, MANAGED_READ, AUTH_USER_READ}),
    "no_managed": frozenset({ALL_READ, MY_READ, AUTH_USER_READ}),
    "own_only": frozenset({MY_READ}),
}


@dataclass(frozen=True)
class _Client:
    id: str
    secret: str = field(repr=False)
    rights: frozenset[str]
    identity: str


class SailPointSimulator:
    """One simulated tenant; ``.app`` is the ASGI application."""

    def __init__(
        self,
        *,
        seed: int = 0,
        size: int | None = None,
        anchor: datetime,
        faults: SimFaults | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        token_ttl_seconds: int = 43200,
    ) -> None:
        self.seed = seed
        self.size = size
        self.anchor = anchor
        self.faults = faults or SimFaults()
        self.dataset = curated(anchor) if size is None else generate(seed, size, anchor)
        self.token_ttl_seconds = token_ttl_seconds
        self.request_log: dict[str, list[float]] = {}
        """Arrival times (injected clock) of every request, per client id."""
        self.served: dict[int, int] = {}
        """Count of responses per status code."""
        self._clock = clock
        self._sleep = sleep
        self._clients: dict[str, _Client] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, RateWindow] = {}
        self._plan = FaultPlan(seed, self.faults.error_503_fraction)
        self._bad = malformed_indices(seed, self.faults.malformed_records, len(self.dataset.pats))
        self._identities = {i.id.lower(): i for i in self.dataset.identities}
        self._cache: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        pat_routes = [f"/{v}/personal-access-tokens" for v in VERSIONS if v != "v1"]
        self.app = Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/v3/public-identities", self._public_identities, methods=["GET"]),
                Route("/v3/auth-users/{id}", self._auth_user, methods=["GET"]),
                Route("/personal-access-tokens/v1", self._pats_v1, methods=["GET"]),
                *(Route(path, self._pats, methods=["GET"]) for path in pat_routes),
            ],
            exception_handlers={HTTPException: self._http_error},  # type: ignore[dict-item]
        )

    # -- test and sandbox helpers -------------------------------------------------------------

    def mint_client(self, kind: ClientKind = "admin") -> tuple[str, str]:
        """A new credential (client id, secret) acting as ``dataset.me`` with ``kind``'s rights."""
        n = len(self._clients)
        client_id = hashlib.sha256(f"{self.seed}:client:{kind}:{n}".encode()).hexdigest()[:32]
        secret = hashlib.sha256(f"{self.seed}:secret:{kind}:{n}".encode()).hexdigest()
        self._clients[client_id] = _Client(client_id, secret, RIGHTS[kind], self.dataset.me)
        return client_id, secret

    def ground_truth(
        self, api_version: str = "v3", include_managed: bool = True
    ) -> list[dict[str, Any]]:
        """The whole tenant's PAT list exactly as ``api_version`` serves it (faults included).

        Top-level dicts are copies; treat nested values (owner, scope) as read-only.
        """
        if api_version not in VERSIONS:
            raise ValueError(f"api_version must be one of {', '.join(VERSIONS)}")
        return [dict(r) for r in self._rendered(api_version, include_managed)]

    def expire_tokens(self) -> None:
        """Every issued access token expires now (the next call with one answers 401)."""
        self._tokens = {token: (cid, -1.0) for token, (cid, _) in self._tokens.items()}

    def max_in_window(self, client_id: str, seconds: float = 10.0) -> int:
        """Most requests that client sent within any ``seconds`` window (its arrival log)."""
        times, best, lo = sorted(self.request_log.get(client_id, [])), 0, 0
        for hi, t in enumerate(times):
            while times[lo] <= t - seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # -- plumbing ---------------------------------------------------------------------------------

    def _rendered(self, version: str, include_managed: bool) -> list[dict[str, Any]]:
        key = (version, include_managed)
        if key not in self._cache:
            api = VERSIONS[version]
            rows = []
            for index, pat in enumerate(self.dataset.pats):
                if pat.managed and not include_managed:
                    continue
                row = render_pat(pat, api)
                rows.append(corrupt(row, index) if index in self._bad else row)
            self._cache[key] = rows
        return self._cache[key]

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        self.served[status] = self.served.get(status, 0) + 1
        return JSONResponse(body, status_code=status, headers=headers)

    def _error(self, status: int, text: str) -> Response:
        return self._json(status, error_body(status, text))

    async def _http_error(self, request: Request, exc: HTTPException) -> Response:
        return self._error(exc.status_code, str(exc.detail))

    async def _arrive(self, client_id: str | None) -> Response | None:
        """Latency, arrival log and the rate limit; a response when the request is refused."""
        if self.faults.latency_ms:
            await self._sleep(self.faults.latency_ms / 1000)
        if client_id is None:
            return None
        self.request_log.setdefault(client_id, []).append(self._clock())
        window = self._windows.setdefault(client_id, RateWindow(self._clock))
        retry_after = window.admit()
        if retry_after is None:
            return None
        # spec idn/v3/responses/429.yaml (§5.3): {"message": " Rate Limit Exceeded "} + Retry-After
        return self._json(
            429, {"message": " Rate Limit Exceeded "}, {"Retry-After": f"{retry_after:.0f}"}
        )

    async def _authenticate(self, request: Request) -> tuple[_Client | None, Response | None]:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        entry = self._tokens.get(token) if token else None
        refused = await self._arrive(entry[0] if entry else None)
        if refused is not None:
            return None, refused
        if entry is None:  # the shape of spec idn/v3/responses/401.yaml
            return None, self._json(401, {"error": "JWT validation failed: no valid bearer token"})
        if entry[1] <= self._clock():
            return None, self._json(401, {"error": "JWT validation failed: JWT is expired"})
        if self._plan.should_fail(f"{request.url.path}?{request.url.query}"):
            return None, self._error(503, "The service is temporarily unavailable.")
        return self._clients[entry[0]], None

    # -- endpoints --------------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        fields = {k: v[0] for k, v in parse_qs(request.url.query).items()}
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = (await request.body()).decode("utf-8", "replace")
            fields.update({k: v[0] for k, v in parse_qs(body).items()})
        client = self._clients.get(fields.get("client_id", ""))
        refused = await self._arrive(client.id if client else None)
        if refused is not None:
            return refused
        if fields.get("grant_type", "").lower() != "client_credentials":
            return self._json(400, {"error": "unsupported_grant_type"})
        if client is None or fields.get("client_secret") != client.secret:
            return self._json(
                401, {"error": "invalid_client", "error_description": "Bad credentials"}
            )
        n = len(self._tokens)
        token = hashlib.sha256(f"{self.seed}:token:{client.id}:{n}".encode()).hexdigest()
        self._tokens[token] = (client.id, self._clock() + self.token_ttl_seconds)
        # docs/api/authentication.md "OAuth token response" (docs/vendors/sailpoint.md §1.2)
        return self._json(200, {
            "access_token": token, "token_type": "bearer", "expires_in": self.token_ttl_seconds,
            "scope": "sp:scopes:all", "accessType": "OFFLINE", "tenant_id": "sim-tenant",
            "internal": False, "pod": "sim01", "strong_auth_supported": False, "org": "sim",
            "identity_id": client.identity, "strong_auth": False, "enabled": True,
            "jti": token[:32],
        })  # fmt: skip

    async def _pats_v1(self, request: Request) -> Response:
        return await self._list_pats(request, "v1")

    async def _pats(self, request: Request) -> Response:
        return await self._list_pats(request, request.url.path.split("/")[1])

    async def _list_pats(self, request: Request, version: str) -> Response:
        client, refused = await self._authenticate(request)
        if client is None:
            assert refused is not None
            return refused
        owner = request.query_params.get("owner-id")
        # the right each owner-id form needs (spec idn/v3/paths/personal-access-tokens.yaml,
        # owner-id)
        needed = MY_READ if owner == "me" else ALL_READ
        if needed not in client.rights:
            return self._error(
                403, "The server understood the request but refuses to authorize it."
            )
        rows = self._rendered(version, MANAGED_READ in client.rights)
        if owner is not None:
            wanted = client.identity if owner == "me" else owner
            rows = [r for r in rows if _owner_id(r) == wanted]
        text = request.query_params.get("filters")
        if text is not None:
            try:
                node = parse_filter(text, PAT_FILTERS)
            except FilterError as exc:
                return self._error(400, f"Invalid filter {text!r}: {exc}")
            rows = [r for r in rows if _match_pat(node, r)]
        paging = self.faults.pat_list_paging
        asked = {"limit", "offset"} & set(request.query_params)
        if paging == "reject" and asked:
            return self._error(400, f"Unsupported query parameter(s): {', '.join(sorted(asked))}")
        if paging == "break" and int(request.query_params.get("offset") or 0) >= 500:
            return self._error(400, "The request could not be parsed.")
        if paging in ("page", "break"):
            try:
                limit = _int_param(request.query_params.get("limit"), 250, 0, 250, "limit")
                offset = _int_param(request.query_params.get("offset"), 0, 0, 2**31 - 1, "offset")
            except FilterError as exc:
                return self._error(400, str(exc))
            rows = rows[offset : offset + limit]
        return self._json(200, rows)

    async def _public_identities(self, request: Request) -> Response:
        client, refused = await self._authenticate(request)
        if client is None:
            assert refused is not None
            return refused
        if self.faults.deny_identity_lookup:
            return self._error(
                403, "The server understood the request but refuses to authorize it."
            )
        params = request.query_params
        try:
            limit = _int_param(params.get("limit"), 250, 0, 250, "limit")
            offset = _int_param(params.get("offset"), 0, 0, 2**31 - 1, "offset")
            node = (
                parse_filter(params["filters"], PUBLIC_IDENTITY_FILTERS)
                if "filters" in params
                else None
            )
        except FilterError as exc:
            return self._error(400, str(exc))
        sorters = params.get("sorters")
        if sorters not in (None, "name", "-name"):
            return self._error(400, f"Sorting by {sorters!r} is not supported (supported: name).")
        found = self._find_identities(node)
        if params.get("add-core-filters", "false").lower() == "true":
            found = [i for i in found if i.email and i.lastname]
        if sorters:
            found.sort(key=lambda i: i.name.lower(), reverse=sorters.startswith("-"))
        headers = {"X-Total-Count": str(len(found))} if params.get("count") == "true" else None
        page = [render_identity(i) for i in found[offset : offset + limit]]
        return self._json(200, page, headers)

    async def _auth_user(self, request: Request) -> Response:
        client, refused = await self._authenticate(request)
        if client is None:
            assert refused is not None
            return refused
        # v3 spec paths./auth-users/{id}.get (getAuthUser): security userAuth [sp:auth-user:read]
        if AUTH_USER_READ not in client.rights or self.faults.deny_user_level_lookup:
            return self._error(
                403, "The server understood the request but refuses to authorize it."
            )
        identity = self._identities.get(str(request.path_params["id"]).lower())
        if identity is None or not identity.login:
            return self._error(404, "The requested object was not found.")
        return self._json(200, render_auth_user(identity, "sim-tenant"))

    def _find_identities(self, node: Node | None) -> list[Identity]:
        ids = exact_ids(node) if node is not None else None
        if ids is not None:
            hits = {i.lower() for i in ids if i.lower() in self._identities}
            return [i for i in self.dataset.identities if i.id.lower() in hits]
        if node is None:
            return list(self.dataset.identities)
        return [i for i in self.dataset.identities if evaluate(node, _identity_getter(i))]


def _owner_id(row: dict[str, Any]) -> Any:
    owner = row.get("owner")
    return owner.get("id") if isinstance(owner, dict) else None


def _match_pat(node: Node, row: dict[str, Any]) -> bool:
    def get(field: str) -> Any:
        value = row.get(field)
        try:
            return parse_timestamp(value) if isinstance(value, str) else None
        except ValueError:
            return None

    return evaluate(node, get)


def _identity_getter(identity: Identity) -> Callable[[str], str | None]:
    values = {"id": identity.id, "alias": identity.alias, "email": identity.email,
              "firstname": identity.firstname, "lastname": identity.lastname}  # fmt: skip
    return values.get


def _int_param(raw: str | None, default: int, low: int, high: int, name: str) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FilterError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise FilterError(f"{name} must be between {low} and {high}, got {value}")
    return value
