"""The HTTP client's settings, counters and plug-in points (``auditor.kernel.http``):
``HttpSettings`` and its ``RateLimit``, the per-client ``RequestStats``, the ``TokenProvider``
protocol an auth hook implements, and the ``ErrorParser`` and ``Sleep`` callable types."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import httpx

if TYPE_CHECKING:
    from auditor.kernel.http import ApiClient

__all__ = ["ErrorParser", "HttpSettings", "RateLimit", "RequestStats", "Sleep", "TokenProvider"]


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` request starts in any window of ``per_seconds`` seconds."""

    requests: int
    per_seconds: float


@dataclass(frozen=True)
class HttpSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_concurrency: int = 8
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0
    rate_limit: RateLimit | None = None
    max_pages: int = 10_000
    ca_bundle: str | None = None
    max_body_bytes: int = 64 * 1024 * 1024
    """Cap on one response body, raw and decompressed (``auditor.kernel.bounded``)."""
    response_timeout: float = 120.0
    """Total time for one response, headers and body, however steadily bytes trickle in."""
    tenant_timeout: float = 1800.0
    """Total time for one tenant, retries and ``Retry-After`` waits included."""
    max_empty_pages: int = 3
    """Empty pages in a row that still carry a next-page token before paging stops."""
    max_records: int = 250_000
    """Records one paged listing may hold before paging stops (a bound on memory)."""


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    withheld: int = 0
    """Vendor texts in which text matching a secret was withheld at source: counted here, since
    an adapter may later cut the mark out of a text it quotes, and the coverage must still say
    that vendor text was withheld."""


class TokenProvider(Protocol):
    async def get_token(self, client: ApiClient) -> str:
        """A cached bearer token, or a freshly minted one."""

    def invalidate(self) -> None:
        """Forget the cached token (the API answered 401 with it)."""


ErrorParser = Callable[[httpx.Response], str | None]
Sleep = Callable[[float], Awaitable[None]]
