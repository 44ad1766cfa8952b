"""How the HTTP client (``auditor.kernel.http``) turns what came back into our errors and texts:
the one mapping from HTTP statuses and httpx errors onto ``auditor.kernel.errors`` (with the
vendor's own error text, cleaned, and a redirect's ``Location``, bounded), JSON bodies that are
not JSON or nested too deeply, and the withholding of the scan's secrets from every API response
and vendor text, counted in the client's ``RequestStats``; and ``_fetch``, which sends one attempt
and reads its body within ``max_body_bytes`` (``auditor.kernel.bounded``).

``ResponseMapping`` is a base class of ``ApiClient``; its methods use the client's attributes
declared below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from auditor.kernel.bounded import BadEncoding, BodyTooLarge, read_bounded, refusal
from auditor.kernel.errors import (
    AuthError,
    ClientRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    RateLimitedError,
    ResponseError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from auditor.kernel.httpretry import _Attempt
from auditor.kernel.httpsettings import ErrorParser, HttpSettings, RequestStats
from auditor.kernel.secretmatch import WITHHELD, SecretSet
from auditor.kernel.vendortext import LOCATION_LIMIT, clean_vendor_text, parse_retry_after
from auditor.kernel.withhold import withhold_json

__all__ = ["OFF_LOOP_BYTES", "URLS_KEPT", "Deferred", "ResponseMapping"]

OFF_LOOP_BYTES = 1 << 20
"""Response bodies at least this large are decoded off the event loop (``_read_json``)."""


def _decode(response: httpx.Response, secrets: SecretSet) -> tuple[Any, Any]:
    """In a worker thread: the parsed body and the same with secrets withheld (thread-safe: it
    only reads the response and the secrets)."""
    body = response.json()
    return body, withhold_json(body, secrets)


URLS_KEPT = 256
"""Paths whose joined URL a client keeps (``ResponseMapping._url``)."""
SENT_EVENT = "http11.receive_response_headers.started"
"""httpcore's trace event right before a request's first read, which is when a connection
writes what it held of the request (``auditor.kernel.httptransport._OneWriteStream``): once the
task that sends it next waits, the request is on the wire. Transports that are not httpcore's
(an in-process ASGI app, a test mock) send no trace events."""


def _sent_tracer(on_sent: Callable[[], None]) -> Callable[[str, Any], Awaitable[None]]:
    """An httpcore ``trace`` extension calling ``on_sent`` at ``SENT_EVENT`` of the request
    itself, not of the ``CONNECT`` that opens a tunnel through a proxy for it (httpcore passes
    the request's extensions on to that one too). ``on_sent`` runs just before the write, in the
    sending task: it must only signal (set a future), never work or wait."""

    async def trace(name: str, info: Any) -> None:
        if name == SENT_EVENT and getattr(info.get("request"), "method", b"") != b"CONNECT":
            on_sent()

    return trace


class Deferred:
    """A decoded JSON body whose secrets are withheld on demand (``ApiClient.post_json_deferred``).

    ``raw`` is for paging decisions only (its shape, a list's length, the next-page token, which
    goes back to the vendor that sent it): nothing may quote, log or keep it. Every other use
    takes ``withheld()``, as with ``post_json``."""

    def __init__(self, raw: Any, client: ResponseMapping, method: str, path: str) -> None:
        self.raw = raw
        self._client, self._method, self._path = client, method, path

    def withheld(self) -> Any:
        return self._client._withhold(self.raw, self._method, self._path)

    def holds_secret(self, text: str) -> bool:
        """Whether ``text`` (a value of ``raw``) holds a fragment of a secret in any form that
        withholding would remove: such a value is not used before ``withheld()``."""
        secrets = self._client.secrets
        return secrets.contains(text) or secrets.contains_loose(text)


class ResponseMapping:
    """Status, transport and body errors of one tenant's client, and what it withholds."""

    tenant: str
    base_url: str
    secrets: SecretSet
    stats: RequestStats
    error_parser: ErrorParser
    settings: HttpSettings
    _client: httpx.AsyncClient
    _wall_clock: Callable[[], float]
    _urls: dict[str, httpx.URL]
    """``_url``'s answers by path."""

    def _url(self, path: str) -> httpx.URL:
        """``path`` joined to the base URL as httpx joins it (``AsyncClient._merge_url``, kept
        by ``tests/auditor/test_http.py``), once per path: httpx parsing it again for every request
        cost ~20 us a request on the ConductorOne search chain, where each request waits for the
        one before. Paths that differ by an id each take a place, so the places are bounded."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= URLS_KEPT:
                self._urls.clear()
            url = self._urls[path] = self._client._merge_url(path)
        return url

    async def _fetch(self, state: _Attempt, headers: Mapping[str, str]) -> httpx.Response:
        """Send, then read the body within ``max_body_bytes`` (``auditor.kernel.bounded``)."""
        extensions = {} if state.on_sent is None else {"trace": _sent_tracer(state.on_sent)}
        try:
            request = self._client.build_request(
                state.method,
                self._url(state.path),
                headers=headers,
                extensions=extensions,
                **state.send,
            )
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._transport_error(state.method, state.shown, exc) from exc
        except httpx.InvalidURL as exc:  # a vendor value (an id, a filter) too long or odd
            raise ResponseFormatError(
                f"{state.method} {clean_vendor_text(state.shown, 100)}: cannot form the "
                f"request URL ({clean_vendor_text(str(exc), 100)}); a value from the vendor's "
                "data is too long or malformed to send",
                tenant=self.tenant,
            ) from None
        try:
            await read_bounded(response, cap=self.settings.max_body_bytes)
        except (BodyTooLarge, BadEncoding) as exc:
            raise ResponseFormatError(
                f"{state.method} {clean_vendor_text(state.shown, 100)} returned HTTP "
                f"{response.status_code} with {refusal(exc)}",
                tenant=self.tenant,
            ) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(state.method, state.shown, exc) from exc
        finally:
            await response.aclose()
        return response

    def _status_error(self, method: str, path: str, response: httpx.Response) -> ResponseError:
        code = response.status_code
        try:
            vendor = self.error_parser(response)
        except Exception:  # noqa: BLE001 - a broken error body must not hide the status
            vendor = None
        vendor = self._clean(vendor) if vendor else None
        message = f"{method} {path} returned HTTP {code}"
        if vendor:
            message += f": {vendor}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._wall_clock())
        cls: type[ResponseError]
        if code == 401:
            cls = AuthError
            message += " (the credential was refused; check the client id and secret)"
        elif code == 403:
            cls = PermissionDeniedError
        elif code == 404:
            cls = NotFoundError
        elif code == 429:
            cls = RateLimitedError
        elif 300 <= code < 400:
            cls = ClientRequestError
            where = self._clean(response.headers.get("Location", "?"), LOCATION_LIMIT)
            message += f" (redirect to {where!r} not followed)"
        elif code >= 500:
            cls = ServerError
        else:
            cls = ClientRequestError
        return cls(
            message,
            tenant=self.tenant,
            status_code=code,
            vendor_message=vendor,
            retry_after=retry_after,
        )

    def _transport_error(self, method: str, path: str, exc: httpx.HTTPError) -> ProviderError:
        host = self.base_url
        if isinstance(exc, httpx.TimeoutException):
            kind = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
            return TransportError(f"{method} {path}: timed out {kind} {host}", tenant=self.tenant)
        detail = self._clean(str(exc) or type(exc).__name__)
        if "CERTIFICATE_VERIFY_FAILED" in detail:
            detail += " (behind a TLS-intercepting proxy? set ca_bundle for this tenant)"
        return TransportError(f"{method} {path}: cannot reach {host}: {detail}", tenant=self.tenant)

    async def _read_json(self, response: httpx.Response, method: str, path: str) -> Any:
        """The body, decoded, with the scan's secrets withheld. A large body (a whole tenant's
        list: tens of MB at 100k records) is decoded and searched in a worker thread, so the
        other tenants' request chains, on this event loop, go on meanwhile (one tenant's CPU
        work used to stall them for seconds). Any failure is mapped here, on the loop."""
        if len(response.content) >= OFF_LOOP_BYTES:
            try:
                body, kept = await asyncio.to_thread(_decode, response, self.secrets)
            except (ValueError, RecursionError):
                pass  # mapped below, with the client's own messages
            else:
                if kept is not body:
                    self.stats.withheld += 1
                return kept
        return self._withhold(self._json(response, method, path), method, path)

    def _json(self, response: httpx.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except RecursionError:
            raise ResponseFormatError(
                f"{method} {path} returned HTTP {response.status_code} with JSON nested too "
                "deeply to read",
                tenant=self.tenant,
            ) from None
        except ValueError as exc:
            kind = self._clean(response.headers.get("Content-Type", "no content type"), 100)
            raise ResponseFormatError(
                f"{method} {path} returned HTTP {response.status_code} with a body that is not "
                f"JSON ({kind})",
                tenant=self.tenant,
            ) from exc

    def _withhold(self, body: Any, method: str, path: str) -> Any:
        try:
            kept = withhold_json(body, self.secrets)
            if kept is not body:
                self.stats.withheld += 1
            return kept
        except RecursionError:
            raise ResponseFormatError(
                f"{method} {path} returned JSON nested too deeply to read", tenant=self.tenant
            ) from None

    def _clean(self, text: str, limit: int = 300) -> str:
        """``clean_vendor_text`` with this client's secrets, counting a withholding."""
        cleaned = clean_vendor_text(text, limit, secrets=self.secrets)
        if WITHHELD in cleaned:
            self.stats.withheld += 1
        return cleaned
