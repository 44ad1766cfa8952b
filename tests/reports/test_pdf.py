"""The printed report (issue #17), checked on its PDF pages rendered to pixels, not on the DOM.

Chromium prints ``report.html`` with ``page.pdf`` (A4 landscape, the report's print CSS); PDFium
(``pdfpages``) renders every page to a bitmap and reads its text with positions. On the curated
demo and on the faulted sandbox scan of ``test_layout`` (an incomplete scan with a banner and
many manual results):

- nothing overflows the paper: Chromium prints at 100 % (it shrinks a page whose content is wider
  than the paper, then clips what still sticks out), no ink in the margins, no text beyond the
  printable area, and at the right and bottom edges only straight rules (borders) may end;
- every page holding findings (or inventory) rows shows the table's whole header above its first
  row, and every printed row is on paper;
- no severity badge is broken over two lines, no sort glyph and no screen-only control text
  (table of contents, search placeholders, pager, "Show the N findings" buttons) is printed;
- no page ends with a heading.

Set ``CREDAUDIT_PDF_PAGES=/some/dir`` to keep the rendered pages as PNG files for a person to
look at. Measurements only: nothing here depends on time.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reports import pdfpages
from tests.reports.chromium import Loaded, browser
from tests.reports.test_layout import PRINT_WIDTH, report

__all__ = ["browser", "report"]
pytestmark = pytest.mark.browser

MM = 96 / 25.4  # CSS px per millimetre
PAPER = (297, 210)  # A4 landscape, mm
MARGIN = 12  # mm, the report's @page margin
PRINTABLE = (
    math.floor(MARGIN * MM),
    math.floor(MARGIN * MM),
    math.ceil((PAPER[0] - MARGIN) * MM),
    math.ceil((PAPER[1] - MARGIN) * MM),
)
FULL_SIZE = 0.75  # PDF points per CSS px: the page printed at 100 %
HEADING_SIZE = 14  # px; headings are 15-20 px, body text and tables at most 12.5 px in print
HEADER_BAND = 60  # px above a table's first row on a page where its header must be (it may wrap)
SORT_GLYPHS = set("↕↑↓▲▼△▽⇅⇵⬍")

SCREEN = """() => {
  const norm = s => s.replace(/\\s+/g, ' ').trim();
  const shown = e => e.getClientRects().length > 0;
  const strings = [];
  for (const e of document.querySelectorAll(
      '.toc, .status-line, .pager button, .pager .page-of, button.show-action'))
    if (shown(e)) strings.push(norm(e.innerText));
  for (const e of document.querySelectorAll('.controls input[placeholder]'))
    if (shown(e)) strings.push(e.placeholder);
  const glyphs = [...document.querySelectorAll('th button')]
    .map(b => getComputedStyle(b, '::after').content.replace(/^"|"$/g, '').trim())
    .filter(c => c && c !== 'none');
  return {strings: strings.filter(s => s.length >= 6), glyphs};
}"""

PRINTED = """() => {
  const norm = s => s.replace(/\\s+/g, ' ').trim();
  const shown = e => e.getClientRects().length > 0;
  const headings = [...document.querySelectorAll('main h2, main h3')].filter(shown)
    .map(h => norm(h.innerText));
  const badges = [...new Set([...document.querySelectorAll('.sev, .pill, b.new')].filter(shown)
    .map(b => norm(b.innerText)))];
  const grids = {};
  for (const id of ['findings-table', 'inventory-table']) {
    const t = document.getElementById(id);
    grids[id] = {
      heading: norm(t.closest('section').querySelector('h2').innerText),
      columns: [...t.tHead.rows[0].cells].map(c => norm(c.textContent)),
      rows: [...t.tBodies[0].rows].map(r => [...r.cells].slice(0, 2).map(c => norm(c.innerText))),
    };
  }
  return {headings, badges, grids};
}"""


@dataclass(frozen=True)
class Grid:
    heading: str
    columns: list[str]
    rows: list[list[str]]  # the first two cells of every printed row, as printed


@dataclass(frozen=True)
class Printed:
    pages: list[pdfpages.Page]
    screen_only: list[str]  # control text the screen shows
    glyphs: set[str]
    headings: list[str]
    badges: set[str]  # severity badges and pills, as printed
    grids: dict[str, Grid]


@pytest.fixture(scope="module")
def printed(browser: Any, report: Path) -> Printed:
    loaded = Loaded(browser, report, viewport=(PRINT_WIDTH, 700))
    try:
        page = loaded.page
        screen = page.evaluate(SCREEN)
        pdf = page.pdf(
            format="A4", landscape=True, prefer_css_page_size=True, print_background=True
        )
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.emulate_media(media="print")
        dom = page.evaluate(PRINTED)
        assert loaded.errors == []
    finally:
        loaded.close()
    pages = pdfpages.read(pdf)
    keep = os.environ.get("CREDAUDIT_PDF_PAGES")
    if keep:
        pdfpages.save(pages, Path(keep), report.parent.name.rstrip("0123456789"))
    return Printed(
        pages,
        screen["strings"],
        SORT_GLYPHS | set("".join(screen["glyphs"])),
        dom["headings"],
        set(dom["badges"]),
        {k: Grid(**v) for k, v in dom["grids"].items()},
    )


def test_nothing_overflows_the_paper(printed: Printed) -> None:
    assert len(printed.pages) >= 3
    for page in printed.pages:
        assert (page.width, page.height) == (round(PAPER[0] * MM), round(PAPER[1] * MM))
    scales = {
        p.number: Counter(line.scale for line in p.lines).most_common(1)[0][0]
        for p in printed.pages
    }
    assert scales == dict.fromkeys(scales, FULL_SIZE), "Chromium shrank pages to fit the paper"
    problems = [found for p in printed.pages for found in pdfpages.edge_problems(p, PRINTABLE)]
    assert problems == []


def row_start(key: str, grid: Grid) -> re.Pattern[str]:
    """How a printed row's first line begins: its first two cells, as far as they fit on it."""
    if key == "findings-table":  # severity, then status ("manual review" may wrap)
        sevs = "|".join(map(re.escape, {r[0] for r in grid.rows}))
        statuses = "|".join(map(re.escape, {r[1].split()[0] for r in grid.rows}))
        return re.compile(rf"^({sevs}) ({statuses})\b")
    starts = set()  # the tenant (it may wrap after a hyphen), then the credential name
    for tenant, name in grid.rows:
        cuts = [tenant] + [tenant[: i + 1] for i, c in enumerate(tenant) if c == "-"]
        starts.add(f"(?:{'|'.join(map(re.escape, cuts))}) {re.escape(name[:4])}")
    return re.compile(f"^(?:{'|'.join(sorted(starts))})")


@pytest.mark.parametrize("key", ["findings-table", "inventory-table"])
def test_every_page_of_rows_shows_the_whole_header(printed: Printed, key: str) -> None:
    grid = printed.grids[key]
    assert grid.rows
    start = next(
        p.number
        for p in printed.pages
        for line in p.lines
        if line.text == grid.heading and line.size >= HEADING_SIZE
    )
    pattern = row_start(key, grid)
    needed = Counter(word for column in grid.columns for word in column.split())
    rows, problems = 0, []
    for page in printed.pages[start - 1 :]:
        first_lines = [line for line in page.lines if pattern.match(line.text)]
        if not first_lines:
            continue
        rows += len(first_lines)
        top = first_lines[0].top
        band = [line for line in page.lines if top - HEADER_BAND <= line.top < top]
        missing = needed - Counter(w.text for line in band for w in line.words)
        if missing:
            problems.append(f"page {page.number}: header lacks {sorted(missing.elements())}")
    assert problems == []
    assert rows == len(grid.rows), "every printed row begins a line on paper"


def test_no_sort_glyph_or_screen_control_is_printed(printed: Printed) -> None:
    text = " ".join(line.text for page in printed.pages for line in page.lines)
    assert len(printed.screen_only) >= 4
    assert any(s.startswith("Show the ") for s in printed.screen_only)
    assert [s for s in printed.screen_only if s[:24] in text] == []
    assert sorted(set(text) & printed.glyphs) == []


def test_no_badge_is_split(printed: Printed) -> None:
    assert {"CRITICAL", "HIGH", "MEDIUM"} <= printed.badges
    split = [found for p in printed.pages for found in pdfpages.split_words(p, printed.badges)]
    assert split == []


def test_no_page_ends_with_a_heading(printed: Printed) -> None:
    assert len(printed.headings) >= 5
    orphans = []
    for page in printed.pages[:-1]:
        last = max(page.lines, key=lambda line: line.bottom)
        if last.size >= HEADING_SIZE and any(last.text in h for h in printed.headings):
            orphans.append(f"page {page.number}: {last.text!r}")
    assert orphans == []
