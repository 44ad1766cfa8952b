"""The forms a secret value takes on its way into an output, and the views text is matched on:
``forms`` (plain, URL-quoted, JSON-, HTML- and CSV-escaped, base64 and base64url at each byte
alignment), ``fold`` (case folded one character for one) and ``project`` (letters and digits
alone). ``auditor.kernel.secretmatch`` re-exports every name."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

__all__ = ["FRAGMENT", "_NOT_ALNUM", "_base64_forms", "fold", "forms", "project"]

FRAGMENT = 12
"""Characters of a form a fragment is made of (``auditor.kernel.secretmatch``)."""

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_ALNUM_BYTES = bytes(b for b in range(256) if not (48 <= b <= 57 or 97 <= b <= 122))


def project(folded: str) -> str:
    """A case-folded text's ASCII letters and digits alone (``SecretSet.contains_loose``).
    ASCII text (every API response body, as JSON) takes ``bytes.translate``, some 25 times
    faster than the regular expression; both remove exactly the characters outside ``0-9a-z``."""
    if folded.isascii():
        return folded.encode("ascii").translate(None, _NOT_ALNUM_BYTES).decode("ascii")
    return _NOT_ALNUM.sub("", folded)


def fold(text: str) -> str:
    """Case-folded, one character for one character (``lower`` maps only U+0130 to two)."""
    return text.replace("\u0130", "i").lower()


def _base64_forms(raw: bytes) -> list[str]:
    """The characters of ``raw``'s base64 (standard and URL-safe) that depend on ``raw`` alone,
    for each of the three offsets ``raw`` can start at inside a larger encoded message."""
    out = []
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * pad + raw).decode("ascii").rstrip("=")
            start = 4 if pad else 0  # the first group mixes in the bytes before the value
            end = len(text) - (4 if (pad + len(raw)) % 3 else 0)  # so does the last one
            if end - start >= FRAGMENT:
                out.append(text[start:end])
    return out


def forms(value: str) -> set[str]:
    """Every form of ``value`` an output could carry (before folding)."""
    found = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
        value.replace('"', '""'),
        *_base64_forms(value.encode()),
    }
    return {f for f in found if f}
