"""Vendor text made visible: no character may draw as nothing, or as something else.

A credential name holding U+202E (right-to-left override) displays reversed; zero-width and other
format characters hide inside a word; NUL, ESC and BEL are not text at all. Every human-facing
format (HTML, Markdown, CSV) passes vendor text through ``visible`` so each such character shows
the same way everywhere, as ``<U+XXXX>``: controls (Unicode category Cc), format characters (Cf:
bidi controls, zero-width), surrogates, private-use and unassigned code points, the line and
paragraph separators, and the other default-ignorable characters ``secretmatch.INVISIBLE`` lists
(variation selectors, Hangul fillers, …). ``keep`` names characters a format handles itself
(a line break inside a CSV cell). The format's own escaping (HTML autoescaping, Markdown
backslashes) still runs afterwards, on the marks too.
"""

from __future__ import annotations

import unicodedata

from auditor.kernel.secretmatch import INVISIBLE

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def mark(char: str) -> str:
    """How a hidden character is shown: ``<U+202E>``."""
    return f"<U+{ord(char):04X}>"


def is_hidden(char: str) -> bool:
    return unicodedata.category(char) in HIDDEN_CATEGORIES or INVISIBLE.fullmatch(char) is not None


def visible(value: object, *, keep: str = "") -> str:
    """``value`` as text with every hidden character (see the module docstring) but those in
    ``keep`` replaced by its ``<U+XXXX>`` mark."""
    text = "" if value is None else str(value)
    if text.isprintable() and INVISIBLE.search(text) is None:
        return text  # the common case: nothing to do
    return "".join(mark(c) if c not in keep and is_hidden(c) else c for c in text)
