"""A raw-socket loopback HTTP server for hostile-vendor tests: each request is answered
by a coroutine writing whatever bytes it likes (a gzip bomb, a lying ``Content-Length``, one byte
at a time, nothing at all). Bounded: it serves on 127.0.0.1 only, stops with its ``async with``,
and counts what it sent so a test can show how much the client read before giving up."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Handler = Callable[[str, asyncio.StreamWriter], Awaitable[None]]
"""(request line, writer) → writes the response."""


@dataclass
class Served:
    url: str = ""
    requests: list[str] = field(default_factory=list)
    sent: int = 0
    """Body bytes written before the client went away (or the handler finished)."""


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[Served]:
    served = Served()
    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                length = 0
                for header in head.split(b"\r\n")[1:]:
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length:
                    await reader.readexactly(length)
                served.requests.append(line)
                await handler(line, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    served.url = f"http://127.0.0.1:{port}"
    try:
        yield served
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def head(status: int = 200, **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def bomb_block(wbits: int, size: int = 1 << 20) -> tuple[bytes, bytes]:
    """(stream header + first block, a block to repeat): ``size`` zero bytes per block, full-
    flushed so that blocks are independent and the stream can be made as long as wanted."""
    z = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = z.compress(b"\0" * size) + z.flush(zlib.Z_FULL_FLUSH)
    block = z.compress(b"\0" * size) + z.flush(zlib.Z_FULL_FLUSH)
    return first, block


def bomb(encoding: str, served: Served, blocks: int) -> Handler:
    """A ``Content-Encoding`` bomb: about ``blocks`` MiB of zeros, sent a few kB at a time."""
    wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
    first, block = bomb_block(wbits)

    async def handle(line: str, writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, Content_Type="application/json", Content_Encoding=encoding,
                          Transfer_Encoding="chunked"))  # fmt: skip
        for index in range(blocks):
            data = first if index == 0 else block
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            served.sent += len(data)
            await writer.drain()

    return handle
