"""Reading a response body within bounds: a cap on bytes (before and after decompression) and a
deadline for the whole response, not only for each read.

httpx decodes ``Content-Encoding`` one network chunk at a time without limit, so a few kB of gzip
can expand to gigabytes before anyone counts. Here the raw stream is read and decoded with
``zlib``'s ``max_length``, so no more than the cap (plus one chunk) is ever held; a declared
``Content-Length`` over the cap is refused before the body is read at all.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import httpx

CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body would exceed the cap; ``declared`` when ``Content-Length`` said so up front."""

    def __init__(self, cap: int, *, declared: int | None = None) -> None:
        super().__init__(cap, declared)
        self.cap = cap
        self.declared = declared


class BadEncoding(Exception):
    """A ``Content-Encoding`` we do not decode, or compressed data that does not decompress."""


def refusal(exc: BodyTooLarge | BadEncoding) -> str:
    """What a message says of a body ``read_bounded`` refused."""
    if isinstance(exc, BadEncoding):
        return f"an unreadable body: {exc}"
    said = f"declared as {exc.declared} bytes, more" if exc.declared is not None else "larger"
    return f"a body {said} than the {exc.cap} bytes allowed (http.max_body_bytes); refused"


class _Decoder:
    """Incremental, bounded decoding of one ``Content-Encoding`` (identity, gzip, deflate)."""

    def __init__(self, encoding: str) -> None:
        encodings = [e.strip().lower() for e in encoding.split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        if len(encodings) > 1:
            raise BadEncoding(f"stacked content encodings ({encoding[:60]!a})")
        self.kind = encodings[0] if encodings else "identity"
        if self.kind not in ("identity", "gzip", "x-gzip", "deflate"):
            raise BadEncoding(f"unsupported content encoding {self.kind[:40]!a}")
        self._wbits = zlib.MAX_WBITS | 16 if "gzip" in self.kind else zlib.MAX_WBITS
        self._z = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> list[bytes]:
        """Decode ``data``; stop as soon as more than ``room`` bytes have come out."""
        if self.kind == "identity":
            return [data]
        out: list[bytes] = []
        produced = 0
        while data and produced <= room:
            try:
                piece = self._z.decompress(data, room - produced + 1)
            except zlib.error as exc:
                if self.kind == "deflate" and not self._started:  # raw deflate, no zlib header
                    self._wbits = -zlib.MAX_WBITS
                    self._z = zlib.decompressobj(self._wbits)
                    self._started = True
                    continue
                raise BadEncoding(f"{self.kind} data does not decompress ({exc})") from None
            self._started = True
            out.append(piece)
            produced += len(piece)
            if self._z.eof:  # another gzip member may follow
                data = self._z.unused_data
                self._z = zlib.decompressobj(self._wbits)
            else:
                data = self._z.unconsumed_tail
        return out


async def read_bounded(
    response: httpx.Response,
    *,
    cap: int,
    clock: Callable[[], float] | None = None,
    deadline: float | None = None,
) -> bytes:
    """The decoded body of a streamed ``response``, at most ``cap`` bytes (raw and decoded).

    Raises ``BodyTooLarge``, ``BadEncoding``, or ``TimeoutError`` when ``clock()`` passes
    ``deadline`` between chunks (a server dripping bytes never trips a per-read timeout). The
    response's ``content`` is set, so ``json()`` and ``text`` work as after ``aread()``."""
    declared = response.headers.get("Content-Length")
    if declared is not None:
        try:
            length = int(declared.strip())
        except ValueError:
            length = None
        if length is not None and length > cap:
            raise BodyTooLarge(cap, declared=length)
    if hasattr(response, "_content"):  # already in memory (an in-process test transport)
        if len(response.content) > cap:
            raise BodyTooLarge(cap)
        return response.content
    decoder = _Decoder(response.headers.get("Content-Encoding", ""))
    parts: list[bytes] = []
    raw = decoded = 0
    async for chunk in response.aiter_raw(CHUNK):
        raw += len(chunk)
        if raw > cap:
            raise BodyTooLarge(cap)
        for piece in decoder.feed(chunk, cap - decoded):
            decoded += len(piece)
            if decoded > cap:
                raise BodyTooLarge(cap)
            parts.append(piece)
        if clock is not None and deadline is not None and clock() > deadline:
            raise TimeoutError
    body = b"".join(parts)
    response._content = body  # what aread() sets; httpx offers no public way to supply it
    return body
