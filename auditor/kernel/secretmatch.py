"""Finding any fragment of a scan's secrets in text, in any form an output could carry it.

A ``SecretSet`` holds the secret values of one scan: the configured client secrets, the key
material a provider derives from them (``Provider.register_secrets``) and the bearer tokens the
HTTP layer receives (``ApiClient`` registers them). For each value it builds the forms a value
takes on its way into an output: plain, URL-quoted (``quote``, ``quote_plus``), JSON-escaped,
HTML-escaped, CSV-quoted, and base64/base64url at each of the three byte alignments (a value
inside a larger encoded blob, such as a Basic ``Authorization`` header). A *fragment* is any
``FRAGMENT`` (12) consecutive characters of any form, matched case-insensitively and with
invisible characters (zero-width, bidi and other format characters) ignored wherever they are,
raw or escaped (``\\u200b``, ``&#8203;``, ``&zwj;``, ``%E2%80%8B``).

Matching runs on a *view* of the text: invisible characters removed (their positions kept, so a
match maps back onto the original text) and case folded with ``str.lower``, which keeps one
character per character except U+0130, mapped to ``i`` first. Every 12-character window of every
form is in one set; so is every ``ANCHOR``-character window. A 12-character fragment always holds
an anchor at a multiple of ``STRIDE``, so a block of text is first checked by looking up only
those anchors, all in C (``set.isdisjoint`` over ``map``); only a block with an anchor hit is
slid over window by window. Clean text costs one pass of ``lower``, a set check for invisible
characters (none in ASCII text), a literal search for ``\\``, ``&`` and ``%`` (the escapes) and one
set lookup per ``STRIDE`` characters: about 40 MB/s (``benchmarks/bench_secretmatch.py``).

Values shorter than ``MIN_SECRET`` are ignored (they would match ordinary words); a value shorter
than ``FRAGMENT`` is matched only whole. The values never leave this object: no repr, no message.
"""

from __future__ import annotations

import base64
import bisect
import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote

from pydantic import SecretStr

FRAGMENT = 12
ANCHOR = 6
STRIDE = FRAGMENT - ANCHOR + 1
"""Any FRAGMENT-long run holds a whole ANCHOR-long window starting at a multiple of STRIDE."""
BLOCK = STRIDE * 512
"""Anchors looked up at once; a block with a hit (rare: about 1 in 300 on hex-heavy text) is
then slid over window by window, so a block is kept small."""
CHUNK = 1 << 22
"""Characters ``contains`` reads at a time."""
MIN_SECRET = 8
WITHHELD = "[withheld: matched a secret]"

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


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def project(folded: str) -> str:
    """A case-folded text's ASCII letters and digits alone (``SecretSet.contains_loose``)."""
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


class SecretSet:
    """The secrets of one scan, ready to be searched for (see the module docstring)."""

    def __init__(self, values: Iterable[str | SecretStr] = ()) -> None:
        self._windows: set[str] = set()
        self._anchors: set[str] = set()
        self._whole: set[str] = set()
        self._short: re.Pattern[str] | None = None
        self._prefixes: set[str] = set()
        self._loose_windows: set[str] = set()
        self._loose_anchors: set[str] = set()
        self._count = 0
        for value in values:
            self.add(value)

    def __repr__(self) -> str:  # never the values
        return f"SecretSet({self._count} values)"

    def __bool__(self) -> bool:
        return self._count > 0

    def add(self, value: str | SecretStr | None, *, public_prefix: str = "") -> None:
        """Register ``value``; a ``public_prefix`` it starts with (a format's constant text,
        such as ``secret-token:conductorone.com:v1:``) is not itself secret and is left out."""
        if value is None:
            return
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        if public_prefix and plain.startswith(public_prefix):
            plain = plain[len(public_prefix) :]
            self._prefixes.add(fold(public_prefix))
        plain = plain.strip()
        if len(INVISIBLE.sub("", plain)) < MIN_SECRET:
            return
        self._count += 1
        self._index(forms(plain))

    def add_bytes(self, raw: bytes) -> None:
        """Register binary key material: its base64 (standard and URL-safe) at each of the
        three byte offsets it can sit at inside a larger encoded structure (a PEM or DER key
        carries a seed at offset 16), and its hex."""
        if len(raw) < MIN_SECRET:
            return
        self._count += 1
        self._index([*_base64_forms(raw), raw.hex()])

    def _index(self, found: Iterable[str]) -> None:
        for form in found:
            view = fold(INVISIBLE.sub("", form))
            loose = project(view)
            for i in range(len(loose) - FRAGMENT + 1):
                self._loose_windows.add(loose[i : i + FRAGMENT])
            for i in range(len(loose) - ANCHOR + 1):
                self._loose_anchors.add(loose[i : i + ANCHOR])
            if len(view) < FRAGMENT:
                self._whole.add(view)
                continue
            for i in range(len(view) - FRAGMENT + 1):
                self._windows.add(view[i : i + FRAGMENT])
            for i in range(len(view) - ANCHOR + 1):
                self._anchors.add(view[i : i + ANCHOR])
        if self._whole:
            alternatives = sorted(self._whole, key=len, reverse=True)
            self._short = re.compile("|".join(map(re.escape, alternatives)))

    def add_all(self, values: Iterable[str | SecretStr]) -> None:
        for value in values:
            self.add(value)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The ``[start, end)`` ranges of ``text`` holding a fragment, merged, in order."""
        if not self._count or not text:
            return []
        removed = hidden(text)
        kept, keys, cumulative, last = [], [], [0], 0
        for start, end in removed:
            kept.append(text[last:start])
            keys.append(start - cumulative[-1])  # the view index the removed range sat at
            cumulative.append(cumulative[-1] + end - start)
            last = end
        view = fold("".join([*kept, text[last:]]) if removed else text)
        found = self._view_spans(view)
        if not found:
            return []

        def source(j: int) -> int:
            return j + cumulative[bisect.bisect_right(keys, j)]

        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            span = (source(self._with_prefix(view, start)), source(end - 1) + 1)
            if merged and span[0] <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
            else:
                merged.append(span)
        return merged

    def _with_prefix(self, view: str, start: int) -> int:
        """``start``, moved back over a public prefix right before it (so that the whole of
        ``secret-token:conductorone.com:v1:<key>`` is withheld, not all but its prefix)."""
        for prefix in self._prefixes:
            if view[max(0, start - len(prefix)) : start] == prefix:
                return start - len(prefix)
        return start

    def _view_spans(self, view: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        n = len(view)
        windows, get = self._windows, view.__getitem__
        if windows:
            for block in range(0, n, BLOCK):
                end = min(n, block + BLOCK)
                anchors = map(
                    get,
                    map(
                        slice, range(block, end, STRIDE), range(block + ANCHOR, n + ANCHOR, STRIDE)
                    ),
                )
                if self._anchors.isdisjoint(anchors):
                    continue
                for i in range(max(0, block - FRAGMENT), min(end, n - FRAGMENT + 1)):
                    if view[i : i + FRAGMENT] in windows:
                        found.append((i, i + FRAGMENT))
        if self._short is not None:
            found.extend(m.span() for m in self._short.finditer(view))
        return found

    def contains(self, text: str) -> bool:
        """Whether ``text`` holds a fragment; reads it in chunks, so a large output is never
        copied whole (the views of consecutive chunks, joined, are the view of the text)."""
        if not self._count or not text:
            return False
        carry, start = "", 0
        while start < len(text):
            end = _safe_cut(text, start + CHUNK) if start + CHUNK < len(text) else len(text)
            piece = text[start:end]
            removed = hidden(piece)
            if removed:
                bounds = [0, *(i for span in removed for i in span), len(piece)]
                piece = "".join(piece[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True))
            view = carry + fold(piece)
            if self._view_spans(view):
                return True
            carry, start = view[-(FRAGMENT - 1) :], end
        return False

    def contains_loose(self, text: str) -> bool:
        """Whether ``text``, with every character but letters and digits removed, holds a
        fragment of a secret's letters and digits: a secret broken up by separators a reader
        skips (spaces, line breaks, combining or unassigned characters, punctuation) every few
        characters. For vendor text at its source (``auditor.kernel.withhold.withhold_json``),
        where such a string is withheld whole."""
        if not self._loose_windows:
            return False
        view = project(fold(text))
        windows, anchors, get, n = (
            self._loose_windows,
            self._loose_anchors,
            view.__getitem__,
            len(view),
        )
        for block in range(0, n, BLOCK):
            end = min(n, block + BLOCK)
            starts = range(block, end, STRIDE)
            if anchors.isdisjoint(map(get, map(slice, starts, (i + ANCHOR for i in starts)))):
                continue
            for i in range(max(0, block - FRAGMENT), min(end, n - FRAGMENT + 1)):
                if view[i : i + FRAGMENT] in windows:
                    return True
        return False

    def redact(self, text: str, mark: str = WITHHELD) -> str:
        """``text`` with every fragment (and the invisible characters inside it) replaced."""
        spans = self.spans(text)
        if not spans:
            return text
        parts, last = [], 0
        for start, end in spans:
            parts.append(text[last:start])
            parts.append(mark)
            last = end
        parts.append(text[last:])
        return "".join(parts)
