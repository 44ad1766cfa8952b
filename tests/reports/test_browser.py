"""The HTML report in a real browser: headless Debian Chromium driven by Playwright.

Skipped when ``/usr/bin/chromium`` is missing, unless ``CREDAUDIT_REQUIRE_BROWSER=1`` (CI), which
turns the skip into a failure. Checks: no console error (a CSP violation is one), no request
other than the file itself, no dialog, filters/search/sort/paging change the visible rows, vendor
markup stays text, and without JavaScript every row is visible.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.kernel.model import ScanResult
from reports import html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CREDAUDIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and CREDAUDIT_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Loaded:
    """A report opened in a fresh context, with everything the page tried to do recorded."""

    def __init__(self, browser: Any, path: Path, *, javascript: bool = True) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.url = path.as_uri()
        self.context = browser.new_context(java_script_enabled=javascript)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url)
        if javascript:
            self.page.wait_for_selector("html[data-ready]", state="attached")

    def _route(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def status(self, grid: str) -> str:
        text: str = self.page.text_content(f"#{grid} .status-line") or ""
        return text

    def visible_rows(self, table: str) -> list[list[str]]:
        rows: list[list[str]] = self.page.eval_on_selector_all(
            f"#{table} tbody tr",
            "rows => rows.filter(r => r.offsetParent !== null)"
            ".map(r => Array.from(r.cells, c => c.innerText))",
        )
        return rows


@pytest.fixture(scope="module")
def report_path(rich: ScanResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html.render(rich)["report.html"], encoding="utf-8")
    return path


@pytest.fixture
def loaded(browser: Any, report_path: Path) -> Iterator[Loaded]:
    page = Loaded(browser, report_path)
    yield page
    page.context.close()


def open_findings(result: ScanResult) -> list[Any]:
    return [f for f in result.findings if f.status in ("fail", "manual")]


def test_loads_clean(loaded: Loaded) -> None:
    assert loaded.errors == []
    assert loaded.requests == [loaded.url]
    assert loaded.dialogs == []
    assert loaded.page.is_visible("#coverage-alert")
    assert loaded.page.evaluate("document.querySelectorAll('img, iframe').length") == 0
    assert loaded.page.evaluate("document.scripts.length") == 3


def test_default_view_is_open_findings(loaded: Loaded, rich: ScanResult) -> None:
    total = len([f for f in rich.findings if f.status != "not_applicable"])
    n_open = len(open_findings(rich))
    assert loaded.status("findings") == (
        f"Showing rows 1 to {n_open} of {n_open} matching ({total} in the table)."
    )
    rows = loaded.visible_rows("findings-table")
    assert len(rows) == n_open
    assert {r[1] for r in rows} == {"fail", "manual review"}
    assert rows[0][0] == "CRITICAL"  # text-transform; the cell text is "critical"


def test_filters(loaded: Loaded, rich: ScanResult) -> None:
    page = loaded.page
    page.select_option("#findings select[data-col='0']", "critical")
    critical = [f for f in open_findings(rich) if f.severity == "critical"]
    assert len(loaded.visible_rows("findings-table")) == len(critical)
    page.select_option("#findings select[data-col='3']", "sandbox-isc")
    isc = [f for f in critical if f.tenant == "sandbox-isc"]
    rows = loaded.visible_rows("findings-table")
    assert len(rows) == len(isc) > 0
    assert {r[3] for r in rows} == {"sandbox-isc"}
    page.select_option("#findings select[data-col='0']", "")
    page.select_option("#findings select[data-col='3']", "")
    page.select_option("#findings select[data-col='1']", "waived")
    rows = loaded.visible_rows("findings-table")
    assert sorted(r[2] for r in rows) == ["no-expiry", "stale"]
    page.select_option("#findings select[data-col='1']", "")
    page.select_option("#findings select[data-col='2']", "too-many-per-owner")
    assert len(loaded.visible_rows("findings-table")) == 13
    page.select_option("#findings select[data-col='2']", "")
    page.select_option("#findings select[data-col='4']", "new")
    rows = loaded.visible_rows("findings-table")
    assert len(rows) == 3
    assert all(r[4].startswith("NEW ") for r in rows)


def test_search_and_inert_payloads(loaded: Loaded, rich: ScanResult) -> None:
    page = loaded.page
    page.fill("#inventory input[type=search]", 'alert("xss")')
    rows = loaded.visible_rows("inventory-table")
    assert len(rows) == 1
    assert rows[0][1].startswith('<script>alert("xss")</script>')
    page.fill("#inventory input[type=search]", "mallory")
    rows = loaded.visible_rows("inventory-table")
    assert sorted(r[1].split("\n")[0] for r in rows) == sorted(
        c.name for c in rich.credentials if c.owner.name == "<b>Mallory</b> O'Neil"
    )
    assert all(r[2].startswith("<b>Mallory</b> O'Neil") for r in rows)
    page.fill("#findings input[type=search]", "BRANDT heidi")  # every term, any case
    rows = loaded.visible_rows("findings-table")
    expected = [f for f in open_findings(rich) if f.owner_name == "Heidi Brandt"]
    assert len(rows) == len(expected) == 3
    assert {r[5] for r in rows} == {"Heidi Brandt"}
    page.fill("#findings input[type=search]", "")
    assert page.evaluate("document.querySelectorAll('img, b:not(.new)').length") == 0
    assert loaded.dialogs == []
    assert loaded.errors == []


def test_sort_and_paging(loaded: Loaded, rich: ScanResult) -> None:
    page = loaded.page
    page.select_option("#findings select[data-page-size]", "50")
    n_open = len(open_findings(rich))
    assert loaded.status("findings").startswith(f"Showing rows 1 to 50 of {n_open} matching")
    page.click("#findings [data-page=next]")
    assert loaded.status("findings").startswith(f"Showing rows 51 to {n_open} of {n_open} matching")
    assert len(loaded.visible_rows("findings-table")) == n_open - 50
    page.select_option("#findings select[data-page-size]", "0")
    page.click("#findings th:nth-child(4) button")
    tenants = [r[3] for r in loaded.visible_rows("findings-table")]
    assert tenants == sorted(tenants)
    assert page.get_attribute("#findings th:nth-child(4)", "aria-sort") == "ascending"
    page.click("#findings th:nth-child(4) button")
    tenants = [r[3] for r in loaded.visible_rows("findings-table")]
    assert tenants == sorted(tenants, reverse=True)


def test_without_javascript_every_row_is_visible(
    browser: Any, report_path: Path, rich: ScanResult
) -> None:
    loaded = Loaded(browser, report_path, javascript=False)
    try:
        findings = loaded.visible_rows("findings-table")
        assert len(findings) == len([f for f in rich.findings if f.status != "not_applicable"])
        assert len(loaded.visible_rows("inventory-table")) == len(rich.credentials)
        assert not loaded.page.is_visible("#findings .controls")
        assert loaded.requests == [loaded.url]
    finally:
        loaded.context.close()


def test_print_shows_every_row(loaded: Loaded, rich: ScanResult) -> None:
    loaded.page.emulate_media(media="print")
    rows = loaded.visible_rows("findings-table")
    assert len(rows) == len([f for f in rich.findings if f.status != "not_applicable"])
    assert not loaded.page.is_visible("#findings .controls")
