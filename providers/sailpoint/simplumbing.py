"""The simulated SailPoint tenant's clients and request plumbing (``providers.sailpoint.simulator``
has ``SailPointSimulator``, ``providers.sailpoint.simendpoints`` its endpoints): the rights each
kind of minted client holds, and ``SimPlumbing``, the base class that renders the tenant's PAT
lists (faults included), answers JSON and vendor errors, and admits a request (latency, arrival
log, rate limit, bearer token, injected 503s)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from providers.sailpoint.simfaults import FaultPlan, RateWindow, SimFaults, corrupt, error_body
from providers.sailpoint.tenantdata import Dataset, Identity, render_pat
from providers.sailpoint.versions import DEFAULT_VERSION, VERSIONS

__all__ = [
    "ALL_MANAGE",
    "ALL_READ",
    "AUTH_USER_READ",
    "MANAGED_READ",
    "MY_MANAGE",
    "MY_READ",
    "RIGHTS",
    "ClientKind",
    "SimPlumbing",
    "_Client",
]

ClientKind = Literal["admin", "own_only", "no_managed", "remediation"]
ALL_READ = "idn:all-personal-access-tokens:read"
MY_READ = "idn:my-personal-access-tokens:read"
MANAGED_READ = "idn:managed-personal-access-tokens:read"
AUTH_USER_READ = "sp:auth-user:read"
MY_MANAGE = "sp:my-personal-access-tokens:manage"
ALL_MANAGE = "sp:all-personal-access-tokens:manage"
RIGHTS: dict[str, frozenset[str]] = {
    "admin": frozenset({ALL_READ, MY_READ, MANAGED_READ, AUTH_USER_READ}),
    "no_managed": frozenset({ALL_READ, MY_READ, AUTH_USER_READ}),
    "own_only": frozenset({MY_READ}),
    # credaudit remediate's own credential: the scanning ones above cannot write
    "remediation": frozenset({ALL_READ, MY_READ, MANAGED_READ, MY_MANAGE, ALL_MANAGE}),
}


@dataclass(frozen=True)
class _Client:
    id: str
    secret: str = field(repr=False)
    rights: frozenset[str]
    identity: str


class SimPlumbing:
    """The state ``SailPointSimulator.__init__`` sets up, and the plumbing every endpoint uses."""

    seed: int
    dataset: Dataset
    faults: SimFaults
    token_ttl_seconds: int
    request_log: dict[str, list[float]]
    served: dict[int, int]
    deleted: set[str]
    received: list[tuple[str, str]]
    _clock: Callable[[], float]
    _sleep: Callable[[float], Awaitable[None]]
    _clients: dict[str, _Client]
    _tokens: dict[str, tuple[str, float]]
    _windows: dict[str, RateWindow]
    _plan: FaultPlan
    _bad: frozenset[int]
    _identities: dict[str, Identity]
    _cache: dict[tuple[str, bool], list[dict[str, Any]]]
    """The PAT list per (version, managed PATs included), as rendered; cleared on every write."""
    _encoded: dict[tuple[str, bool], bytes]
    """The same lists as response bodies (``_whole_list``), cleared with ``_cache``."""

    # -- plumbing ---------------------------------------------------------------------------------

    def _rendered(self, version: str, include_managed: bool) -> list[dict[str, Any]]:
        key = (version, include_managed)
        if key not in self._cache:
            api = VERSIONS[version]
            rows = []
            for index, pat in enumerate(self.dataset.pats):
                if pat.id in self.deleted:
                    continue
                if pat.managed and not include_managed:
                    continue
                row = render_pat(pat, api)
                rows.append(corrupt(row, index) if index in self._bad else row)
            self._cache[key] = rows
        return self._cache[key]

    def _changed(self) -> None:
        """The PATs changed (a write): the rendered and encoded lists are made again."""
        self._cache.clear()
        self._encoded.clear()

    def _encoded_list(self, version: str, include_managed: bool) -> bytes:
        key = (version, include_managed)
        if key not in self._encoded:
            self._encoded[key] = bytes(JSONResponse(self._rendered(version, include_managed)).body)
        return self._encoded[key]

    def _whole_list(self, version: str, include_managed: bool) -> Response:
        """The unfiltered PAT list, its body encoded once per change (``_changed``): a
        20,000-PAT list is 6 MB of JSON, about 60 ms to encode on the one event loop that
        serves every simulated tenant, which a vendor serving many tenants does not make them
        all wait for. The bytes are those ``_json`` sends."""
        self.served[200] = self.served.get(200, 0) + 1
        return Response(self._encoded_list(version, include_managed), media_type="application/json")

    def warm(self, client_id: str) -> None:
        """Render and encode the PAT list ``client_id`` will be sent (the sandbox, before it
        serves: the first list request then waits on nothing but the latency)."""
        self._encoded_list(DEFAULT_VERSION, MANAGED_READ in self._clients[client_id].rights)

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
