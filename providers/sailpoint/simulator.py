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
- ``DELETE`` and ``PATCH /v3/personal-access-tokens/{id}`` (``providers.sailpoint.simwrites``).
- 401 ``{"error"}``, 429 ``{"message"}`` + ``Retry-After``, else ``ErrorResponseDto`` (§5.3);
  100 requests per 10 s per client id on the injected clock (§5.4).

The endpoints are in ``providers.sailpoint.simendpoints`` (``SimEndpoints``), the client rights
and request plumbing in ``providers.sailpoint.simplumbing`` (``SimPlumbing``); both are
re-exported here.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from providers.sailpoint.dataset import curated, generate
from providers.sailpoint.simendpoints import (
    SimEndpoints,
    _identity_getter,
    _int_param,
    _match_pat,
    _owner_id,
)
from providers.sailpoint.simfaults import FaultPlan, RateWindow, SimFaults, malformed_indices
from providers.sailpoint.simplumbing import (
    ALL_READ,
    AUTH_USER_READ,
    MANAGED_READ,
    MY_READ,
    RIGHTS,
    ClientKind,
    SimPlumbing,
    _Client,
)
from providers.sailpoint.simwrites import SimWrites
from providers.sailpoint.versions import VERSIONS

__all__ = [
    "ALL_READ",
    "AUTH_USER_READ",
    "MANAGED_READ",
    "MY_READ",
    "RIGHTS",
    "ClientKind",
    "SailPointSimulator",
    "SimEndpoints",
    "SimPlumbing",
    "_Client",
    "_identity_getter",
    "_int_param",
    "_match_pat",
    "_owner_id",
]


class SailPointSimulator(SimWrites):
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
        self.deleted: set[str] = set()
        """Ids of PATs deleted through the API (or ``delete_out_of_band``)."""
        self.received: list[tuple[str, str]] = []
        """Every request that arrived, in order: (method, path)."""
        self._clock = clock
        self._sleep = sleep
        self._clients: dict[str, _Client] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, RateWindow] = {}
        self._plan = FaultPlan(seed, self.faults.error_503_fraction)
        self._bad = malformed_indices(seed, self.faults.malformed_records, len(self.dataset.pats))
        self._identities = {i.id.lower(): i for i in self.dataset.identities}
        self._cache: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        self._encoded: dict[tuple[str, bool], bytes] = {}
        pat_routes = [f"/{v}/personal-access-tokens" for v in VERSIONS if v != "v1"]
        self._starlette = Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/v3/public-identities", self._public_identities, methods=["GET"]),
                Route("/v3/auth-users/{id}", self._auth_user, methods=["GET"]),
                Route("/personal-access-tokens/v1", self._pats_v1, methods=["GET"]),
                *(Route(path, self._pats, methods=["GET"]) for path in pat_routes),
                Route("/v3/personal-access-tokens/{id}", self._delete_pat, methods=["DELETE"]),
                Route("/v3/personal-access-tokens/{id}", self._patch_pat, methods=["PATCH"]),
            ],
            exception_handlers={HTTPException: self._http_error},  # type: ignore[dict-item]
        )
        self.app = _Recorder(self._starlette, self.received)

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

    def delete_out_of_band(self, pat_id: str) -> None:
        """Someone deletes ``pat_id`` in the vendor's UI (between a plan and its apply)."""
        self.deleted.add(pat_id)
        self._changed()

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


class _Recorder:
    """Logs (method, path) of every request, then hands it to the app (ASGI 3)."""

    def __init__(self, app: Starlette, log: list[tuple[str, str]]) -> None:
        self._app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self._log.append((str(scope["method"]), str(scope["path"])))
        await self._app(scope, receive, send)
