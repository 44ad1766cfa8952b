"""The one HTTP client every provider uses, over ``httpx.AsyncClient``; notifications
(``auditor.app.notify``) post their webhook through it too (an absolute URL, raw ``content``,
and ``shown_as`` so that no message quotes a URL that is itself a secret).

What it adds to httpx, and why:

- **Timeouts** for connect and read, so a hung vendor never hangs a scheduled scan.
- **A concurrency cap** per tenant (a semaphore around each send).
- **A request-rate limit** per tenant: a sliding-window log that never lets more than N requests
  start in any window of T seconds. SailPoint counts "100 requests per client_id per 10 seconds"
  (docs/vendors/sailpoint.md §5.4). A leaky/token bucket such as ``aiolimiter`` allows a full burst
  plus a window's refill, i.e. up to 2N in one window, which that limit would reject with 429.
- **Retries** (tenacity) with exponential backoff and jitter on 408, 429, 500, 502/503/504 and
  connection errors; ``Retry-After`` (seconds or an HTTP date) wins when present, capped. Only
  idempotent methods retry by default; read-only POST searches opt in with ``retry=True``
  (docs/vendors/conductorone.md §4: the official C1 CLI retries 429 for any method, 5xx only for
  idempotent ones; a search is read-only, so repeating it is safe). Token endpoints never retry: a
  refused credential is final.
- **An auth hook**: a ``TokenProvider`` supplies the bearer token; on 401 the token is invalidated
  and fetched once more, then a second 401 is an ``AuthError``.
- **A pagination-loop guard** (``PageGuard``): a repeated page token or too many pages.
- **A custom CA bundle** for corporate TLS-intercepting proxies. Redirects are never followed: a
  redirect from an API is a misconfiguration (ConductorOne 301-redirects a trailing slash to the
  parent collection, docs/vendors/conductorone.md §2.4), not something to chase silently.
- **One mapping** from httpx errors and HTTP statuses onto ``auditor.kernel.errors``
  (``_raise_for_status`` and ``_transport_error``); a URL no request can carry (a vendor id of
  70 kB put in a filter) and JSON nested too deeply to read are ``ResponseFormatError``.
  Messages carry the method, the URL path and the vendor's own error text (and a redirect's
  ``Location``, cleaned and bounded), never other headers, query strings or bodies; JWT- and
  secret-looking text is redacted anyway.
- **Secrets first**: vendor text is searched for the scan's secrets
  (``auditor.kernel.secretmatch``: the configured secrets, their derived key material and every
  bearer token this client received) on
  the raw text, before it is cut, cleaned of control and invisible characters or quoted anywhere:
  error bodies here, and every string of an API response (``get_json``/``post_json``) before an
  adapter sees it. Token responses (``post_form``) are left alone: they carry the new token.

Time is injected (``clock``, ``sleep``, ``wall_clock``, ``jitter``) so tests never sleep.

Split for reading: settings, counters and the auth protocol are in ``auditor.kernel.httpsettings``,
the rate limiter in ``auditor.kernel.ratelimit``, vendor-text cleaning and ``Retry-After`` parsing
in ``auditor.kernel.vendortext`` (all re-exported here); the mapping of statuses, httpx errors and
bodies onto ``auditor.kernel.errors`` is ``ResponseMapping`` in ``auditor.kernel.httpresponses``,
a base class of ``ApiClient``.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from auditor import __version__
from auditor.kernel.bounded import BadEncoding, BodyTooLarge, read_bounded, refusal
from auditor.kernel.errors import (
    DeadlineError,
    ProviderError,
    ResponseError,
    ResponseFormatError,
    SlowResponseError,
    TransportError,
)
from auditor.kernel.httpresponses import ResponseMapping
from auditor.kernel.httpsettings import (
    ErrorParser,
    HttpSettings,
    RateLimit,
    RequestStats,
    Sleep,
    TokenProvider,
)
from auditor.kernel.livesecrets import watch
from auditor.kernel.paging import PageGuard as PageGuard  # kept importable here
from auditor.kernel.ratelimit import SlidingWindowLimiter
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.urls import is_loopback_host as is_loopback_host  # kept importable here
from auditor.kernel.vendortext import _CONTROL as _CONTROL
from auditor.kernel.vendortext import _REDACTIONS as _REDACTIONS
from auditor.kernel.vendortext import (
    LOCATION_LIMIT,
    clean_vendor_text,
    default_error_parser,
    parse_retry_after,
)

__all__ = [
    "IDEMPOTENT_METHODS",
    "LOCATION_LIMIT",
    "RETRYABLE_STATUSES",
    "USER_AGENT",
    "ApiClient",
    "ErrorParser",
    "HttpSettings",
    "PageGuard",
    "RateLimit",
    "RequestStats",
    "Sleep",
    "SlidingWindowLimiter",
    "TokenProvider",
    "clean_vendor_text",
    "default_error_parser",
    "is_loopback_host",
    "parse_retry_after",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Transient by experience: the official ConductorOne clients retry 500
(docs/vendors/conductorone.md §4), SailPoint's guidance is to back off on every 5xx but 501
(docs/vendors/sailpoint.md §5.5), and 408 has been observed from the ConductorOne API. Only for
requests that are safe to repeat."""
USER_AGENT = f"credaudit/{__version__}"


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


class ApiClient(ResponseMapping):
    """One tenant's HTTP client. Use as an async context manager."""

    def __init__(
        self,
        *,
        tenant: str,
        base_url: str,
        settings: HttpSettings,
        auth: TokenProvider | None = None,
        error_parser: ErrorParser | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        secrets: SecretSet | None = None,
        deadline: float | None = None,
    ) -> None:
        self.tenant = tenant
        self.deadline = deadline
        """When the tenant's time runs out, on ``clock`` (the engine sets it from
        ``tenant_timeout``; ``None``: no deadline but each response's own)."""
        self.secrets = secrets if secrets is not None else SecretSet()
        watch(self.secrets)  # log handlers withhold them too (auditor.kernel.livesecrets)
        """Withheld from every vendor text; the bearer tokens this client receives join it."""
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.auth = auth
        self.error_parser = error_parser or default_error_parser
        self.clock = clock
        self.stats = RequestStats()
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._jitter = jitter
        self._semaphore = asyncio.Semaphore(max(1, settings.max_concurrency))
        self._limiter = (
            SlidingWindowLimiter(settings.rate_limit, clock=clock, sleep=sleep)
            if settings.rate_limit
            else None
        )
        self._auth_lock = asyncio.Lock()
        self._last_token: str | None = None
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            verify=self._verify(settings),
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=None,
            ),
            follow_redirects=False,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": "gzip, deflate",  # what auditor.kernel.bounded decodes
            },
        )

    @staticmethod
    def _verify(settings: HttpSettings) -> ssl.SSLContext | bool:
        if settings.ca_bundle is None:
            return True
        try:
            return ssl.create_default_context(cafile=settings.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"cannot load ca_bundle {settings.ca_bundle}: {exc}") from exc

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def page_guard(self, what: str) -> PageGuard:
        return PageGuard(
            what,
            max_pages=self.settings.max_pages,
            max_empty_pages=self.settings.max_empty_pages,
            max_records=self.settings.max_records,
            tenant=self.tenant,
        )

    async def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        body = self._json(await self.request("GET", path, params=params), "GET", path)
        return self._withhold(body, "GET", path)

    async def post_json(self, path: str, *, json: Any, read_only: bool = True) -> Any:
        response = await self.request("POST", path, json=json, retry=read_only)
        return self._withhold(self._json(response, "POST", path), "POST", path)

    async def post_form(self, path: str, *, data: Mapping[str, str]) -> Any:
        response = await self.request("POST", path, data=data, retry=False, authenticated=False)
        return self._json(response, "POST", path)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool | None = None,
        authenticated: bool = True,
        shown_as: str | None = None,
    ) -> httpx.Response:
        """Send one logical request; returns a 2xx response or raises (see module docstring).

        ``path`` may be an absolute URL (the base URL is then not used); ``shown_as`` names it
        in error messages instead, for a URL that is itself a secret (a webhook's)."""
        method = method.upper()
        retryable = method in IDEMPOTENT_METHODS if retry is None else retry
        attempts = self.settings.max_retries + 1 if retryable else 1
        send = {"params": params, "json": json, "data": data, "content": content}
        state = _Attempt(
            method, path, shown_as or path, send, authenticated, headers=dict(headers or {})
        )
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_transient),
            sleep=self._sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    state.number = attempt.retry_state.attempt_number
                    response = await self._send(state)
        except (ResponseError, TransportError) as exc:
            if state.number > 1:  # this request's attempts (the tenant's retries are counted apart)
                suffix = f" (after {state.number} attempts)"
                exc.args = (f"{exc.args[0]}{suffix}",)
                exc.message = f"{exc.message}{suffix}"
            raise
        return response

    async def _send(self, state: _Attempt) -> httpx.Response:
        headers = dict(state.headers)
        token: str | None = None
        if state.authenticated and self.auth is not None:
            token = await self._token()
            headers["Authorization"] = f"Bearer {token}"
        response = await self._send_raw(state, headers)
        if response.status_code == 401 and token is not None and not state.refreshed_auth:
            state.refreshed_auth = True  # refresh once per logical request, then give up
            headers["Authorization"] = f"Bearer {await self._token(stale=token)}"
            response = await self._send_raw(state, headers)
        if response.is_success:
            return response
        raise self._status_error(state.method, state.shown, response)

    async def _token(self, stale: str | None = None) -> str:
        assert self.auth is not None
        async with self._auth_lock:  # one mint at a time, however many requests saw a 401
            if stale is not None and stale == self._last_token:
                self.auth.invalidate()
                self._last_token = None
            token = await self.auth.get_token(self)
            if token != self._last_token:
                self.secrets.add(token)
            self._last_token = token
            return token

    async def _send_raw(self, state: _Attempt, headers: Mapping[str, str]) -> httpx.Response:
        if self._limiter is not None:
            await self._limiter.acquire()
        async with self._semaphore:
            self.stats.requests += 1
            remaining = self._remaining(state)
            budget = min(self.settings.response_timeout, remaining)
            try:
                async with asyncio.timeout(budget):
                    response = await self._fetch(state, headers)
            except TimeoutError:
                if budget < self.settings.response_timeout:
                    raise self._deadline_error(state, "waiting for a response") from None
                raise SlowResponseError(
                    f"{state.method} {clean_vendor_text(state.shown, 100)}: the response did not "
                    f"complete within {budget:g} s (http.response_timeout)",
                    tenant=self.tenant,
                ) from None
        if response.status_code == 429:
            self.stats.rate_limited += 1
        return response

    async def _fetch(self, state: _Attempt, headers: Mapping[str, str]) -> httpx.Response:
        """Send, then read the body within ``max_body_bytes`` (``auditor.kernel.bounded``)."""
        shown = clean_vendor_text(state.shown, 100)
        try:
            request = self._client.build_request(
                state.method, state.path, headers=headers, **state.send
            )
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._transport_error(state.method, state.shown, exc) from exc
        except httpx.InvalidURL as exc:  # a vendor value (an id, a filter) too long or odd
            raise ResponseFormatError(
                f"{state.method} {shown}: cannot form the "
                f"request URL ({clean_vendor_text(str(exc), 100)}); a value from the vendor's "
                "data is too long or malformed to send",
                tenant=self.tenant,
            ) from None
        try:
            await read_bounded(response, cap=self.settings.max_body_bytes)
        except (BodyTooLarge, BadEncoding) as exc:
            raise ResponseFormatError(
                f"{state.method} {shown} returned HTTP {response.status_code} with {refusal(exc)}",
                tenant=self.tenant,
            ) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(state.method, state.shown, exc) from exc
        finally:
            await response.aclose()
        return response

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

    def _wait(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, ResponseError) and exc.retry_after is not None:
            wait = min(exc.retry_after, self.settings.retry_after_cap)
        else:
            delay = self.settings.backoff_base * 2.0 ** (retry_state.attempt_number - 1)
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

    def _count_retry(self, retry_state: RetryCallState) -> None:
        self.stats.retries += 1
