"""A simulated ConductorOne tenant (ASGI): the endpoints the adapter uses, served faithfully.

Why a simulation and not mocks: the end-to-end tests, ``credaudit demo`` and ``credaudit
sandbox`` need a server that behaves like the real one in the ways that break clients: the
Ed25519 client assertion is verified for real (signature, ``aud`` = the Host header's host without
port, expiry within five minutes), page tokens are opaque and bound to the request, page sizes
are clamped, errors come in the vendor's bodies, and faults (latency, 429 with ``Retry-After``,
bursts of 503, a credential without search permission, malformed records) can be switched on.

Behaviour the vendor does not document, chosen here and stated so nobody mistakes it for fact:
- soft-deleted clients (``deletedAt`` set) are still returned by Search and List (§2.3 unknown);
- Search Users without ``userStatuses`` returns ENABLED and DISABLED users only, so a client that
  does not ask for DELETED ones misses them (§2.6 unknown);
- an empty result omits ``list`` as protojson omits empty repeated fields;
- faults apply to ``/api/`` requests only, never to the token endpoint (the adapter must not retry
  token requests, docs/vendors/conductorone.md §4);
- session settings (``GET /api/v1/settings/session``) need Super Administrator, as the UI's
  global settings do (DOCS product/admin/global-settings.mdx); others get a 403;
- the clients made by ``mint_client`` are not part of the audited population: they belong to the
  scanner, are never listed, and ``ground_truth()`` leaves them out.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from providers.conductorone.auth import encode_client_secret
from providers.conductorone.dataset import ADJECTIVES, ANIMALS, JSON, Dataset, curated
from providers.conductorone.generator import corrupt, generate
from providers.conductorone.simauth import TOKEN_LIFETIME, TokenError, verify_token_request
from providers.conductorone.simfaults import FaultInjector, SimFaults, rpc_error
from providers.conductorone.simpaging import PageError, Pager

SEARCH_PERMISSION = "permission/c1.api.iam.v1.PersonalClientSearchService.Search"
USER_SEARCH_PERMISSION = "permission/c1.api.user.v1.UserSearch.Search"
SETTINGS_PERMISSION = "permission/c1.api.settings.v1.SessionSettingsService.Get"


@dataclass
class Principal:
    """A minted client the token endpoint accepts."""

    client_id: str
    user_id: str
    public_key: Ed25519PublicKey
    secret: str = field(repr=False)
    can_search: bool = False


class ConductorOneSimulator:
    """One tenant. ``app`` is the ASGI application; see the module docstring for behaviour."""

    def __init__(
        self,
        *,
        seed: int = 0,
        size: int | None = None,
        anchor: datetime,
        faults: SimFaults | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        host: str = "acme.conductor.one",
    ) -> None:
        self.seed = seed
        self.faults = faults or SimFaults()
        self.data: Dataset = (
            curated(anchor, seed, host) if size is None else generate(seed, size, anchor, host)
        )
        if self.faults.malformed_records:
            rng = random.Random(f"c1-bad-{seed}")  # noqa: S311 - simulation, not security
            corrupt(self.data, self.faults.malformed_records, rng)
        for role in self.data.roles:
            if role["name"] in self.faults.unlisted_role_permissions:
                role["permissions"] = []
        self.users = self.data.users
        self.requests: Counter[str] = Counter()
        self.principals: dict[str, Principal] = {}
        self._clock = clock
        self._sleep = sleep
        self._faults = FaultInjector(self.faults, seed)
        self._mint_rng = random.Random(f"c1-mint-{seed}")  # noqa: S311 - simulation, not security
        self._tokens: dict[str, tuple[Principal, float]] = {}
        self._pager = Pager(secrets.token_bytes(32))
        self._by_owner: dict[str, list[JSON]] = {}
        self._filtered: dict[str, list[JSON]] = {json.dumps(["", []]): self.data.clients}
        for record in self.data.clients:
            self._by_owner.setdefault(str(record.get("userId")), []).append(record)
        routes = [
            Route("/auth/v1/token", self._token, methods=["POST"]),
            Route("/api/v1/search/iam/personal_clients", self._search_clients, methods=["POST"]),
            Route("/api/v1/iam/personal_clients", self._list_own, methods=["GET"]),
            Route("/api/v1/iam/personal_clients/{id}", self._get_client, methods=["GET"]),
            Route("/api/v1/iam/roles", self._list_roles, methods=["GET"]),
            Route("/api/v1/iam/roles/{role_id}", self._get_role, methods=["GET"]),
            Route("/api/v1/search/users", self._search_users, methods=["POST"]),
            Route("/api/v1/users/{id}", self._get_user, methods=["GET"]),
            Route("/api/v1/settings/session", self._session_settings, methods=["GET"]),
        ]
        handlers = {404: self._http_error, 405: self._http_error}
        self._starlette = Starlette(routes=routes, exception_handlers=handlers)
        self._app = _Asgi(self._asgi)

    # -- public helpers -----------------------------------------------------------------------

    def mint_client(self, kind: Literal["admin", "limited"] = "admin") -> tuple[str, str]:
        """A usable (client id, secret). "limited" is a Basic User without search permission."""
        key = Ed25519PrivateKey.generate()
        rng = self._mint_rng
        name = f"{rng.choice(ADJECTIVES)}-{rng.choice(ANIMALS)}-{rng.randrange(10000, 99999)}"
        client_id = f"{name}@{self.data.host}/pcc"
        secret = encode_client_secret(key)
        owner = self.data.admin_user_id if kind == "admin" else self.data.limited_user_id
        self.principals[client_id] = Principal(
            client_id, owner, key.public_key(), secret, can_search=kind == "admin"
        )
        return client_id, secret

    def ground_truth(self) -> list[JSON]:
        """Every non-deleted, well-formed client exactly as served (JSON copies)."""
        return [
            json.loads(json.dumps(c))
            for i, c in enumerate(self.data.clients)
            if not c.get("deletedAt") and i not in self.data.malformed
        ]

    def malformed_truth(self) -> list[JSON]:
        """The records the ``malformed_records`` fault damaged, as served."""
        return [json.loads(json.dumps(self.data.clients[i])) for i in sorted(self.data.malformed)]

    # -- ASGI entry: latency and faults, then the routes -------------------------------------

    @property
    def app(self) -> ASGIApp:
        """The ASGI application (an object with an async ``__call__``, as servers expect)."""
        return self._app

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.faults.latency_ms:
                await self._sleep(self.faults.latency_ms / 1000)
            if scope["path"].startswith("/api/"):
                fault = self._faults.next(self.requests)
                if fault is not None:
                    await fault(scope, receive, send)
                    return
        await self._starlette(scope, receive, send)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 405:
            return rpc_error(405, 12, "Method Not Allowed")  # UNIMPLEMENTED
        return rpc_error(404, 5, "not found")  # NOT_FOUND

    # -- auth ----------------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        self.requests["POST /auth/v1/token"] += 1
        try:
            principal = verify_token_request(
                await request.body(),
                request.headers.get("content-type", ""),
                request.headers.get("host", ""),
                self.principals,
                self._clock(),
            )
        except TokenError as exc:
            body = {"error": exc.error, "error_description": exc.description}
            return JSONResponse(body, status_code=exc.status)
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (principal, self._clock() + TOKEN_LIFETIME)
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}
        )

    def _principal(self, request: Request) -> Principal | Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        entry = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if entry is None or entry[1] <= self._clock():
            # the body c1i's test stubs model (docs/vendors/conductorone.md §4)
            return rpc_error(401, 16, "unauthenticated")
        return entry[0]

    def _denied(self, permission: str) -> Response:
        rid = f"sim-{self._faults.count:06d}"
        return rpc_error(403, 7, f"Permission denied, missing {permission} (request-id: {rid})")

    # -- personal clients ----------------------------------------------------------------------

    async def _search_clients(self, request: Request) -> Response:
        self.requests["POST /api/v1/search/iam/personal_clients"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        if not who.can_search:  # Super Administrator only (docs/vendors/conductorone.md §2.3)
            return self._denied(SEARCH_PERMISSION)
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        query = str(body.get("query") or "").lower()
        wanted = {str(r.get("id")) for r in body.get("users") or [] if isinstance(r, dict)}
        key = json.dumps([query, sorted(wanted)])
        items = self._filtered.get(key)
        if items is None:  # one filter pass per distinct search, not per page (200k clients)
            items = [
                c
                for c in self.data.clients
                if (not query or query in str(c.get("displayName", "")).lower())
                and (not wanted or c.get("userId") in wanted)
            ]
            self._filtered = {key: items}
        return self._page(items, body.get("pageSize"), body.get("pageToken"), key, "list")

    async def _list_own(self, request: Request) -> Response:
        self.requests["GET /api/v1/iam/personal_clients"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        own = self._by_owner.get(who.user_id, [])  # the List operation has no paging parameters
        return JSONResponse(_drop_empty({"list": own, "nextPageToken": ""}))

    async def _get_client(self, request: Request) -> Response:
        self.requests["GET /api/v1/iam/personal_clients/{id}"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        for record in self.data.clients:
            mine = record.get("userId") == who.user_id
            if record.get("id") == request.path_params["id"] and (mine or who.can_search):
                return JSONResponse({"client": record})  # PersonalClientServiceGetResponse, wrapped
        return rpc_error(404, 5, "not found")

    # -- roles and users -----------------------------------------------------------------------

    async def _list_roles(self, request: Request) -> Response:
        self.requests["GET /api/v1/iam/roles"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        q = request.query_params  # GET /api/v1/iam/roles: page_size / page_token in the query
        return self._page(self.data.roles, q.get("page_size"), q.get("page_token"), "roles", "list")

    async def _get_role(self, request: Request) -> Response:
        self.requests["GET /api/v1/iam/roles/{role_id}"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        for role in self.data.roles:
            if role["id"] == request.path_params["role_id"]:
                return JSONResponse({"role": role})  # c1.api.iam.v1.GetRolesResponse, wrapped
        return rpc_error(404, 5, "not found")

    async def _search_users(self, request: Request) -> Response:
        self.requests["POST /api/v1/search/users"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        if self.faults.deny_user_search:
            return self._denied(USER_SEARCH_PERMISSION)
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        refs = [r.get("id") for r in body.get("refs") or [] if isinstance(r, dict)]
        ids = {str(i) for i in [*refs, *(body.get("ids") or [])]}
        statuses = set(body.get("userStatuses") or ["ENABLED", "DISABLED"])
        pool = (
            [self.users[i] for i in sorted(ids) if i in self.users] if ids else self.users.values()
        )
        found = [u for u in pool if u.get("status") in statuses]
        views = [{"user": u, "userId": u["id"], "rolesPath": ""} for u in found]  # UserView
        key = json.dumps([sorted(ids), sorted(statuses)])
        return self._page(views, body.get("pageSize"), body.get("pageToken"), key, "list")

    async def _get_user(self, request: Request) -> Response:
        self.requests["GET /api/v1/users/{id}"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        user = self.users.get(request.path_params["id"])
        if user is None:
            return rpc_error(404, 5, "not found")
        return JSONResponse({"userView": {"user": user, "userId": user["id"]}, "expanded": []})

    # -- tenant settings -----------------------------------------------------------------------

    async def _session_settings(self, request: Request) -> Response:
        """``GetSessionSettingsResponse`` (openapi.yaml ``paths./api/v1/settings/session.get``):
        ``{"sessionSettings": SessionSettings}``, empty fields left out as protojson does."""
        self.requests["GET /api/v1/settings/session"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        if self.faults.deny_session_settings or not who.can_search:  # Super Administrator only
            return self._denied(SETTINGS_PERMISSION)
        settings = {k: v for k, v in self.data.session_settings.items() if v not in (None, {})}
        return JSONResponse({"sessionSettings": settings})

    def _page(self, items: list[JSON], size: Any, token: Any, key: str, field: str) -> Response:
        try:
            start, end, next_token = self._pager.window(len(items), size, token, key)
        except PageError as exc:
            return rpc_error(400, 3, str(exc))  # INVALID_ARGUMENT
        return JSONResponse(_drop_empty({field: items[start:end], "nextPageToken": next_token}))


class _Asgi:
    """Wraps a coroutine function so servers detect ASGI 3 (uvicorn inspects ``__call__``)."""

    def __init__(self, handler: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._handler(scope, receive, send)


def _drop_empty(body: JSON) -> JSON:
    return {k: v for k, v in body.items() if v != []}


async def _json_body(request: Request) -> JSON | Response:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return rpc_error(400, 3, "invalid JSON in request body")
    if not isinstance(body, dict):
        return rpc_error(400, 3, "request body must be a JSON object")
    return body
