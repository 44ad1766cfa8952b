"""Invisible characters, raw or escaped: what ``auditor.kernel.secretmatch`` ignores wherever it
sits in a text, so a secret broken up by zero-width, bidi or other format characters (or by their
escapes, ``\\u200b``, ``&#8203;``, ``&zwj;``, ``%E2%80%8B``) is still found. ``hidden`` gives the
ranges of a text a reader does not see; ``_safe_cut`` keeps a chunk boundary out of an escape.
``auditor.kernel.secretmatch`` re-exports every name."""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = [
    "INVISIBLE",
    "_ESCAPES",
    "_INVISIBLE_CHARS",
    "_INVISIBLE_RANGES",
    "_NAMED",
    "_escaped_invisible",
    "_safe_cut",
    "hidden",
]

# Unicode format characters (category Cf) and the other default-ignorable code points a
# renderer draws as nothing: variation selectors, the combining grapheme joiner, Hangul fillers.
# tests/auditor/test_secretmatch.py checks this against ``unicodedata``.
_INVISIBLE_RANGES = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef"
)
INVISIBLE = re.compile(f"[{_INVISIBLE_RANGES}]")
_INVISIBLE_CHARS = frozenset(
    chr(c)
    for first, _, last in re.findall(r"(.)(-(.))?", _INVISIBLE_RANGES)
    for c in range(ord(first), ord(last or first) + 1)
)
"""The same characters as a set: ``isdisjoint`` over a text is several times faster than the
regex, and most texts hold none."""
_ESCAPES = (
    # a bounded run of backslashes (escaped escapes): an unbounded one went quadratic on text
    # that is nothing but backslashes
    re.compile(r"\\{1,8}(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2}))"),
    re.compile(
        r"&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(shy|zwj|zwnj|lrm|rlm|ZeroWidthSpace));"
    ),
    re.compile(r"%[c-fC-F][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){1,3}"),  # URL-encoded UTF-8
)
"""Escaped characters; those that escape an invisible one are invisible too (an output that
escapes non-ASCII, such as JSON with ``ensure_ascii``, writes U+200B as ``\\u200b``). One
pattern per leading literal: each is searched for at C speed."""
_NAMED = {"shy": "\u00ad", "zwj": "\u200d", "zwnj": "\u200c", "lrm": "\u200e", "rlm": "\u200f"}
_NAMED["ZeroWidthSpace"] = "\u200b"


def _escaped_invisible(match: re.Match[str]) -> bool:
    text = match.group(0)
    try:
        if text[0] == "%":
            char = unquote(text, errors="strict")
        elif text[0] == "&" and match.group(3):
            char = _NAMED[match.group(3)]
        elif text[0] == "&" and match.group(2):
            char = chr(int(match.group(2)))
        else:
            char = chr(int(next(h for h in match.groups() if h), 16))
    except (ValueError, UnicodeDecodeError, OverflowError, StopIteration):
        return False
    return char in _INVISIBLE_CHARS


def hidden(text: str) -> list[tuple[int, int]]:
    """The ranges of ``text`` a reader does not see: invisible characters, raw or escaped."""
    found: list[tuple[int, int]] = []
    if not text.isascii() and not _INVISIBLE_CHARS.isdisjoint(text):
        found.extend((m.start(), m.end()) for m in INVISIBLE.finditer(text))
    for pattern, lead in zip(_ESCAPES, "\\&%", strict=True):
        if lead in text:
            found.extend(m.span() for m in pattern.finditer(text) if _escaped_invisible(m))
    found.sort()
    return found


def _safe_cut(text: str, at: int) -> int:
    """``at``, or the start of an escape sequence it would cut in two."""
    for pattern in _ESCAPES:
        for match in pattern.finditer(text, max(0, at - 16), at + 16):
            if match.start() < at < match.end():
                return match.start()
    return at
