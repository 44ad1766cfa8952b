"""Issue 15: whatever a vendor sends, one request stays bounded in memory and time.

Loopback servers (``tests.rawserver``) send the hostile bytes; each is stopped by the test's own
``asyncio.timeout`` if the client ever failed to give up, so a regression fails, never hangs."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from typing import Any

import httpx
import pytest
import respx

from auditor.kernel.errors import (
    DeadlineError,
    RateLimitedError,
    ResponseFormatError,
    TransportError,
)
from auditor.kernel.http import ApiClient, HttpSettings
from tests.fakes import FakeTime
from tests.rawserver import Served, bomb, head, raw_server

MiB = 1024 * 1024
GUARD = 20.0  # seconds after which the test itself gives up: a hang is a failure, not a wait


def client(url: str, settings: HttpSettings, **kwargs: Any) -> ApiClient:
    return ApiClient(tenant="t1", base_url=url, settings=settings, **kwargs)


async def fetch(served: Served, settings: HttpSettings, path: str = "/x", **kw: Any) -> Any:
    async with asyncio.timeout(GUARD), client(served.url, settings, **kw) as api:
        return await api.get_json(path)


def run_bomb(encoding: str) -> tuple[str, int]:
    async def go() -> tuple[str, int]:
        async with raw_server(bomb(encoding, Served(), blocks=20_000)) as served:  # ≈ 20 GiB
            tracemalloc.start()
            try:
                with pytest.raises(ResponseFormatError) as caught:
                    await fetch(served, HttpSettings(max_body_bytes=MiB, max_retries=0), "/bomb")
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            return str(caught.value), peak

    return asyncio.run(go())


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_stops_at_the_cap_naming_the_endpoint(encoding: str) -> None:
    message, peak = run_bomb(encoding)
    assert "GET /bomb" in message and "max_body_bytes" in message
    assert peak < 8 * MiB  # the cap is 1 MiB; the bomb would decode to 20 GiB


def test_a_raw_deflate_stream_is_read_like_a_zlib_one() -> None:
    import zlib

    z = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = z.compress(b'{"ok": true}') + z.flush()

    async def answer(line: str, writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, Content_Encoding="deflate", Content_Length=str(len(body))) + body)

    async def go() -> Any:
        async with raw_server(answer) as served:
            return await fetch(served, HttpSettings())

    assert asyncio.run(go()) == {"ok": True}


def test_a_huge_declared_content_length_is_refused_before_reading() -> None:
    async def answer(line: str, writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, Content_Length="5000000000") + b"[" * 1000)
        await asyncio.sleep(GUARD)  # would take forever to deliver 5 GB

    async def go() -> str:
        async with raw_server(answer) as served:
            with pytest.raises(ResponseFormatError) as caught:
                await fetch(served, HttpSettings(max_retries=0))
            return str(caught.value)

    message = asyncio.run(go())
    assert "GET /x" in message and "declared as 5000000000 bytes" in message


def test_an_endless_plain_body_stops_at_the_cap() -> None:
    async def answer(line: str, writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, Transfer_Encoding="chunked"))
        chunk = b"[" * 65536
        while True:
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()

    async def go() -> str:
        async with raw_server(answer) as served:
            with pytest.raises(ResponseFormatError) as caught:
                await fetch(served, HttpSettings(max_body_bytes=MiB, max_retries=0))
            return str(caught.value)

    assert "max_body_bytes" in asyncio.run(go())


def test_a_dripping_response_ends_at_its_own_deadline_not_the_read_timeout() -> None:
    async def answer(line: str, writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, Content_Length="100000"))
        while True:  # one byte at a time: every read succeeds well within read_timeout
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.02)

    async def go() -> tuple[str, int]:
        settings = HttpSettings(read_timeout=10, response_timeout=0.3, max_retries=4)
        async with raw_server(answer) as served:
            with pytest.raises(TransportError) as caught:
                await fetch(served, settings)
            return str(caught.value), len(served.requests)

    message, requests = asyncio.run(go())
    assert "did not complete within 0.3 s" in message and "response_timeout" in message
    assert requests == 1  # not retried: it would drip again


class _Token:
    async def get_token(self, api: ApiClient) -> str:
        body = await api.post_form("/token", data={"grant_type": "client_credentials"})
        return str(body["access_token"])

    def invalidate(self) -> None:
        return None


def test_a_token_endpoint_that_never_answers_ends_at_the_tenant_deadline() -> None:
    async def silent(line: str, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(GUARD)  # accepts, reads the request, never answers

    async def go() -> tuple[str, Served]:
        settings = HttpSettings(read_timeout=30, response_timeout=60, max_retries=8)
        async with raw_server(silent) as served:
            deadline = time.monotonic() + 0.5
            with pytest.raises(DeadlineError) as caught:
                await fetch(served, settings, auth=_Token(), deadline=deadline)
            return str(caught.value), served

    message, served = asyncio.run(go())
    assert "POST /token" in message and "tenant_timeout" in message
    assert len(served.requests) == 1  # no retry once the tenant's time is up


@respx.mock(base_url="https://api.example.test")
def test_429_forever_with_a_huge_retry_after_stops_at_the_tenant_deadline(
    respx_mock: respx.MockRouter,
) -> None:
    fake = FakeTime()
    respx_mock.get("/x").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "999999999"})
    )
    settings = HttpSettings(max_retries=10, retry_after_cap=60, tenant_timeout=150)

    async def go() -> None:
        async with client("https://api.example.test", settings, sleep=fake.sleep,
                          clock=fake.clock, deadline=fake.now + 150) as api:  # fmt: skip
            await api.get_json("/x")

    with pytest.raises(DeadlineError, match=r"HTTP 429.*tenant_timeout"):
        asyncio.run(go())
    assert fake.sleeps == [60.0, 60.0]  # a third would pass the deadline: not ten waits


def test_we_ask_only_for_encodings_we_decode_and_refuse_others() -> None:
    seen: list[str] = []

    async def answer(line: str, writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, Content_Encoding="br", Content_Length="4") + b"\x0b\x01\x80[")

    async def go() -> str:
        async with raw_server(answer) as served:
            async with asyncio.timeout(GUARD), client(served.url, HttpSettings()) as api:
                seen.append(api._client.headers["Accept-Encoding"])
                with pytest.raises(ResponseFormatError) as caught:
                    await api.get_json("/x")
            return str(caught.value)

    assert "unsupported content encoding 'br'" in asyncio.run(go())
    assert seen == ["gzip, deflate"]


@pytest.mark.parametrize(
    ("max_retries", "method", "raised", "sleeps"),
    [
        # a retry would follow, and its wait would pass the deadline: stopped, saying so
        (2, "GET", DeadlineError, []),
        # the last attempt, or a request never retried: its own error, not a "no retry" one
        (0, "GET", RateLimitedError, []),
        (2, "POST", RateLimitedError, []),
    ],
    ids=["a-retry-would-follow", "last-attempt", "never-retried"],
)
@respx.mock(base_url="https://api.example.test")
def test_the_deadline_stops_a_retry_only_when_one_would_follow(
    respx_mock: respx.MockRouter,
    max_retries: int,
    method: str,
    raised: type[Exception],
    sleeps: list[float],
) -> None:
    fake = FakeTime()
    respx_mock.route(path="/x").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "30"})
    )
    settings = HttpSettings(max_retries=max_retries, tenant_timeout=40)

    async def go() -> None:
        async with client("https://api.example.test", settings, sleep=fake.sleep,
                          clock=fake.clock, deadline=fake.now + 20) as api:  # fmt: skip
            if method == "GET":
                await api.get_json("/x")
            else:
                await api.post_json("/x", json={}, read_only=False)

    with pytest.raises(raised) as caught:
        asyncio.run(go())
    assert type(caught.value) is raised
    assert fake.sleeps == sleeps
