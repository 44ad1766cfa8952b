"""One write per request (``auditor.kernel.httptransport._OneWriteStream``): a request's head and
body leave in one ``send``, over plain TCP and TLS, directly and through a proxy; a large body
still goes out as it comes, and arrives whole; a connection closed with a request held sends
nothing of it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpcore
import pytest
from httpcore._backends.anyio import AnyIOStream

from auditor.kernel.http import ApiClient, HttpSettings
from auditor.kernel.httpresponses import SENT_EVENT, _sent_tracer
from auditor.kernel.httptransport import WRITE_HELD, _OneWriteStream
from tests.auditor.test_nodelay import _ok, no_env_proxy, tls_client  # noqa: F401 - fixture
from tests.rawserver import raw_server


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every write reaching a real connection (plain or TLS)."""
    seen: list[int] = []
    real = AnyIOStream.write

    async def counting(self: AnyIOStream, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        seen.append(len(buffer))
        await real(self, buffer, timeout)

    monkeypatch.setattr(AnyIOStream, "write", counting)
    return seen


@pytest.mark.usefixtures("no_env_proxy")
def test_a_request_with_a_body_is_one_write(writes: list[int]) -> None:
    async def scenario() -> None:
        async with (
            raw_server(_ok) as served,
            ApiClient(tenant="t", base_url=served.url, settings=HttpSettings()) as api,
        ):
            await api.post_json("/b", json={"pageSize": 25, "pageToken": "x" * 40})
            await api.get_json("/a")
            await api.post_json("/b", json={"pageSize": 25})

    asyncio.run(scenario())
    assert len(writes) == 3  # head and body together, each time


@pytest.mark.usefixtures("no_env_proxy")
def test_a_tls_request_is_one_write(tmp_path: Path, writes: list[int]) -> None:
    bodies: list[bytes] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        bodies.append(await reader.readexactly(length))
        await _ok("", writer)
        await writer.drain()
        writer.close()

    async def scenario() -> None:
        async with tls_client(tmp_path, on_connect) as api:
            await api.post_json("/search", json={"pageSize": 25})

    asyncio.run(scenario())
    assert len(writes) == 1
    assert json.loads(bodies[0]) == {"pageSize": 25}


@pytest.mark.usefixtures("no_env_proxy")
def test_a_large_body_goes_out_as_it_comes_and_arrives_whole(writes: list[int]) -> None:
    received: list[Any] = []

    async def echo_size(line: str, writer: asyncio.StreamWriter) -> None:
        received.append(line)
        await _ok(line, writer)

    big = {"refs": [{"id": f"user-{i:06d}"} for i in range(10_000)]}
    size = len(json.dumps(big, separators=(",", ":")))  # as httpx writes it
    assert size > 2 * WRITE_HELD

    async def scenario() -> None:
        async with (
            raw_server(echo_size) as served,
            ApiClient(tenant="t", base_url=served.url, settings=HttpSettings()) as api,
        ):
            await api.post_json("/search", json=big)  # raw_server reads exactly Content-Length

    asyncio.run(scenario())
    assert received == ["POST /search HTTP/1.1"]  # the server read Content-Length bytes
    (sent,) = writes  # sent when it passed WRITE_HELD, with the head, not held for the read
    assert sent > size


class _Inner(httpcore.AsyncNetworkStream):
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return b"HTTP/1.1 200 OK\r\n"

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        self.written.append(buffer)

    async def aclose(self) -> None:
        self.closed = True


def test_held_writes_go_at_the_next_read_and_never_after_a_close() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes]]:
        sent = _Inner()
        stream = _OneWriteStream(sent)
        await stream.write(b"POST / HTTP/1.1\r\n\r\n")
        await stream.write(b"{}")
        assert sent.written == []
        await stream.read(100)
        await stream.write(b"x" * WRITE_HELD)  # a large body: sent without waiting for a read
        assert sent.written[-1] == b"x" * WRITE_HELD
        dropped = _Inner()
        closing = _OneWriteStream(dropped)
        await closing.write(b"POST / HTTP/1.1\r\n\r\n")
        await closing.aclose()
        assert dropped.closed
        return sent.written, dropped.written

    sent, dropped = asyncio.run(scenario())
    assert sent == [b"POST / HTTP/1.1\r\n\r\n{}", b"x" * WRITE_HELD]
    assert dropped == []


@pytest.mark.usefixtures("no_env_proxy")
def test_on_sent_is_called_once_the_request_is_on_the_wire_before_its_answer() -> None:
    """``post_json_deferred(on_sent=...)``: called as the request is written: the server then
    has it, while its answer has not come."""
    events: list[str] = []
    answer = asyncio.Event()

    async def slow(line: str, writer: asyncio.StreamWriter) -> None:
        events.append(f"arrived {line.split()[1]}")
        await answer.wait()
        await _ok(line, writer)

    async def scenario() -> None:
        async with (
            raw_server(slow) as served,
            ApiClient(tenant="t", base_url=served.url, settings=HttpSettings()) as api,
        ):
            sent = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(
                api.post_json_deferred(
                    "/search", json={"pageSize": 25}, on_sent=lambda: sent.set_result(None)
                )
            )
            await asyncio.wait_for(sent, 5)
            events.append("on_sent")
            for _ in range(500):  # the server reads it; no answer is sent meanwhile
                if len(events) == 2:
                    break
                await asyncio.sleep(0.01)
            assert set(events) == {"on_sent", "arrived /search"} and not task.done()
            answer.set()
            assert (await task).raw == {}
            events.append("answered")

    asyncio.run(scenario())
    assert set(events[:2]) == {"on_sent", "arrived /search"} and events[2:] == ["answered"]


def test_on_sent_ignores_the_connect_of_a_proxy_tunnel() -> None:
    """httpcore passes a request's extensions on to the ``CONNECT`` it tunnels it through: that
    one's trace events are not the request being written."""
    called: list[str] = []
    trace = _sent_tracer(lambda: called.append("sent"))

    def event(name: str, method: bytes) -> None:
        request = httpcore.Request(method, "https://vendor.test/search")

        async def call() -> None:
            await trace(name, {"request": request})

        asyncio.run(call())

    event(SENT_EVENT, b"CONNECT")
    event("http11.send_request_body.complete", b"POST")
    assert called == []
    event(SENT_EVENT, b"POST")
    assert called == ["sent"]


def test_is_readable_answers_as_httpcore_does_over_a_real_connection() -> None:
    """httpcore asks a pooled connection ``is_readable`` before reusing it (readable while idle:
    the server closed it). The connection answers from its socket, as httpcore's own stream
    (the reference) does: idle, with data waiting, with the server gone, and closed."""
    answers: list[tuple[bool, bool]] = []

    async def scenario() -> None:
        peers: list[asyncio.StreamWriter] = []

        async def keep(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peers.append(writer)

        server = await asyncio.start_server(keep, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        inner = await httpcore.AnyIOBackend().connect_tcp("127.0.0.1", port)
        stream = _OneWriteStream(inner)
        assert stream._socket is not None  # answered from the socket, not through anyio

        async def ask() -> None:
            await asyncio.sleep(0.05)  # what the server did has reached this end
            answers.append(
                (stream.get_extra_info("is_readable"), inner.get_extra_info("is_readable"))
            )

        await ask()  # idle
        peers[0].write(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
        await ask()  # data waiting
        await inner.read(1000)
        await ask()  # read: idle again
        peers[0].close()
        await ask()  # the server closed it
        server.close()
        await server.wait_closed()
        await stream.aclose()
        await ask()  # closed here

    asyncio.run(scenario())
    assert answers == [(False, False), (True, True), (False, False), (True, True), (True, True)]


@pytest.mark.usefixtures("no_env_proxy")
def test_is_readable_answers_as_httpcore_does_over_tls(tmp_path: Path) -> None:
    """The same over TLS: the pooled connection's answer is its raw socket's, as httpcore's
    TLS stream gives it: idle after a response, readable once the server has closed."""
    answers: list[tuple[bool, bool]] = []
    closing = asyncio.Event()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await _ok("", writer)
        await writer.drain()
        await closing.wait()
        writer.close()

    async def scenario() -> None:
        async with tls_client(tmp_path, on_connect) as api:
            await api.get_json("/a")
            (pooled,) = api._client._transport._pool.connections  # type: ignore[attr-defined]
            stream = pooled._connection._network_stream
            assert isinstance(stream, _OneWriteStream) and stream._socket is not None

            async def ask() -> None:
                await asyncio.sleep(0.05)
                answers.append(
                    (
                        stream.get_extra_info("is_readable"),
                        stream._inner.get_extra_info("is_readable"),
                    )
                )

            await ask()  # idle, kept alive
            closing.set()
            await ask()  # the server closed it

    asyncio.run(scenario())
    assert answers == [(False, False), (True, True)]
