"""The sandbox's HTTP connections: each response leaves in one ``send``.

uvicorn's h11 protocol writes a response's status line and headers, then its body, as two
writes: two segments on the wire. A vendor's front end sends a small JSON response in one. Two
matter here because the sandbox and the scan share a machine: the first segment wakes the
scanning process, which the kernel may then run at once, before the sandbox has written the
body, so that the scan wakes for headers it cannot use and the body waits for the sandbox to
get a CPU back (measured on a 2-vCPU VM at 20,000 ConductorOne clients: 10% of the sandbox's
writes took 0.6 to 3 ms, about 0.6 ms a request on average). ``OneWriteH11Protocol`` holds what a
connection writes until the event loop's next turn and sends it as one write: a response's
head and body, written in the same turn, go out together."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["OneWriteH11Protocol"]


class _HeldWrites:
    """A transport whose writes are held until the loop's next turn, then sent as one; every
    other attribute is the wrapped transport's."""

    def __init__(self, inner: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = inner
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self._flush)
        self._held.append(bytes(data))

    def _flush(self) -> None:
        if self._held:
            data, self._held = b"".join(self._held), []
            if not self._inner.is_closing():
                self._inner.write(data)

    def close(self) -> None:
        self._flush()  # what was written goes before the close, as with the transport itself
        self._inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class OneWriteH11Protocol(H11Protocol):
    """uvicorn's h11 protocol over a ``_HeldWrites`` transport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        held = _HeldWrites(transport, asyncio.get_running_loop())
        super().connection_made(cast(asyncio.Transport, held))
