"""Retries and deadlines of the HTTP client (``auditor.kernel.http``): which methods and statuses
are retried, the wait before each retry (``Retry-After`` when the vendor sends one, capped;
otherwise exponential backoff with "equal jitter"), and the tenant's deadline, which no request
and no wait may overrun.

``RetryPolicy`` is a base class of ``ApiClient``; its methods use the client's attributes declared
below. ``_Attempt`` is one logical request as it goes through its attempts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.kernel.errors import (
    DeadlineError,
    ProviderError,
    ResponseError,
    SlowResponseError,
    TransportError,
)
from auditor.kernel.httpsettings import HttpSettings, RequestStats
from auditor.kernel.vendortext import clean_vendor_text

__all__ = ["IDEMPOTENT_METHODS", "RETRYABLE_STATUSES", "RetryPolicy", "_Attempt", "_is_transient"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Transient by experience: the official ConductorOne clients retry 500
(docs/vendors/conductorone.md §4), SailPoint's guidance is to back off on every 5xx but 501
(docs/vendors/sailpoint.md §5.5), and 408 has been observed from the ConductorOne API. Only for
requests that are safe to repeat."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, SlowResponseError):
        return False
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, ResponseError) and exc.status_code in RETRYABLE_STATUSES


@dataclass
class _Attempt:
    method: str
    path: str
    shown: str
    """How messages name the target: the path, or the caller's label when the URL is a secret."""
    send: dict[str, Any]
    """httpx's ``params``/``json``/``data``/``content``."""
    authenticated: bool
    number: int = 0
    refreshed_auth: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    on_sent: Callable[[], None] | None = None
    """Called once the request is on the wire (``ApiClient.post_json_deferred``)."""


class RetryPolicy:
    """The waits and the deadline of one tenant's client."""

    tenant: str
    settings: HttpSettings
    deadline: float | None
    clock: Callable[[], float]
    stats: RequestStats
    _jitter: Callable[[], float]

    def _remaining(self, state: _Attempt) -> float:
        if self.deadline is None:
            return self.settings.response_timeout
        remaining = self.deadline - self.clock()
        if remaining <= 0:
            raise self._deadline_error(state, "before sending")
        return remaining

    def _deadline_error(self, state: _Attempt, when: str) -> DeadlineError:
        return DeadlineError(
            f"{state.method} {clean_vendor_text(state.shown, 100)}: the tenant's deadline of "
            f"{self.settings.tenant_timeout:g} s (http.tenant_timeout) ran out {when}",
            tenant=self.tenant,
        )

    def _wait(self, exc: BaseException, attempt_number: int) -> float:
        """Seconds to wait after attempt ``attempt_number`` failed with ``exc``."""
        if isinstance(exc, ResponseError) and exc.retry_after is not None:
            wait = min(exc.retry_after, self.settings.retry_after_cap)
        else:
            delay = self.settings.backoff_base * 2.0 ** (attempt_number - 1)
            delay = min(delay, self.settings.backoff_max)
            wait = delay / 2 + self._jitter() * delay / 2  # "equal jitter": in [d/2, d]
        if (
            self.deadline is not None
            and self.clock() + wait >= self.deadline
            and isinstance(exc, ProviderError)
        ):
            # waiting would use up the tenant's time: stop now, saying both why and what failed
            raise DeadlineError(
                f"{exc.message} (no retry: waiting {wait:g} s more would pass the tenant's "
                f"deadline of {self.settings.tenant_timeout:g} s, http.tenant_timeout)",
                tenant=self.tenant,
            ) from exc
        return wait
