"""Fault injection and the rate limit of the simulated tenant, both deterministic.

Faults are decided by hashing (seed, request key, attempt number), not by a shared random
stream, so the outcome of a request does not depend on how concurrent requests interleave.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# docs/vendors/sailpoint.md §5.4: "100 requests per client_id (and API version) per 10 seconds". The
# simulator counts per client id across versions: stricter, so a client within it is within the real
# limit.
RATE_LIMIT_REQUESTS = 100
RATE_LIMIT_SECONDS = 10.0
MAX_CONSECUTIVE_FAULTS = 2
"""Below a 100 % fault rate, one request fails at most twice in a row: faults test recovery."""


@dataclass(frozen=True)
class SimFaults:
    """What can go wrong in the simulated tenant (all deterministic given the seed)."""

    latency_ms: int = 0
    """Added to every request via the injected ``sleep``."""
    error_503_fraction: float = 0.0
    """Share of API requests (never the token endpoint) answered with 503."""
    deny_identity_lookup: bool = False
    """``/v3/public-identities`` answers 403, as for a credential whose owner lacks the right."""
    deny_user_level_lookup: bool = False
    """``/v3/auth-users/{id}`` answers 403, as for a PAT without the scope sp:auth-user:read."""
    malformed_records: int = 0
    """This many PAT records are served corrupted (bad timestamp, wrong type, missing field)."""
    pat_list_paging: str = "ignore"
    """How the PAT list treats ``limit``/``offset``, which it does not declare (v3 spec
    ``paths./personal-access-tokens.get`` has only ``owner-id`` and ``filters``): ``ignore``
    (serves everything), ``reject`` (400, as ISC does for unsupported query input:
    https://developer.sailpoint.com/docs/api/standard-collection-parameters), ``page`` (pages at
    250 like every other ISC collection, ``limit`` 250 by default) or ``break`` (pages, then
    answers 400 from offset 500 on: a list cut short by the server)."""

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.malformed_records < 0:
            raise ValueError("latency_ms and malformed_records cannot be negative")
        if not 0.0 <= self.error_503_fraction <= 1.0:
            raise ValueError("error_503_fraction must be between 0 and 1")
        if self.pat_list_paging not in ("ignore", "reject", "page", "break"):
            raise ValueError("pat_list_paging must be ignore, reject, page or break")


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class FaultPlan:
    """Decides, per request key and attempt, whether to answer 503."""

    def __init__(self, seed: int, fraction: float) -> None:
        self.seed = seed
        self.fraction = fraction
        self._attempts: dict[str, int] = {}
        self._streak: dict[str, int] = {}
        self.injected = 0

    def should_fail(self, key: str) -> bool:
        if self.fraction <= 0:
            return False
        attempt = self._attempts.get(key, 0)
        self._attempts[key] = attempt + 1
        streak = self._streak.get(key, 0)
        fail = self.fraction >= 1 or (
            streak < MAX_CONSECUTIVE_FAULTS and _unit(self.seed, key, attempt) < self.fraction
        )
        self._streak[key] = streak + 1 if fail else 0
        self.injected += fail
        return fail


class RateWindow:
    """The tenant's sliding-window limit for one client id, on the injected clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._accepted: deque[float] = deque()

    def admit(self) -> float | None:
        """None when the request may proceed, else the ``Retry-After`` seconds to send."""
        now = self._clock()
        while self._accepted and self._accepted[0] <= now - RATE_LIMIT_SECONDS:
            self._accepted.popleft()
        if len(self._accepted) < RATE_LIMIT_REQUESTS:
            self._accepted.append(now)
            return None
        return max(1.0, math.ceil(self._accepted[0] + RATE_LIMIT_SECONDS - now))


def corrupt(record: dict[str, Any], ordinal: int) -> dict[str, Any]:
    """A malformed variant of a served PAT record; ``ordinal`` picks the kind of damage."""
    bad = dict(record)
    kind = ordinal % 6
    if kind == 0:
        bad["created"] = "last Tuesday"
    elif kind == 1:
        bad["scope"] = "sp:scopes:all"
    elif kind == 2:
        bad.pop("owner", None)
    elif kind == 3:
        bad.pop("id", None)
    elif kind == 4:
        bad["lastUsed"] = 1_700_000_000
    else:
        bad["accessTokenValiditySeconds"] = "43200"
    return bad


def malformed_indices(seed: int, count: int, population: int) -> frozenset[int]:
    """Which record positions are served corrupted."""
    ranked = sorted(range(population), key=lambda i: _unit(seed, "malformed", i))
    return frozenset(ranked[: min(count, population)])


def error_body(status: int, text: str, detail: str | None = None) -> dict[str, Any]:
    """``ErrorResponseDto`` (spec idn/v3/schemas/ErrorResponseDto.yaml, responses/403.yaml)."""
    codes = {400: "400.1 Bad Request Content", 403: "403 Forbidden", 404: "404 Not found",
             405: "405 Method Not Allowed", 500: "500.0 Internal Fault",
             503: "503 Service Unavailable"}  # fmt: skip
    return {
        "detailCode": detail or codes.get(status, f"{status}"),
        "trackingId": hashlib.sha256(f"{status}:{text}".encode()).hexdigest()[:32],
        "messages": [{"locale": "en-US", "localeOrigin": "DEFAULT", "text": text}],
        "causes": [],
    }
