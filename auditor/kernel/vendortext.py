"""Vendor text made fit for our messages (``auditor.kernel.http``): ``clean_vendor_text`` withholds
the scan's secrets from the raw text, then redacts token-looking strings, removes control and
invisible characters and bounds the length; ``default_error_parser`` picks the vendor's error text
out of a body nobody described; ``parse_retry_after`` reads a ``Retry-After`` header."""

from __future__ import annotations

import email.utils
import re

import httpx

from auditor.kernel.secretmatch import INVISIBLE, WITHHELD, SecretSet

__all__ = ["LOCATION_LIMIT", "clean_vendor_text", "default_error_parser", "parse_retry_after"]

LOCATION_LIMIT = 200
"""A redirect's ``Location`` is vendor text: quoted cleaned, secrets withheld, this long at most."""


_REDACTIONS = (
    (re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), "[redacted token]"),
    (re.compile(r"secret-token:\S+"), "[redacted secret]"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer [redacted]"),
    # a token endpoint that echoes the form it was sent (client_secret=…&…)
    (
        re.compile(
            r"(?i)\b(client_secret|client_assertion|password|secret|access_token)=[^&\s\"']+"
        ),
        r"\1=[redacted]",
    ),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_vendor_text(text: str, limit: int = 300, *, secrets: SecretSet | None = None) -> str:
    """Vendor text fit for our messages: single line, bounded, no token-looking strings.

    ``secrets`` are withheld first, from the raw text: a fragment cut in two by ``limit``, or
    rejoined when invisible characters are removed, is found before either happens."""
    if secrets is not None:
        text = secrets.redact(text)
        if secrets.contains_loose(text):  # a secret broken up by separators: withheld whole
            text = WITHHELD
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    text = INVISIBLE.sub("", _CONTROL.sub(" ", text)).replace("\n", " ").strip()
    if len(text) <= limit:
        return text
    at = text.find(WITHHELD, max(0, limit - len(WITHHELD)), limit + len(WITHHELD))
    if at != -1 and at < limit < at + len(WITHHELD):  # never cut the mark itself: it is how
        return text[:at] + WITHHELD + "…"  # the coverage learns that text was withheld
    return text[:limit] + "…"


def default_error_parser(response: httpx.Response) -> str | None:
    """Best effort for bodies nobody described: ``message``/``error``/``detail`` or raw text."""
    try:
        body = response.json()
    except ValueError:
        return response.text or None
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return None


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
