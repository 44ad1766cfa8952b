"""How the HTTP client (``auditor.kernel.http``) connects: the ``httpx.AsyncClient`` it sends
through, with its timeouts, certificate verification, default headers and socket options.

**TCP_NODELAY on every connection we open**, direct or through a proxy from the environment
(``HTTPS_PROXY``): an HTTP/1.1 request or response is written in more than one ``send()`` (h11
writes the head, then the body; over TLS each write is its own record), and with Nagle's algorithm
on, a small second segment waits until the first is acknowledged, which a peer that delays its
ACKs (Linux: at least 40 ms) holds back: a fixed ~40 ms on every such request, whatever the
network. asyncio sets the option on the connections it opens itself on most platforms
(``asyncio.base_events._set_nodelay``), but only for sockets whose ``proto`` says TCP and only in
its own event loop; we do not leave latency to that. httpcore applies ``socket_options`` to each
new socket right after it connects, before TLS (``httpcore._backends.anyio``).

httpx builds the direct and the proxy transports itself (``AsyncClient._init_transport`` and
``_init_proxy_transport``); handing it a ready transport instead would switch off the proxies from
the environment (``allow_env_proxies = trust_env and transport is None``), so ``NoDelayClient``
overrides those two builders and keeps everything else as httpx does it. A caller's own transport
(tests, the in-process demo) is used as it is.

Through a proxy, httpcore 1.0 drops ``socket_options``: ``AsyncHTTPProxy.create_connection``
builds its forward and tunnel connections without them (the gap pydantic/httpx2 PR #1172
describes). So the proxy transport's connection pool gets a network backend that adds the options
to every TCP connection it opens (``_NoDelayBackend``); ``tests/auditor/test_nodelay.py`` reads
the option back from a real proxied connection, so an httpx or httpcore upgrade that moves these
internals fails there rather than silently.

**One write per request.** h11 hands httpcore a request's head and its body as separate writes,
and each became its own ``send`` (and, over TLS, its own record): with TCP_NODELAY, two segments,
and the server woken twice for one request (about 0.2 ms more per round trip on the loopback
sandbox, ``benchmarks/bench_scale.py``). The pool's connections (``_OneWriteStream``) hold what is
written until the connection is next read, which for HTTP/1.1 is once the request is complete,
and send it at once; a body past ``WRITE_HELD`` bytes goes out as it comes. A connection closed
with a request held sends nothing of it.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import sys
from typing import Any

# httpcore imports these at a client's first request, on the event loop (~30 ms mid-collection):
import anyio._backends._asyncio
import anyio.streams.tls  # noqa: F401
import httpcore
import httpx

from auditor import __version__
from auditor.kernel.errors import TransportError
from auditor.kernel.httpsettings import HttpSettings

__all__ = ["SOCKET_OPTIONS", "USER_AGENT", "NoDelayClient", "build_client", "tls_verify"]

USER_AGENT = f"credaudit/{__version__}"
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""httpx's own default (``httpx._config.DEFAULT_LIMITS``); httpx always passes its limits."""
SOCKET_OPTIONS: tuple[tuple[int, int, int], ...] = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
"""Set on every socket the client opens (see the module docstring)."""
WRITE_HELD = 64 * 1024
"""Bytes of a request held before they are sent anyway (a large body goes in several writes)."""


class _Wrapped(httpcore.AsyncNetworkBackend):
    """A backend that hands everything to ``inner``; subclasses change the options of a TCP
    connection (``_options``) or wrap it (``_stream``)."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    def _options(self, socket_options: Any) -> Any:
        return socket_options

    def _stream(self, stream: httpcore.AsyncNetworkStream) -> httpcore.AsyncNetworkStream:
        return stream

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        options = self._options(socket_options)
        return self._stream(
            await self._inner.connect_tcp(host, port, timeout, local_address, options)
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _NoDelayBackend(_Wrapped):
    """httpcore's own backend, with ``SOCKET_OPTIONS`` added to every TCP connection."""

    def _options(self, socket_options: Any) -> Any:
        return [*(socket_options or ()), *SOCKET_OPTIONS]


class _OneWriteStream(httpcore.AsyncNetworkStream):
    """A connection whose writes are held until the next read: a request goes out in one
    ``send`` (see the module docstring)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")
        self._held: list[bytes] = []
        self._size = 0
        self._timeout: float | None = None

    async def _flush(self) -> None:
        if self._held:
            data, self._held, self._size = b"".join(self._held), [], 0
            await self._inner.write(data, self._timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:  # h11 ends a Content-Length body with an empty write
            return
        self._held.append(buffer)
        self._size += len(buffer)
        self._timeout = timeout
        if self._size >= WRITE_HELD:
            await self._flush()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        await self._flush()
        return await self._inner.read(max_bytes, timeout)

    async def aclose(self) -> None:
        self._held, self._size = [], 0  # never sent: the peer sees no partial request
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        await self._flush()  # a proxy's CONNECT was read already; nothing is held
        return _OneWriteStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket) -> bool:
    """Whether ``sock`` has data or its end waiting, or is closed: what httpcore asks of a
    pooled connection before each request (an idle HTTP/1.1 connection that is readable was
    closed by the server), answered as ``httpcore._utils.is_socket_readable`` answers it. Asked
    through anyio, the answer built anyio's whole attribute table first: ~60 us a request, on the
    ConductorOne search chain where each request waits for the one before."""
    if sock.fileno() < 0:
        return True
    if sys.platform == "win32" or not hasattr(select, "poll"):
        ready, _, _ = select.select([sock], [], [], 0)
        return bool(ready)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _OneWriteBackend(_Wrapped):
    """A backend whose connections are ``_OneWriteStream``s."""

    def _stream(self, stream: httpcore.AsyncNetworkStream) -> httpcore.AsyncNetworkStream:
        return _OneWriteStream(stream)


def _one_write(transport: httpx.AsyncHTTPTransport) -> httpx.AsyncHTTPTransport:
    """``transport`` with its pool's connections writing each request at once."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.AsyncNetworkBackend):
        pool._network_backend = _OneWriteBackend(backend)  # type: ignore[union-attr]
    return transport


def _transport(
    verify: ssl.SSLContext | str | bool,
    cert: Any,
    trust_env: bool,
    http1: bool,
    http2: bool,
    limits: httpx.Limits,
    proxy: httpx.Proxy | None = None,
) -> httpx.AsyncHTTPTransport:
    """httpx's transport (``AsyncClient``'s arguments) with ``SOCKET_OPTIONS`` on every
    connection it opens."""
    return httpx.AsyncHTTPTransport(
        verify=verify,
        cert=cert,
        trust_env=trust_env,
        http1=http1,
        http2=http2,
        limits=limits,
        proxy=proxy,
        socket_options=SOCKET_OPTIONS,
    )


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing a response sets."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class NoDelayClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose own transports, direct and proxy, set ``SOCKET_OPTIONS`` and
    write each request at once, and which keeps no cookies: credaudit authenticates with bearer
    tokens, and a vendor's ``Set-Cookie`` is neither kept nor sent back (a hostile server could
    otherwise make every later request carry what it set). It also spares httpx's cookie
    extraction on every response (urllib's request and response wrappers, about 0.1 ms)."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = _LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return _one_write(_transport(verify, cert, trust_env, http1, http2, limits))

    def _init_proxy_transport(
        self,
        proxy: httpx.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = _LIMITS,
    ) -> httpx.AsyncBaseTransport:
        made = _transport(verify, cert, trust_env, http1, http2, limits, proxy)
        pool = getattr(made, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.AsyncNetworkBackend):
            pool._network_backend = _NoDelayBackend(backend)  # type: ignore[union-attr]
        return _one_write(made)


def tls_verify(settings: HttpSettings) -> ssl.SSLContext:
    """Certificate verification: httpx's default (certifi's roots, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR`` from the environment), or the tenant's ``ca_bundle`` (a corporate
    TLS-intercepting proxy); never off.

    Loading a CA bundle takes some 20 to 30 ms of CPU, and httpx loads one for every client it
    makes, HTTPS or not (``httpx.create_ssl_context``): on the event loop, at the start of every
    tenant, while the other tenants' requests wait. A context is made once per bundle and shared
    (an ``SSLContext`` is made to be shared by connections); a ``ca_bundle`` file that changes
    (a long-running scheduler) gets a new one."""
    if settings.ca_bundle is None:
        key = ("default", os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"), 0, 0)
    else:
        try:
            found = os.stat(settings.ca_bundle)
        except OSError as exc:
            raise TransportError(f"cannot load ca_bundle {settings.ca_bundle}: {exc}") from exc
        key = ("bundle", settings.ca_bundle, None, found.st_mtime_ns, found.st_size)
    context = _CONTEXTS.get(key)
    if context is None:
        try:
            context = (
                httpx.create_ssl_context(trust_env=True)
                if settings.ca_bundle is None
                else ssl.create_default_context(cafile=settings.ca_bundle)
            )
        except (OSError, ssl.SSLError) as exc:
            source = (
                f"ca_bundle {settings.ca_bundle}"
                if settings.ca_bundle is not None
                else "the CA certificates (certifi, SSL_CERT_FILE or SSL_CERT_DIR)"
            )
            raise TransportError(f"cannot load {source}: {exc}") from exc
        if len(_CONTEXTS) >= 32:  # bundles that keep changing: start over
            _CONTEXTS.clear()
        _CONTEXTS[key] = context
    return context


_CONTEXTS: dict[tuple[str, str | None, str | None, int, int], ssl.SSLContext] = {}
"""``tls_verify``'s contexts, by bundle (and its mtime and size)."""


def build_client(
    base_url: str, settings: HttpSettings, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """The client one ``ApiClient`` sends through. Redirects are never followed (a redirect from
    an API is a misconfiguration, not something to chase silently)."""
    return NoDelayClient(
        base_url=base_url,
        transport=transport,
        verify=tls_verify(settings),
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
