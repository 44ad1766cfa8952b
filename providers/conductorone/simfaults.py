"""Fault injection for the simulated tenant, and the vendor's error body.

Faults are deterministic for a seed: the rate-limit draw comes from ``random.Random`` seeded by
the simulator's seed and is made on every ``/api/`` request (so the pattern does not depend on
which faults are switched on), and 503 bursts follow the request counter.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse


@dataclass(frozen=True)
class SimFaults:
    """Injectable faults; every random choice comes from a ``random.Random`` seeded by the seed."""

    latency_ms: int = 0
    rate_limit_fraction: float = 0.0
    retry_after_seconds: int = 1
    burst_503_every: int = 0
    burst_503_length: int = 0
    deny_user_search: bool = False
    deny_session_settings: bool = False
    malformed_records: int = 0
    unlisted_role_permissions: tuple[str, ...] = ()
    """Names of roles served with no ``permissions`` while the others list theirs (a server
    that leaves them out, or a role whose list was emptied)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate_limit_fraction <= 1.0:
            raise ValueError("rate_limit_fraction must be between 0 and 1")
        if min(self.latency_ms, self.retry_after_seconds, self.malformed_records) < 0:
            raise ValueError("latency, Retry-After and malformed_records must not be negative")
        if self.burst_503_every < 0 or not 0 <= self.burst_503_length <= self.burst_503_every:
            raise ValueError("burst_503_length must be between 0 and burst_503_every")


class FaultInjector:
    """Decides, request by request, whether to answer with an injected fault."""

    def __init__(self, faults: SimFaults, seed: int) -> None:
        self.faults = faults
        self.count = 0
        self._rng = random.Random(f"c1-faults-{seed}")  # noqa: S311 - simulation, not security

    def next(self, tally: Counter[str]) -> JSONResponse | None:
        f = self.faults
        n = self.count
        self.count += 1
        limited = self._rng.random() < f.rate_limit_fraction  # drawn every time
        if f.burst_503_every and n % f.burst_503_every >= f.burst_503_every - f.burst_503_length:
            tally["fault 503"] += 1
            return rpc_error(503, 14, "service unavailable")  # UNAVAILABLE
        if limited:
            tally["fault 429"] += 1
            headers = {"Retry-After": str(f.retry_after_seconds)}
            return rpc_error(429, 8, "rate limit exceeded", **headers)  # RESOURCE_EXHAUSTED
        return None


def status_body(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": []}  # openapi.yaml google.rpc.Status


def rpc_error(http_status: int, code: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(status_body(code, message), status_code=http_status, headers=headers)
