"""Layout of ``report.html`` in Chromium at 360, 768 and 1366 px and in print (issue #17).

On the curated demo and on a faulted sandbox scan (owner lookups refused, session settings
refused, malformed records: an incomplete scan with a banner and many manual results):

- no horizontal page overflow, checked on a full-page screenshot (its PNG is exactly as wide as
  the viewport only when nothing sticks out) and in the DOM;
- no collapsed column: every visible table cell with text is at least ``MIN_CELL`` px wide and
  no severity badge is split over two lines;
- at 1366 x 768 the fix-first heading and headline are above the fold;
- print (A4 landscape, what an auditor files): ``page.pdf`` produces the PDF; the same print
  layout is measured with print media emulated at the page's content width: screen-only controls
  and sort glyphs are gone, every header cell is laid out whole, badges are not split, headings
  avoid a break after them, and the page is no wider than the paper (``test_pdf.py`` checks the
  PDF's pages themselves, rendered to pixels).

Measurements only: nothing here depends on time.
"""

from __future__ import annotations

import asyncio
import re
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import policies
from auditor.app.engine import NullProgress, assemble, collect_all, default_registry, plan_for
from auditor.app.sandbox import Faults, Simulation
from auditor.kernel.model import ScanResult
from providers.base import ClientFactory
from reports import html
from tests.reports.chromium import Loaded, browser
from tests.reports.conftest import AS_OF, FINISHED, SCAN_ID, STARTED

__all__ = ["browser"]
pytestmark = pytest.mark.browser
WIDTHS = (360, 768, 1366)
FOLD = 768
MIN_CELL = 24
PRINT_WIDTH = round((297 - 24) / 25.4 * 96)  # A4 landscape less the 12 mm margins, CSS px
FAULTS = "deny-owner-lookup,deny-session-settings,malformed=3"


def faulted_scan() -> ScanResult:
    """In a thread of its own: Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_faulted_scan).result()


def _faulted_scan() -> ScanResult:
    tenants, router = Simulation(as_of=AS_OF, faults=Faults.parse(FAULTS)).in_process()
    policy = policies.load_policy(None, tenants=[t.name for t in tenants], base_dir=Path.cwd())
    plan = plan_for(tenants, policy, ())
    inventories = asyncio.run(
        collect_all(
            plan.tenants,
            registry=default_registry(),
            clients=ClientFactory(transport=router),
            progress=NullProgress(),
        )
    )
    return assemble(plan, inventories, AS_OF, started=STARTED, finished=FINISHED, scan_id=SCAN_ID)


@pytest.fixture(scope="module", params=["demo", "faulted"])
def report(
    request: pytest.FixtureRequest, curated: ScanResult, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    result = curated if request.param == "demo" else faulted_scan()
    if request.param == "faulted":
        assert result.scan.status != "complete"
        assert result.summary["manual"] > 0
    path = tmp_path_factory.mktemp(request.param) / "report.html"
    path.write_text(html.render(result)["report.html"], encoding="utf-8")
    return path


def png_width(data: bytes) -> int:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width: int = struct.unpack(">I", data[16:20])[0]
    return width


MEASURE = """(minCell) => {
  const shown = e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed';
  const narrow = [];
  for (const c of document.querySelectorAll('table th, table td')) {
    if (!shown(c) || !c.textContent.trim()) continue;
    const w = c.getBoundingClientRect().width;
    if (w < minCell) narrow.push(`${c.closest('table').id || c.closest('section').id}: `
      + `${Math.round(w)}px "${c.textContent.trim().slice(0, 30)}"`);
  }
  const split = [];
  for (const b of document.querySelectorAll('.sev, .pill, b.new')) {
    if (!shown(b)) continue;
    const tall = b.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(b).fontSize);
    if (b.getClientRects().length > 1 || tall) split.push(b.textContent);
  }
  const wide = [];
  for (const e of document.querySelectorAll('body *')) {
    if (!shown(e) || e.closest('.scroll, .toc')) continue;
    const r = e.getBoundingClientRect();
    if (r.width && r.right > innerWidth + 1)
      wide.push(`${e.tagName}.${e.className} ${Math.round(r.right)}`);
  }
  return {page: document.documentElement.scrollWidth, viewport: innerWidth,
          narrow, split, wide: wide.slice(0, 10)};
}"""


@pytest.fixture
def at_width(browser: Any, report: Path, request: pytest.FixtureRequest) -> Iterator[Loaded]:
    loaded = Loaded(browser, report, viewport=(request.param, FOLD))
    yield loaded
    loaded.close()


@pytest.mark.parametrize("at_width", WIDTHS, indirect=True, ids=[f"{w}px" for w in WIDTHS])
def test_readable_at_every_width(at_width: Loaded) -> None:
    page = at_width.page
    assert at_width.errors == []
    width = page.viewport_size["width"]
    assert png_width(page.screenshot(full_page=True)) == width
    found = page.evaluate(MEASURE, MIN_CELL)
    assert found["page"] == found["viewport"] == width, found["wide"]
    assert found["wide"] == []
    assert found["narrow"] == []
    assert found["split"] == []
    # the grids are readable: the findings' message column is not squeezed to a sliver
    message = page.eval_on_selector(
        "#findings-table tbody tr td:nth-child(7)", "c => c.offsetWidth"
    )
    assert message >= min(280, width - 60)


@pytest.mark.parametrize("at_width", [1366], indirect=True, ids=["1366px"])
def test_fix_first_is_above_the_fold(at_width: Loaded) -> None:
    page = at_width.page
    headline = page.eval_on_selector("#fix .headline", "e => e.getBoundingClientRect().bottom")
    assert headline <= FOLD
    first_group = page.eval_on_selector("#fix .fix-plan", "e => e.getBoundingClientRect().top")
    assert first_group < FOLD
    order = page.evaluate(
        "['fix', 'findings', 'coverage', 'summary', 'compliance', 'policy']"
        ".map(id => document.getElementById(id).getBoundingClientRect().top)"
    )
    assert order == sorted(order)


PRINTED = """() => {
  const shown = e => e.offsetParent !== null;
  const hiddenControls = ['.toc', '.controls', '.pager', '.status-line', 'button.show-action']
    .every(s => [...document.querySelectorAll(s)].every(e => !shown(e)));
  const glyphs = [...document.querySelectorAll('th button')]
    .map(b => getComputedStyle(b, '::after').content).filter(c => c !== 'none');
  const headers = [];
  for (const t of document.querySelectorAll('table')) {
    if (!shown(t) || !t.tHead) continue;
    const row = t.tBodies[0] && t.tBodies[0].rows[0];
    const cols = row ? [...row.cells].reduce((n, c) => n + c.colSpan, 0) : null;
    const ths = [...t.tHead.rows[0].cells];
    const span = ths.reduce((n, c) => n + c.colSpan, 0);
    if (cols !== null && span !== cols) headers.push(`${t.id}: ${span} headers, ${cols} columns`);
    for (const th of ths) {
      if (getComputedStyle(t.tHead).display !== 'table-header-group') headers.push('not repeated');
      if (th.scrollWidth > th.clientWidth + 1 || th.getBoundingClientRect().width < 12)
        headers.push(`${t.id}: clipped "${th.textContent}"`);
    }
  }
  const headings = [...document.querySelectorAll('main h2, main h3')].filter(shown)
    .map(h => getComputedStyle(h).breakAfter).filter(b => b !== 'avoid');
  return {hiddenControls, glyphs, headers, headings,
          page: document.documentElement.scrollWidth, viewport: innerWidth};
}"""


def test_print_layout_and_pdf(browser: Any, report: Path) -> None:
    loaded = Loaded(browser, report, viewport=(PRINT_WIDTH, 700))
    try:
        page = loaded.page
        pdf = page.pdf(
            format="A4", landscape=True, prefer_css_page_size=True, print_background=True
        )
        assert pdf.startswith(b"%PDF-")
        pages = len(re.findall(rb"/MediaBox", pdf))
        assert pages >= 3
        assert re.search(rb"/MediaBox \[0 0 841\.9\d* 59[45]\.\d+\]", pdf)  # A4 landscape
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.emulate_media(media="print")
        found = page.evaluate(PRINTED)
        assert found["hiddenControls"]
        assert found["glyphs"] == []
        assert found["headers"] == []
        assert found["headings"] == []
        assert found["page"] <= found["viewport"]
        measured = page.evaluate(MEASURE, MIN_CELL)
        assert measured["split"] == []
        assert measured["narrow"] == []
        assert loaded.errors == []
    finally:
        loaded.close()
