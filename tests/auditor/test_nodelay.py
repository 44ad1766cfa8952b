"""TCP_NODELAY on real connections, both ends (issue 16: 44 ms per ConductorOne request).

A response (or request) written as two segments, head then body, waited for the peer's delayed
ACK (~40 ms on Linux) while Nagle's algorithm was on. The client sets the option itself on every
connection it opens, direct, through a proxy from the environment, and over TLS
(``auditor.kernel.httptransport``); the sandbox's listening sockets are created so that every
accepted connection has it too (``auditor.app.sandbox._bind``).

The client tests switch off asyncio's own setting of the option (``_set_nodelay``), so they show
that the client sets it, not the event loop. No timing is asserted: the option is read back from
the connected socket.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import datetime as dt
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from auditor.app.sandbox import Sandbox, Simulation
from auditor.kernel.http import ApiClient, HttpSettings
from tests.rawserver import head, raw_server

AS_OF = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)


@pytest.fixture
def no_loop_nodelay(monkeypatch: pytest.MonkeyPatch) -> None:
    """asyncio no longer sets TCP_NODELAY on the sockets it wraps (as on event loops that
    do not, or sockets whose ``proto`` is 0)."""
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", lambda sock: None)


@pytest.fixture
def no_env_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _nodelay_of(api: ApiClient, seen: list[int]) -> None:
    """Record TCP_NODELAY of the socket each response of ``api`` came over."""

    async def hook(response: httpx.Response) -> None:
        stream = response.extensions["network_stream"]
        sock = stream.get_extra_info("socket")
        seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    api._client.event_hooks["response"].append(hook)


async def _ok(line: str, writer: asyncio.StreamWriter) -> None:
    writer.write(head(200, **{"Content-Type": "application/json", "Content-Length": "2"}) + b"{}")


@pytest.mark.usefixtures("no_loop_nodelay", "no_env_proxy")
def test_the_client_sets_nodelay_on_a_direct_connection() -> None:
    async def scenario() -> list[int]:
        seen: list[int] = []
        async with (
            raw_server(_ok) as served,
            ApiClient(tenant="t", base_url=served.url, settings=HttpSettings()) as api,
        ):
            _nodelay_of(api, seen)
            await api.get_json("/a")
            await api.post_json("/b", json={"pageSize": 25})
        return seen

    assert asyncio.run(scenario()) == [1, 1]


@pytest.mark.usefixtures("no_loop_nodelay", "no_env_proxy")
def test_the_client_sets_nodelay_through_a_proxy_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario() -> tuple[list[int], list[str]]:
        seen: list[int] = []
        async with raw_server(_ok) as proxy:
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            async with ApiClient(
                tenant="t", base_url="http://vendor.example", settings=HttpSettings()
            ) as api:
                _nodelay_of(api, seen)
                await api.get_json("/v3/personal-access-tokens")
            return seen, proxy.requests

    seen, lines = asyncio.run(scenario())
    assert lines == ["GET http://vendor.example/v3/personal-access-tokens HTTP/1.1"]
    assert seen == [1]


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


OnConnect = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def tls_client(tmp_path: Path, on_connect: OnConnect) -> AsyncIterator[ApiClient]:
    """An ``ApiClient`` for a loopback TLS server (a fresh certificate it trusts) whose
    connections ``on_connect`` serves."""
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    settings = HttpSettings(ca_bundle=str(cert_file))
    try:
        async with ApiClient(
            tenant="t", base_url=f"https://localhost:{port}", settings=settings
        ) as api:
            yield api
    finally:
        server.close()


@pytest.mark.usefixtures("no_loop_nodelay", "no_env_proxy")
def test_the_client_sets_nodelay_on_a_tls_connection(tmp_path: Path) -> None:
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await _ok("", writer)
        await writer.drain()
        writer.close()

    async def scenario() -> list[int]:
        seen: list[int] = []
        async with tls_client(tmp_path, on_connect) as api:
            _nodelay_of(api, seen)
            await api.get_json("/v3/personal-access-tokens")
        return seen

    assert asyncio.run(scenario()) == [1]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    server = Sandbox(Simulation(as_of=AS_OF), port=0)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def test_every_sandbox_connection_has_nodelay(sandbox: Sandbox) -> None:
    found: list[Any] = []
    with httpx.Client() as client:  # keeps the connections open while they are read
        for url in sandbox.urls:
            client.get(f"{url}/nowhere")
        for server in sandbox.servers:
            for connection in list(server.server_state.connections):
                sock = connection.transport.get_extra_info("socket")
                found.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    assert found == [1, 1]
