"""The simulated ConductorOne tenant's request plumbing (``providers.conductorone.simulator`` has
``ConductorOneSimulator``, ``providers.conductorone.simendpoints`` its endpoints): the permissions
its refusals name, the ``Principal`` a minted client is, and ``SimPlumbing``, the base class that
applies latency and faults before the routes, answers vendor errors, resolves a bearer token to
its principal and pages a list."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from providers.conductorone.dataset import JSON, Dataset
from providers.conductorone.simfaults import FaultInjector, SimFaults, rpc_error
from providers.conductorone.simpaging import PageError, Pager

__all__ = [
    "DELETE_PERMISSION",
    "SEARCH_PERMISSION",
    "SETTINGS_PERMISSION",
    "USER_SEARCH_PERMISSION",
    "Principal",
    "SimPlumbing",
    "_Asgi",
    "_drop_empty",
    "_json_body",
]

SEARCH_PERMISSION = "permission/c1.api.iam.v1.PersonalClientSearchService.Search"
USER_SEARCH_PERMISSION = "permission/c1.api.user.v1.UserSearch.Search"
SETTINGS_PERMISSION = "permission/c1.api.settings.v1.SessionSettingsService.Get"
DELETE_PERMISSION = "permission/c1.api.iam.v1.PersonalClientService.Delete"


@dataclass
class Principal:
    """A minted client the token endpoint accepts."""

    client_id: str
    user_id: str
    public_key: Ed25519PublicKey
    secret: str = field(repr=False)
    can_search: bool = False


class SimPlumbing:
    """The state ``ConductorOneSimulator.__init__`` sets up, and the plumbing every endpoint
    uses."""

    seed: int
    faults: SimFaults
    data: Dataset
    users: dict[str, JSON]
    requests: Counter[str]
    received: list[tuple[str, str]]
    """Every request that arrived, in order: (method, path). Tests check "nothing was sent"
    from the server's side."""
    principals: dict[str, Principal]
    _clock: Callable[[], float]
    _sleep: Callable[[float], Awaitable[None]]
    _faults: FaultInjector
    _tokens: dict[str, tuple[Principal, float]]
    _pager: Pager
    _by_owner: dict[str, list[JSON]]
    _filtered: dict[str, list[JSON]]
    _starlette: Starlette

    # -- ASGI entry: latency and faults, then the routes -------------------------------------

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.received.append((str(scope["method"]), str(scope["path"])))
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
