"""``report.md``: escaping of untrusted text, the incomplete-scan banner, truncation, waivers."""

from __future__ import annotations

import re

import pytest

from auditor.kernel.model import ScanResult
from reports import markdown
from reports.markdown import md_text

from .conftest import replace


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", r"a\|b"),
        ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
        ("[click](https://evil.example)", r"\[click\](https\://evil.example)"),
        ("![img](x)", r"\!\[img\](x)"),
        ("`code`", r"\`code\`"),
        ("*bold* _it_ ~del~", r"\*bold\* \_it\_ \~del\~"),
        ("line\nbreak\r\nand\ttab", "line break and tab"),
        ("www.evil.example", r"www\.evil.example"),
        ("mailto:x@evil.example", r"mailto\:x\@evil.example"),
        ("back\\slash", r"back\\slash"),
        ("&lt;b&gt;", r"\&lt;b\&gt;"),
        ("plain: text", "plain: text"),
        (r"$\Huge\text{PASS}$", r"\$\\Huge\\text{PASS}\$"),
    ],
)
def test_md_text_escapes(raw: str, escaped: str) -> None:
    assert md_text(raw) == escaped


def test_md_text_bounds_length() -> None:
    assert md_text("x" * 500, limit=10) == "x" * 9 + "…"


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The data rows of the first table after ``heading``, split on unescaped pipes."""
    lines = text.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        rows.append([c.strip() for c in cells])
    return rows


def test_payload_names_cannot_break_the_findings_table(rich: ScanResult) -> None:
    many = [
        replace(f, credential_name="x | y <img src=x onerror=alert(1)> [a](http://e)\n| z")
        for f in rich.findings
    ]
    result = replace(rich, evaluation=replace(rich.evaluation, findings=tuple(many)))
    text = markdown.to_markdown(result)
    rows = table_rows(text, "## Top findings")
    assert len(rows) == markdown.TOP_FINDINGS
    assert all(len(row) == 7 for row in rows)
    assert rows[-1][4] == r"x \| y \<img src=x onerror=alert(1)\> \[a\](http\://e) \| z"
    assert re.search(r"(?<!\\)<", text) is None  # no unescaped "<" anywhere: no raw HTML
    assert re.search(r"(?<!\\)\]\(", text) is None  # no "](" link syntax


def test_curated_summary_and_truncation(curated: ScanResult) -> None:
    text = markdown.to_markdown(curated)
    s = curated.summary
    assert f"**{s['findings']} failing finding(s)** on 81 credential(s) in 2 tenant(s)" in text
    assert "> [!CAUTION]" not in text
    open_count = s["findings"] + s["manual"]
    rest = open_count - markdown.TOP_FINDINGS
    assert f"_… and {rest} more open finding(s): see `report.html`" in text
    assert "No waivers configured." in text
    assert "**new**" not in text
    assert "resolved since the previous scan" not in text
    assert len(text) < 20_000


def test_incomplete_scan_banner_leads(rich: ScanResult) -> None:
    text = markdown.to_markdown(rich)
    head = text.split("## Summary", 1)[0]
    assert "> [!CAUTION]" in head
    assert (
        "> - **broken-isc** (SailPoint ISC): **FAILED** — GET /v3/personal-access-tokens "
        r"returned HTTP 403: \<img src=x onerror=alert(9)\>" in head
    )
    assert (
        "> - **partial-c1** (ConductorOne): **PARTIAL** — 1 record(s) could not be read; the "
        "population is incomplete" in head
    )
    assert "- partial-c1: record rec-7: createdAt: bad value" in text


def test_history_markers_when_present(rich: ScanResult) -> None:
    text = markdown.to_markdown(rich)
    assert "**3 new** since the previous scan. 1 resolved since the previous scan." in text
    assert text.count("**new** ") == 3


def test_waivers_listed_by_urgency(rich: ScanResult) -> None:
    text = markdown.to_markdown(rich)
    rows = table_rows(text, "## Waivers")
    assert [(r[0], r[2]) for r in rows] == [
        ("W-EXPIRED", "**expired**"),
        ("W-STALE", "**stale**"),
        ("W-EXPIRING", "expiring"),
        ("W-ACTIVE", "active"),
    ]
    assert "1 expired, 1 stale, 1 expiring, 1 active." in text
    assert r"Break\-glass" not in text
    assert r"\<b\>rotated\</b\>" in text


def test_waiver_list_is_truncated(rich: ScanResult) -> None:
    waiver = rich.evaluation.waivers[0]
    many = tuple(replace(waiver, id=f"W-{i:03d}") for i in range(30))
    result = replace(rich, evaluation=replace(rich.evaluation, waivers=many))
    text = markdown.to_markdown(result)
    assert len(table_rows(text, "## Waivers")) == markdown.MAX_WAIVERS
    assert "_… and 10 more waiver(s): see" in text
