"""The HTML report in a real browser: headless Debian Chromium driven by Playwright.

Checks: no console error (a CSP violation is one), no request other than the file itself, no
dialog; the grids are built from the data islands and filters/search/sort/paging change the rows;
vendor markup (including ``</script>`` in a data island) stays text; the fix-first buttons filter
the findings; without JavaScript the most severe findings are rows and the page says where the
rest is; printing lays out every matching row (up to the print limit).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.kernel.model import ScanResult
from reports import html, view_fix
from tests.reports.chromium import Loaded, browser
from tests.reports.conftest import replace

__all__ = ["Loaded", "browser"]  # test_trendchart imports both from here
pytestmark = pytest.mark.browser
HOSTILE_NAMES = (
    "</script><script>alert(1)</script>",
    "<!--<script>alert(2)//",
    "a\u2028b\u2029c &amp; </SCRIPT >",
    "]]></style><img src=x onerror=alert(3)>",
)


@pytest.fixture(scope="module")
def report_path(rich: ScanResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html.render(rich)["report.html"], encoding="utf-8")
    return path


@pytest.fixture
def loaded(browser: Any, report_path: Path) -> Iterator[Loaded]:
    page = Loaded(browser, report_path)
    yield page
    page.close()


def open_findings(result: ScanResult) -> list[Any]:
    return [f for f in result.findings if f.status in ("fail", "manual")]


def listed(result: ScanResult) -> list[Any]:
    return [f for f in result.findings if f.status != "not_applicable"]


def test_loads_clean(loaded: Loaded) -> None:
    assert loaded.errors == []
    assert loaded.requests == [loaded.url]
    assert loaded.dialogs == []
    assert loaded.page.is_visible("#coverage-alert")
    assert loaded.page.evaluate("document.querySelectorAll('img, iframe').length") == 0
    kinds = loaded.page.evaluate("Array.from(document.scripts, s => s.type || 'classic')")
    assert sorted(kinds) == ["application/json"] * 3 + ["classic"] * 3
    assert not loaded.page.is_visible(".nojs-note")


def test_default_view_is_open_findings(loaded: Loaded, rich: ScanResult) -> None:
    total, n_open = len(listed(rich)), len(open_findings(rich))
    assert loaded.status("findings") == (
        f"Showing rows 1 to {n_open} of {n_open} matching ({total} in the table)."
    )
    rows = loaded.visible_rows("findings-table")
    assert len(rows) == n_open
    assert {r[1] for r in rows} == {"fail", "manual review"}
    assert rows[0][0] == "CRITICAL"  # text-transform; the cell text is "critical"
    # remediation is in the row (issue #17), not only in the policy section
    remediation = {f.rule_id: f.remediation.split(" (")[0] for f in open_findings(rich)}
    assert all(remediation[r[2]] in r[6] for r in rows)
    inventory = loaded.status("inventory")
    assert inventory == f"Showing rows 1 to 81 of {len(rich.credentials)} matching."


def test_filters(loaded: Loaded, rich: ScanResult) -> None:
    page = loaded.page
    page.select_option("#findings select[data-field='sev']", "critical")
    critical = [f for f in open_findings(rich) if f.severity == "critical"]
    assert len(loaded.visible_rows("findings-table")) == len(critical)
    page.select_option("#findings select[data-field='tenant']", "sandbox-isc")
    isc = [f for f in critical if f.tenant == "sandbox-isc"]
    rows = loaded.visible_rows("findings-table")
    assert len(rows) == len(isc) > 0
    assert {r[3] for r in rows} == {"sandbox-isc"}
    page.select_option("#findings select[data-field='sev']", "")
    page.select_option("#findings select[data-field='tenant']", "")
    page.select_option("#findings select[data-field='status']", "waived")
    rows = loaded.visible_rows("findings-table")
    assert sorted(r[2] for r in rows) == ["no-expiry", "stale"]
    assert all("Waive" in r[6] for r in rows)
    page.select_option("#findings select[data-field='status']", "")
    page.select_option("#findings select[data-field='rule']", "too-many-per-owner")
    assert len(loaded.visible_rows("findings-table")) == 13
    page.select_option("#findings select[data-field='rule']", "")
    page.select_option("#findings select[data-field='new']", "new")
    rows = loaded.visible_rows("findings-table")
    assert len(rows) == 3
    assert all(r[4].startswith("NEW ") for r in rows)
    page.select_option("#findings select[data-field='new']", "")
    page.select_option("#inventory select[data-field='worst']", "none")
    clean = {c.key for c in rich.credentials} - {
        (f.tenant, f.credential_id) for f in open_findings(rich)
    }
    assert len(loaded.visible_rows("inventory-table")) == len(clean)


def test_fix_first_buttons_filter_the_findings(loaded: Loaded, rich: ScanResult) -> None:
    groups = view_fix.fix_first(rich.findings)
    for group in groups:
        loaded.page.click(f"button.show-action[data-action='{group.action.id}']")
        rows = loaded.visible_rows("findings-table")
        expected = [f for f in open_findings(rich) if view_fix.action_of(f) == group.action.id]
        assert len(rows) == len(expected) == group.findings, group.action.id
        assert sorted(r[2] for r in rows) == sorted(f.rule_id for f in expected)


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
    page.fill("#findings input[type=search]", "BRANDT heidi")  # every term, any field, any case
    rows = loaded.visible_rows("findings-table")
    expected = [f for f in open_findings(rich) if f.owner_name == "Heidi Brandt"]
    assert len(rows) == len(expected) == 3
    assert {r[5] for r in rows} == {"Heidi Brandt"}
    page.fill("#findings input[type=search]", "no-such-text-anywhere")
    assert loaded.visible_rows("findings-table") == []
    assert loaded.status("findings").startswith("No rows match the filters")
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
    page.select_option("#findings select[data-page-size]", "500")
    page.click("#findings th:nth-child(4) button")
    tenants = [r[3] for r in loaded.visible_rows("findings-table")]
    assert tenants == sorted(tenants, key=str.casefold) and len(set(tenants)) > 1
    assert page.get_attribute("#findings th:nth-child(4)", "aria-sort") == "ascending"
    page.click("#findings th:nth-child(4) button")
    tenants = [r[3] for r in loaded.visible_rows("findings-table")]
    assert tenants == sorted(tenants, key=str.casefold, reverse=True)
    page.click("#findings th:nth-child(1) button")
    ranks = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]
    severities = [ranks.index(r[0]) for r in loaded.visible_rows("findings-table")]
    assert severities == sorted(severities)


def test_data_island_cannot_be_escaped(browser: Any, rich: ScanResult, tmp_path: Path) -> None:
    """Credential names that would end or comment out a ``<script>`` element stay data."""
    targets = list(rich.credentials[: len(HOSTILE_NAMES)])
    names = dict(zip((c.key for c in targets), HOSTILE_NAMES, strict=True))
    credentials = tuple(replace(c, name=names.get(c.key, c.name)) for c in rich.credentials)
    findings = tuple(
        replace(f, credential_name=names.get((f.tenant, f.credential_id), f.credential_name))
        for f in rich.findings
    )
    result = replace(
        rich, credentials=credentials, evaluation=replace(rich.evaluation, findings=findings)
    )
    path = tmp_path / "report.html"
    path.write_text(html.render(result)["report.html"], encoding="utf-8")
    loaded = Loaded(browser, path)
    try:
        assert loaded.errors == []
        assert loaded.dialogs == []
        assert loaded.page.evaluate("document.scripts.length") == 6
        shown = loaded.page.eval_on_selector_all(
            "#inventory-table tbody tr td:nth-child(2)",
            "cells => cells.map(c => c.firstChild.data)",
        )
        for name in HOSTILE_NAMES:
            expected = name.replace("\u2028", "<U+2028>").replace("\u2029", "<U+2029>")
            assert expected in shown, name
        assert loaded.page.evaluate("document.querySelectorAll('img').length") == 0
    finally:
        loaded.close()


def test_without_javascript(browser: Any, report_path: Path, rich: ScanResult) -> None:
    loaded = Loaded(browser, report_path, javascript=False)
    try:
        findings = loaded.visible_rows("findings-table")
        assert len(findings) == min(html.STATIC_ROWS, len(listed(rich)))
        assert findings[0][0] == "CRITICAL"
        assert loaded.page.is_visible("#fix")
        assert loaded.page.is_visible("#summary")
        assert loaded.page.is_visible("#coverage")
        assert loaded.page.is_visible("#inventory .nojs-note")
        assert "inventory.csv" in (loaded.page.text_content("#inventory .nojs-note") or "")
        assert not loaded.page.is_visible("#inventory-table")
        assert not loaded.page.is_visible("#findings .controls")
        assert not loaded.page.is_visible("button.show-action")
        assert loaded.requests == [loaded.url]
    finally:
        loaded.close()


def test_print_lays_out_every_matching_row(loaded: Loaded, rich: ScanResult) -> None:
    loaded.page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    loaded.page.emulate_media(media="print")
    rows = loaded.visible_rows("findings-table")
    n_open = len(open_findings(rich))
    assert len(rows) == n_open
    assert len(loaded.visible_rows("inventory-table")) == len(rich.credentials)
    note = loaded.page.text_content("#findings .print-note") or ""
    assert note.startswith(f"Printed: all {n_open} rows matching the filters (Status: open")
    assert loaded.page.is_visible("#findings .print-note")
    assert not loaded.page.is_visible("#findings .controls")
    loaded.page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    loaded.page.emulate_media(media="screen")
    assert not loaded.page.is_visible("#findings .print-note")


def test_empty_scan_loads_clean(browser: Any, rich: ScanResult, tmp_path: Path) -> None:
    """A scan where every tenant failed: no credential, no finding, empty islands."""
    failed = [c for c in rich.coverage if c.status == "failed"]
    result = replace(
        rich,
        coverage=tuple(failed),
        credentials=(),
        evaluation=replace(rich.evaluation, findings=(), waivers=()),
        resolved=(),
    )
    path = tmp_path / "report.html"
    path.write_text(html.render(result)["report.html"], encoding="utf-8")
    loaded = Loaded(browser, path)
    try:
        assert loaded.errors == []
        assert loaded.status("findings") == "No rows match the filters."
        assert loaded.status("inventory") == "No rows match the filters."
        assert "Nothing to fix" in (loaded.page.text_content("#fix") or "")
        assert loaded.page.is_visible("#coverage-alert")
    finally:
        loaded.close()
