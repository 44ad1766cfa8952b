"""The one HTTP client every provider uses, over ``httpx.AsyncClient``; notifications
(``auditor.app.notify``) post their webhook through it too (an absolute URL, raw ``content``,
and ``shown_as`` so that no message quotes a URL that is itself a secret).

What it adds to httpx, and why:

- **Timeouts** for connect and read, so a hung vendor never hangs a scheduled scan.
- **A concurrency cap** per tenant (a semaphore around each send).
- **A request-rate limit** per tenant: never more than N request starts in any window of T
  seconds (``auditor.kernel.ratelimit``; SailPoint: docs/vendors/sailpoint.md §5.4).
- **Retries** with exponential backoff and jitter on 408, 429, 500, 502/503/504 and
  connection errors (``RetryPolicy``; a plain loop in ``request``: a retry library's machinery
  cost ~30 us a request on the ConductorOne search chain, where every request waits for the
  previous one); ``Retry-After`` (seconds or an HTTP date) wins when present, capped. Only
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
- **TCP_NODELAY** on every connection, direct or through a proxy: a request or response written
  in two segments must not wait for a delayed ACK (``auditor.kernel.httptransport``).
- **Phases**: an adapter names each long phase of its collection (``ApiClient.phase``); the
  engine's listener shows its counter, rate and ETA, and whether the rate limit is what it is
  waiting on (``auditor.kernel.phases``).
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
in ``auditor.kernel.vendortext``, the httpx client itself (timeouts, verification, headers, socket
options) in ``auditor.kernel.httptransport`` (all re-exported here); the mapping of statuses, httpx
errors and bodies onto ``auditor.kernel.errors`` is ``ResponseMapping`` in
``auditor.kernel.httpresponses``, and retries and deadlines are ``RetryPolicy`` in
``auditor.kernel.httpretry``: both base classes of ``ApiClient``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from auditor.kernel.errors import ResponseError, SlowResponseError, TransportError
from auditor.kernel.httpresponses import Deferred, ResponseMapping
from auditor.kernel.httpretry import IDEMPOTENT_METHODS, RETRYABLE_STATUSES, RetryPolicy
from auditor.kernel.httpretry import _Attempt as _Attempt
from auditor.kernel.httpretry import _is_transient as _is_transient
from auditor.kernel.httpsettings import (
    ErrorParser,
    HttpSettings,
    RateLimit,
    RequestStats,
    Sleep,
    TokenProvider,
)
from auditor.kernel.httptransport import SOCKET_OPTIONS, USER_AGENT, build_client
from auditor.kernel.livesecrets import watch
from auditor.kernel.paging import PageGuard, Paging
from auditor.kernel.phases import NO_PHASES, Phase, PhaseListener
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
    "SOCKET_OPTIONS",
    "USER_AGENT",
    "ApiClient",
    "Deferred",
    "ErrorParser",
    "HttpSettings",
    "PageGuard",
    "Phase",
    "PhaseListener",
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


class ApiClient(ResponseMapping, RetryPolicy, Paging):
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
        self._client = build_client(self.base_url, settings, transport)
        self._urls = {}
        self.phases: PhaseListener = NO_PHASES
        """Where ``phase`` reports (the engine sets it; default: nowhere)."""

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return await self._read_json(await self.request("GET", path, params=params), "GET", path)

    async def post_json(self, path: str, *, json: Any, read_only: bool = True) -> Any:
        response = await self.request("POST", path, json=json, retry=read_only)
        return await self._read_json(response, "POST", path)

    async def post_json_deferred(
        self,
        path: str,
        *,
        json: Any,
        read_only: bool = True,
        on_sent: Callable[[], None] | None = None,
    ) -> Deferred:
        """``post_json`` in two steps, for a cursor-paged search: the decoded body to take the
        paging decisions from at once (``Deferred.raw``), and the body with the scan's secrets
        withheld, for everything else, when ``Deferred.withheld()`` is called (after the next
        page's request is on its way: ``on_sent`` is called as it is written, so that the
        request is on the wire once the sending task next waits; ``SENT_EVENT``)."""
        response = await self.request("POST", path, json=json, retry=read_only, on_sent=on_sent)
        return Deferred(self._json(response, "POST", path), self, "POST", path)

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
        on_sent: Callable[[], None] | None = None,
    ) -> httpx.Response:
        """Send one logical request; returns a 2xx response or raises (see module docstring).

        ``path`` may be an absolute URL (the base URL is then not used); ``shown_as`` names it
        in error messages instead, for a URL that is itself a secret (a webhook's). ``on_sent``
        is called as each attempt's request is written (``SENT_EVENT``; not at all over a
        transport that is not httpcore's, such as an in-process ASGI app)."""
        method = method.upper()
        retryable = method in IDEMPOTENT_METHODS if retry is None else retry
        attempts = max(0, self.settings.max_retries) + 1 if retryable else 1
        send = {"params": params, "json": json, "data": data, "content": content}
        state = _Attempt(
            method,
            path,
            shown_as or path,
            send,
            authenticated,
            headers=dict(headers or {}),
            on_sent=on_sent,
        )
        try:
            for number in range(1, attempts + 1):
                state.number = number
                try:
                    return await self._send(state)
                except Exception as exc:
                    if number == attempts or not _is_transient(exc):
                        raise  # its own error: no "no retry" deadline error for a request
                        # that would not have been retried anyway (a retry library's loop
                        # computed the wait first)
                    wait = self._wait(exc, number)  # may raise: the deadline would pass
                self.stats.retries += 1
                await self._sleep(wait)
        except (ResponseError, TransportError) as exc:
            if state.number > 1:  # this request's attempts (the tenant's retries are counted apart)
                suffix = f" (after {state.number} attempts)"
                exc.args = (f"{exc.args[0]}{suffix}",)
                exc.message = f"{exc.message}{suffix}"
            raise
        raise AssertionError("unreachable: the last attempt returns or raises")

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
