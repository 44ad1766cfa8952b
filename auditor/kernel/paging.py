"""The pagination-loop guard every adapter pages with (``ApiClient.page_guard``).

``Paging`` (a base class of ``ApiClient``) makes a client's guards and its phases
(``auditor.kernel.phases``).

A paging loop stops on a page token seen before, on ``max_empty_pages`` empty pages in a row that
still announce more, past ``max_pages`` pages, and past ``max_records`` records read (a bound on
memory whatever the page size). Each raises ``PaginationError``; an adapter
that has valid records by then reports the tenant ``partial`` with the error's text as the
reason, rather than failing it.
"""

from __future__ import annotations

from collections.abc import Callable

from auditor.kernel.errors import PaginationError
from auditor.kernel.httpsettings import HttpSettings, RateLimit
from auditor.kernel.phases import Phase, PhaseListener
from auditor.kernel.ratelimit import SlidingWindowLimiter


class PageGuard:
    """Stops a pagination loop (see the module docstring)."""

    def __init__(
        self,
        what: str,
        *,
        max_pages: int,
        tenant: str,
        max_empty_pages: int = 3,
        max_records: int | None = None,
    ) -> None:
        self.what = what
        self.max_records = max_records
        self.max_pages = max_pages
        self.max_empty_pages = max_empty_pages
        self.tenant = tenant
        self.pages = 1
        self.empty_in_a_row = 0
        self._seen: set[str] = set()

    def next_page(
        self, token: str, *, items: int | None = None, records: int | None = None
    ) -> None:
        """Record that the next page will be fetched with ``token``; ``items``: how many records
        the page that carried it held, ``records``: how many all pages so far held (``None``:
        not counted)."""
        if token in self._seen:
            raise PaginationError(
                f"{self.what}: the API returned a page token it had already returned "
                f"(after {self.pages} pages); stopping to avoid an endless loop",
                tenant=self.tenant,
            )
        self._seen.add(token)
        self.empty_in_a_row = self.empty_in_a_row + 1 if items == 0 else 0
        if self.empty_in_a_row >= self.max_empty_pages:
            raise PaginationError(
                f"{self.what}: {self.empty_in_a_row} empty pages in a row still announced more "
                f"(after {self.pages} pages); stopping (http.max_empty_pages)",
                tenant=self.tenant,
            )
        if self.max_records is not None and records is not None and records > self.max_records:
            raise PaginationError(
                f"{self.what}: more than {self.max_records} records; stopping (raise "
                "http.max_records if the tenant really is this large)",
                tenant=self.tenant,
            )
        self.pages += 1
        if self.pages > self.max_pages:
            raise PaginationError(
                f"{self.what}: more than {self.max_pages} pages; stopping (raise "
                "http.max_pages in the tenant's configuration if the tenant really is this large)",
                tenant=self.tenant,
            )


class Paging:
    """The page guards and phases of one tenant's client (``ApiClient`` sets these)."""

    tenant: str
    settings: HttpSettings
    clock: Callable[[], float]
    phases: PhaseListener
    _limiter: SlidingWindowLimiter | None

    def page_guard(self, what: str) -> PageGuard:
        return PageGuard(
            what,
            max_pages=self.settings.max_pages,
            max_empty_pages=self.settings.max_empty_pages,
            max_records=self.settings.max_records,
            tenant=self.tenant,
        )

    def phase(self, name: str, *, total: int | None = None, unit: str = "requests") -> Phase:
        """A long phase of this tenant's collection, reported with its counter (``advance``),
        and, while the client's rate limiter holds requests back, the limit it waits on."""
        return Phase(
            name,
            total=total,
            unit=unit,
            listener=self.phases,
            clock=self.clock,
            paced=self._paced,
        )

    def _paced(self) -> RateLimit | None:
        """The rate limit, while requests are waiting on it; else ``None``."""
        limiter = self._limiter
        return limiter.limit if limiter is not None and limiter.waiting else None
