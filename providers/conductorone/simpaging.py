"""Opaque, request-bound page tokens and page-size clamping for the simulated tenant.

Real tokens are opaque (docs/vendors/conductorone.md §3), so clients must send them back unchanged
with the same request. The simulator's tokens are an offset plus a digest of the request's filters,
HMAC-signed: a forged, truncated or cross-request token is a 400 ``INVALID_ARGUMENT``, as a server
that cannot decode its own cursor would answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

DEFAULT_PAGE_SIZE = 25  # docs/vendors/conductorone.md §3; SearchUsersRequest.pageSize
MIN_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


class PageError(ValueError):
    """The request's page size or page token is unusable."""


def clamp_page_size(value: Any) -> int:
    """0 or absent: 25; below 10: 10; above 100: 100. int32 may arrive as a JSON string."""
    if value is None or value == "":
        return DEFAULT_PAGE_SIZE
    if isinstance(value, bool):
        raise PageError("pageSize must be an integer")
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise PageError(f"invalid value for int32 field pageSize: {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise PageError("pageSize must be an integer")
    if value < 0:
        raise PageError("pageSize must not be negative")
    if value == 0:
        return DEFAULT_PAGE_SIZE
    return max(MIN_PAGE_SIZE, min(MAX_PAGE_SIZE, value))


class Pager:
    """Issues and checks page tokens with a per-simulator key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _digest(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()[:24]

    def encode(self, offset: int, request_key: str) -> str:
        payload = json.dumps({"o": offset, "r": hashlib.sha256(request_key.encode()).hexdigest()})
        raw = payload.encode()
        token = raw + b"." + self._digest(raw).encode()
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode()

    def decode(self, token: str, request_key: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload, _, digest = raw.rpartition(b".")
            if not hmac.compare_digest(digest.decode(), self._digest(payload)):
                raise PageError("invalid page token")
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PageError("invalid page token") from exc
        if data.get("r") != hashlib.sha256(request_key.encode()).hexdigest():
            raise PageError("page token does not belong to this request")
        offset = data.get("o")
        if not isinstance(offset, int) or offset < 0:
            raise PageError("invalid page token")
        return offset

    def window(self, total: int, size: Any, token: Any, request_key: str) -> tuple[int, int, str]:
        """(start, end, next token or "") for one page of ``total`` items."""
        page_size = clamp_page_size(size)
        if token is not None and not isinstance(token, str):
            raise PageError("pageToken must be a string")
        start = self.decode(token, request_key) if token else 0
        end = min(total, start + page_size)
        return start, end, self.encode(end, request_key) if end < total else ""
