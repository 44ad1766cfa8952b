"""A printed report as its reader sees it: each PDF page rendered to pixels, and its text.

Chromium's ``page.pdf`` writes the PDF; PDFium (pypdfium2) renders every page to a greyscale
bitmap (``Page.png()`` writes it as a PNG file) and gives each character's box, font size and
transformation. ``test_pdf.py`` checks these rather than the DOM, so it sees what the paper shows:
ink cut by the page edge, a repeated header missing columns, a badge broken over two lines, a
heading left alone at the foot of a page.

Coordinates are pixels from the page's top-left corner at 96 dpi, so one pixel is one CSS px.
"""

from __future__ import annotations

import ctypes
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as raw  # type: ignore[import-untyped]

DPI = 96  # one pixel per CSS px: the page's margins and boxes keep their CSS sizes
SCALE = DPI / 72  # PDF canvas units (1/72 in) to pixels
SAME_LINE = 3  # px; lines of text are at least 13 px apart (9 px type, line height 1.5)
EDGE = 2  # px inside the right and bottom edges where only straight rules may have ink
RULE = 30  # px: longer than any stroke of a glyph at the report's type sizes (at most 24 px)
INK = 200  # a grey value darker than this is ink (the palest border, --line #d9dee4, is ~220)


@dataclass(frozen=True)
class Word:
    text: str
    left: float
    right: float


@dataclass(frozen=True)
class Line:
    """Characters on one baseline, left to right: a visual line across the page (the cells of a
    table row that share a baseline are one line)."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    size: float  # the largest font size on the line, CSS px as the page's CSS set it
    scale: float  # PDF points per CSS px of the line's text: 0.75 when printed at 100 %
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    width: int
    height: int
    grey: bytes  # one byte per pixel, row after row, ``width`` bytes a row
    lines: tuple[Line, ...]  # top to bottom

    def ink(self, x: int, y: int) -> bool:
        return self.grey[y * self.width + x] < INK

    def first_ink(self, x0: int, y0: int, x1: int, y1: int) -> tuple[int, int] | None:
        """The first ink pixel, row by row, in the rectangle ``[x0, x1) x [y0, y1)``."""
        for y in range(y0, y1):
            row = self.grey[y * self.width + x0 : y * self.width + x1]
            if row and min(row) < INK:
                return x0 + next(i for i, v in enumerate(row) if v < INK), y
        return None

    def png(self) -> bytes:
        return grey_png(self.width, self.height, self.grey)


def read(pdf: bytes) -> list[Page]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [_page(doc[i], i + 1) for i in range(len(doc))]
    finally:
        doc.close()


def _page(page: Any, number: int) -> Page:
    bitmap = page.render(scale=SCALE, grayscale=True)
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride
    data = bytes(bitmap.buffer)
    grey = b"".join(data[y * stride : y * stride + width] for y in range(height))
    textpage = page.get_textpage()
    try:
        lines = _lines(_chars(textpage, page.get_height()))
    finally:
        textpage.close()
        page.close()
    return Page(number, width, height, grey, lines)


@dataclass(frozen=True)
class _Char:
    ch: str
    left: float
    top: float
    right: float
    bottom: float
    size: float
    scale: float
    word_start: bool  # PDFium saw a space or a line break before it


def _chars(textpage: Any, page_height: float) -> list[_Char]:
    """Every drawn character with its font box (loose: the font's ascent to descent), and its
    size; PDFium's generated spaces and line breaks only mark word starts."""
    handle = textpage.raw
    box = raw.FS_RECTF()
    matrix = raw.FS_MATRIX()
    chars: list[_Char] = []
    gap = True
    for i in range(raw.FPDFText_CountChars(handle)):
        code = raw.FPDFText_GetUnicode(handle, i)
        ch = "-" if code in (0x02, 0xFFFE) or raw.FPDFText_IsHyphen(handle, i) == 1 else chr(code)
        if ch.isspace() or raw.FPDFText_IsGenerated(handle, i) == 1:
            gap = True
            continue
        raw.FPDFText_GetLooseCharBox(handle, i, ctypes.byref(box))
        raw.FPDFText_GetMatrix(handle, i, ctypes.byref(matrix))
        chars.append(
            _Char(
                ch,
                box.left * SCALE,
                (page_height - box.top) * SCALE,
                box.right * SCALE,
                (page_height - box.bottom) * SCALE,
                raw.FPDFText_GetFontSize(handle, i),
                round(math.hypot(matrix.a, matrix.b), 4),
                gap,
            )
        )
        gap = False
    return chars


def _lines(chars: list[_Char]) -> tuple[Line, ...]:
    """Group characters whose font boxes are centred within ``SAME_LINE`` px of each other (text
    of different sizes side by side, as in a table row, sits on slightly different baselines),
    then read each group left to right."""
    lines: list[Line] = []
    group: list[_Char] = []
    for c in sorted(chars, key=lambda c: c.top + c.bottom):
        if group and (c.top + c.bottom - group[0].top - group[0].bottom) / 2 > SAME_LINE:
            lines.append(_line(group))
            group = []
        group.append(c)
    if group:
        lines.append(_line(group))
    return tuple(lines)


def _line(group: list[_Char]) -> Line:
    group.sort(key=lambda c: c.left)
    words: list[list[_Char]] = []
    for c in group:
        if not words or c.word_start or c.left - words[-1][-1].right > 0.25 * c.size:
            words.append([])
        words[-1].append(c)
    scales = [c.scale for c in group]
    return Line(
        " ".join("".join(c.ch for c in w) for w in words),
        min(c.left for c in group),
        min(c.top for c in group),
        max(c.right for c in group),
        max(c.bottom for c in group),
        max(c.size for c in group),
        max(set(scales), key=scales.count),
        tuple(Word("".join(c.ch for c in w), w[0].left, w[-1].right) for w in words),
    )


def edge_problems(page: Page, box: tuple[int, int, int, int]) -> list[str]:
    """What crosses the printable area ``box`` (left, top, right, bottom; pixels, exclusive
    right and bottom): ink in the margins, text beyond the area (clipped, so only the text layer
    still has it), and ink in the last ``EDGE`` px inside the right or bottom edge that is not a
    straight rule (a border or a page-wide line may end at the edge; a glyph or a picture cut by
    the edge may not)."""
    left, top, right, bottom = box
    w, h = page.width, page.height
    found: list[str] = []
    margins = {
        "left": (0, 0, left, h),
        "top": (0, 0, w, top),
        "right": (right, 0, w, h),
        "bottom": (0, bottom, w, h),
    }
    for side, area in margins.items():
        if (at := page.first_ink(*area)) is not None:
            found.append(f"page {page.number}: ink in the {side} margin at {at}")
    for line in page.lines:
        if line.right > right or line.bottom > bottom:
            found.append(f"page {page.number}: text beyond the printable area: {line.text[:60]!r}")
    for x in range(right - EDGE, right):
        cut = [y for y in range(top, bottom) if page.ink(x, y) and not _on_rule(page, x, y)]
        if cut:
            found.append(f"page {page.number}: ink cut by the right edge at ({x}, {cut[0]})")
    for y in range(bottom - EDGE, bottom):
        cut = [x for x in range(left, right) if page.ink(x, y) and not _on_rule(page, x, y)]
        if cut:
            found.append(f"page {page.number}: ink cut by the bottom edge at ({cut[0]}, {y})")
    return found


def split_words(page: Page, words: set[str]) -> list[str]:
    """Words broken over two lines: a line holds a proper start of one (two characters at least)
    and a line just below it, overlapping it across, holds the rest ("CRITICA" above "L")."""
    found = []
    for i, line in enumerate(page.lines):
        below = [b for b in page.lines[i + 1 :] if b.top - line.top < 2.5 * line.size]
        for head in line.words:
            for word in words:
                if len(head.text) < 2 or head.text == word or not word.startswith(head.text):
                    continue
                rest = word[len(head.text) :]
                if any(
                    w.text.startswith(rest) and w.left < head.right and w.right > head.left
                    for b in below
                    for w in b.words
                ):
                    found.append(f"page {page.number}: {head.text!r} + {rest!r}")
    return found


def _on_rule(page: Page, x: int, y: int) -> bool:
    """Is the ink pixel part of a straight run of at least ``RULE`` px, across or down?"""

    def run(dx: int, dy: int) -> int:
        n, cx, cy = 0, x + dx, y + dy
        while 0 <= cx < page.width and 0 <= cy < page.height and page.ink(cx, cy):
            n, cx, cy = n + 1, cx + dx, cy + dy
        return n

    return 1 + run(-1, 0) + run(1, 0) >= RULE or 1 + run(0, -1) + run(0, 1) >= RULE


def grey_png(width: int, height: int, grey: bytes) -> bytes:
    """An 8-bit greyscale PNG (RFC 2083) of the bitmap, for a person to look at."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + grey[y * width : (y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 6))
        + chunk(b"IEND", b"")
    )


def save(pages: list[Page], directory: Path, stem: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in pages:
        path = directory / f"{stem}-page{p.number:02d}.png"
        path.write_bytes(p.png())
        paths.append(path)
    return paths
