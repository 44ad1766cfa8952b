"""Request-rate limiting for the HTTP client (``auditor.kernel.http``): a sliding-window log that
never lets more than N requests start in any window of T seconds. SailPoint counts "100 requests
per client_id per 10 seconds" (docs/vendors/sailpoint.md §5.4). A leaky/token bucket such as
``aiolimiter`` allows a full burst plus a window's refill, i.e. up to 2N in one window, which that
limit would reject with 429."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from auditor.kernel.httpsettings import RateLimit, Sleep

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """Never more than ``limit.requests`` acquisitions in any ``limit.per_seconds`` window."""

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float], sleep: Sleep) -> None:
        if limit.requests < 1 or limit.per_seconds <= 0:
            raise ValueError("a rate limit needs at least 1 request per positive period")
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._held_at: float | None = None

    @property
    def waiting(self) -> bool:
        """Whether the limit held a request back within the last window: the requests are
        paced by the limit, not by the network (progress says so)."""
        held = self._held_at
        return held is not None and self._clock() - held <= self.limit.per_seconds

    async def acquire(self) -> None:
        async with self._lock:  # FIFO: waiters are served in order, none starves
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - self.limit.per_seconds:
                    self._starts.popleft()
                if len(self._starts) < self.limit.requests:
                    self._starts.append(now)
                    return
                self._held_at = now
                await self._sleep(self._starts[0] + self.limit.per_seconds - now)
