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
set lookup per ``STRIDE`` characters: about 40 MB/s, the reference way.

Values shorter than ``MIN_SECRET`` are ignored (they would match ordinary words); a value shorter
than ``FRAGMENT`` is matched only whole. The values never leave this object: no repr, no message.

The invisible characters and their escapes (``INVISIBLE``, ``hidden``, ``_safe_cut``) are in
``auditor.kernel.invisible``; the forms of a value and the folded views (``forms``, ``fold``,
``project``, ``FRAGMENT``) in ``auditor.kernel.secretforms``. Both are re-exported here.

**Performance boundary.** Clean text is by far the common case (every output is checked whole
before it is written), so before the anchor lookups a text is first searched with one RE2
pattern, the alternation of every ``FRAGMENT``-character window (``_Prefilter``: a DFA in C, about
ten times the anchors' throughput, ``benchmarks/bench_secretmatch.py``). It answers exactly "does
any window occur", so a text it passes holds no fragment; a text it flags, a text RE2 cannot take
(a lone surrogate is not UTF-8) and a set whose pattern RE2 refuses (too large for
``PREFILTER_MEMORY``) all go the reference way above, which also finds the spans.
``tests/auditor/test_secretmatch.py`` holds the two ways to the same answers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import Any

import re2
from pydantic import SecretStr

from auditor.kernel.invisible import _ESCAPES as _ESCAPES
from auditor.kernel.invisible import _INVISIBLE_CHARS as _INVISIBLE_CHARS
from auditor.kernel.invisible import _INVISIBLE_RANGES as _INVISIBLE_RANGES
from auditor.kernel.invisible import _NAMED as _NAMED
from auditor.kernel.invisible import INVISIBLE, hidden
from auditor.kernel.invisible import _escaped_invisible as _escaped_invisible
from auditor.kernel.invisible import _safe_cut as _safe_cut
from auditor.kernel.secretforms import _NOT_ALNUM as _NOT_ALNUM
from auditor.kernel.secretforms import FRAGMENT, fold, forms, project
from auditor.kernel.secretforms import _base64_forms as _base64_forms

__all__ = [
    "ANCHOR",
    "BLOCK",
    "CHUNK",
    "FRAGMENT",
    "INVISIBLE",
    "MIN_SECRET",
    "PREFILTER_MIN",
    "STRIDE",
    "WITHHELD",
    "_ESCAPES",
    "_INVISIBLE_CHARS",
    "_INVISIBLE_RANGES",
    "_NAMED",
    "_NOT_ALNUM",
    "SecretSet",
    "_base64_forms",
    "_escaped_invisible",
    "_safe_cut",
    "fold",
    "forms",
    "hidden",
    "project",
]

ANCHOR = 6
STRIDE = FRAGMENT - ANCHOR + 1
"""Any FRAGMENT-long run holds a whole ANCHOR-long window starting at a multiple of STRIDE."""
BLOCK = STRIDE * 512
"""Anchors looked up at once; a block with a hit (rare: about 1 in 300 on hex-heavy text) is
then slid over window by window, so a block is kept small."""
CHUNK = 1 << 22
"""Characters ``contains`` reads at a time."""
MIN_SECRET = 8
PREFILTER_MIN = 1024
"""Views shorter than this skip the prefilter: RE2's search lets go of the interpreter lock and
must get it back, which with another thread at work costs about 30 us, more than the anchor
lookups of a short view (about 20 us for 1,024 characters, ``benchmarks/bench_secretmatch.py``)."""
PREFILTER_MEMORY = 256 << 20
"""RE2's memory budget for the prefilter (its default, 8 MiB, holds some 50,000 windows; a scan's
bearer tokens can add more)."""
WITHHELD = "[withheld: matched a secret]"


class _Prefilter:
    """One RE2 pattern: the alternation of ``windows`` (see the module docstring), made when first
    needed after the windows changed (``stale``)."""

    def __init__(self, windows: set[str]) -> None:
        self._windows = windows
        self._pattern: Any = None  # None: to make; False: RE2 refused it

    def stale(self) -> None:
        self._pattern = None

    def may_hold(self, view: str) -> bool:
        """Whether ``view`` may hold one of the windows: ``False`` only when the pattern searched
        it and found none."""
        pattern = self._pattern
        if pattern is None:
            options = re2.Options()
            options.max_mem = PREFILTER_MEMORY
            options.log_errors = False
            try:
                pattern = re2.compile("|".join(map(re2.escape, sorted(self._windows))), options)
            except re2.error:
                pattern = False
            self._pattern = pattern
        if pattern is False:
            return True
        try:
            return pattern.search(view) is not None
        except UnicodeEncodeError:  # a lone surrogate: RE2 takes UTF-8 only
            return True


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
        self._prefilter = _Prefilter(self._windows)
        self._loose_prefilter = _Prefilter(self._loose_windows)
        for value in values:
            self.add(value)

    def __repr__(self) -> str:  # never the values
        return f"SecretSet({self._count} values)"

    def __bool__(self) -> bool:
        return self._count > 0

    @property
    def generation(self) -> int:
        """Grows with every value added: a text found clean at one generation may hold a
        fragment of a value added since."""
        return self._count

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
        self._prefilter.stale()
        self._loose_prefilter.stale()
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
        if windows and n >= FRAGMENT and (n < PREFILTER_MIN or self._prefilter.may_hold(view)):
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
        return self._loose_hit(project(fold(text)))

    def _loose_hit(self, view: str) -> bool:
        """Whether a projected view (``project(fold(text))``) holds a loose window."""
        if len(view) < FRAGMENT or (
            len(view) >= PREFILTER_MIN and not self._loose_prefilter.may_hold(view)
        ):
            return False
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
