"""The HTML trend chart: a pure function of ``ScanResult.trend`` returning inline SVG; failed scans
break the lines (never a drop to 0), partial ones are hollow, outside text is escaped, and the
report still loads clean under its CSP in a real browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.kernel.model import SEVERITIES, ScanResult, TrendPoint
from reports import html
from reports.trendchart import trend_svg
from tests.reports.test_browser import Loaded, browser

__all__ = ["browser"]

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def point(day: int, tenant: str, status: str = "complete", high: int = 0) -> TrendPoint:
    failing = {} if status == "failed" else dict.fromkeys(SEVERITIES, 0) | {"high": high}
    return TrendPoint(
        scan_id=f"s{day}",
        as_of=T0 + timedelta(days=day),
        tenant=tenant,
        status=status,
        failing=failing,
    )


def test_one_scan_draws_nothing() -> None:
    assert trend_svg([]) == ""
    assert trend_svg([point(1, "acme")]) == ""


def test_a_failed_scan_breaks_the_lines_and_is_marked() -> None:
    svg = trend_svg(
        [point(1, "acme", high=4), point(2, "acme", high=2), point(3, "acme", "failed")]
    )
    assert svg.count("<svg") == 1
    assert len(re.findall(r"<polyline", svg)) == len(SEVERITIES)  # days 1-2, one run each
    assert svg.count('stroke-dasharray="4 3"') == 1
    assert "2026-11-04T00:00:00Z: failed, no data" in svg
    assert "0 high" not in svg  # the failed day has no point at all
    assert "2026-11-02T00:00:00Z: 4 high" in svg and "2026-11-03T00:00:00Z: 2 high" in svg
    svg = trend_svg([point(1, "acme"), point(2, "acme", "failed"), point(3, "acme")])
    assert "<polyline" not in svg  # nothing joins across the failure


def test_partial_points_are_hollow_and_say_so() -> None:
    svg = trend_svg([point(1, "acme", high=1), point(2, "acme", "partial", high=0)])
    assert "2026-11-03T00:00:00Z: 0 high (partial scan: at least)" in svg
    assert svg.count('fill="#fff"') == len(SEVERITIES)


def test_one_chart_per_tenant_and_escaped_text() -> None:
    hostile = '<script>alert(1)</script>"'
    svg = trend_svg(
        [point(1, hostile), point(1, "b"), point(2, "b"), point(2, hostile), point(3, "c")]
    )
    assert svg.count("<svg") == 2  # "c" has one scan
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert (
        "style=" not in svg
        and "href" not in svg
        and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_the_report_includes_it_only_with_history(rich: ScanResult) -> None:
    assert 'class="chart trend"' not in html.render(rich)["report.html"]
    trended = rich.model_copy(update={"trend": (point(1, "sandbox-isc"), point(2, "sandbox-isc"))})
    page = html.render(trended)["report.html"]
    assert page.count('<svg class="trend"') == 1
    assert "trend" not in trended.model_dump()  # never serialised into results.json


@pytest.mark.browser
def test_the_chart_loads_clean_in_a_browser(browser: Any, rich: ScanResult, tmp_path: Path) -> None:
    points = (
        point(1, "sandbox-isc", high=5),
        point(2, "sandbox-isc", "partial", high=3),
        point(3, "sandbox-isc", "failed"),
        point(4, "sandbox-isc", high=1),
    )
    path = tmp_path / "report.html"
    path.write_text(
        html.render(rich.model_copy(update={"trend": points}))["report.html"], encoding="utf-8"
    )
    loaded = Loaded(browser, path)
    try:
        assert loaded.errors == []  # a CSP violation (inline style, remote fetch) is one
        assert loaded.requests == [loaded.url]
        assert loaded.page.is_visible("svg.trend")
        assert loaded.page.evaluate("document.querySelectorAll('svg.trend circle').length") == 15
    finally:
        loaded.context.close()
