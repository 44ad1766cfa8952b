"""``report.html`` without a browser: CSP and hashes, no external reference, inert vendor text,
every row present, and the sections the issue asks for."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from auditor.kernel.model import ScanResult
from reports import html

URL_ATTRS = {"src", "href", "action", "formaction", "srcset", "poster", "data", "xlink:href"}


class Page(HTMLParser):
    """Collects what the assertions need from a rendered report."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attrs: list[tuple[str, str, str | None]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self.texts: list[str] = []
        self.rows: Counter[str] = Counter()
        self.csp = ""
        self._table: list[str] = []
        self._raw: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attrs.extend((tag, name, value) for name, value in attrs)
        values = dict(attrs)
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp = values.get("content") or ""
        if tag == "table":
            self._table.append(values.get("id") or "")
        if tag == "tr" and self._table:
            self.rows[self._table[-1]] += 1
        if tag in self.inline:
            self._raw = tag
            self.inline[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table:
            self._table.pop()
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw:
            self.inline[self._raw][-1] += data
        else:
            self.texts.append(data)


@pytest.fixture(scope="module")
def curated_page(curated: ScanResult) -> tuple[str, Page]:
    text = html.render(curated)["report.html"]
    return text, Page(text)


@pytest.fixture(scope="module")
def rich_page(rich: ScanResult) -> tuple[str, Page]:
    text = html.render(rich)["report.html"]
    return text, Page(text)


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_csp_is_restrictive_and_hashes_match(curated_page: tuple[str, Page]) -> None:
    text, page = curated_page
    assert text.index('http-equiv="Content-Security-Policy"') < text.index("<style>")
    directives = dict(d.strip().split(" ", 1) for d in page.csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    assert directives["base-uri"] == "'none'"
    assert "unsafe" not in page.csp
    assert directives["style-src"].split() == [sha(s) for s in page.inline["style"]]
    assert set(directives["script-src"].split()) == {sha(s) for s in page.inline["script"]}
    assert len(page.inline["script"]) == 3  # the report script and one init call per grid


def test_no_external_reference_no_inline_handlers(rich_page: tuple[str, Page]) -> None:
    _, page = rich_page
    for tag, name, value in page.attrs:
        assert not name.startswith("on"), (tag, name)
        assert name != "style", tag
        if name in URL_ATTRS:
            assert value is not None
            assert value.startswith("#") or value == "data:,", (tag, name, value)
    for banned in ("img", "iframe", "object", "embed", "form", "base", "audio", "video"):
        assert page.tags[banned] == 0, banned
    assert page.tags["link"] == 1  # the data: favicon, so the browser asks for no /favicon.ico


def test_payload_names_are_text(curated_page: tuple[str, Page]) -> None:
    text, page = curated_page
    texts = set(page.texts)
    for name in (
        '<script>alert("xss")</script>',
        "<img src=x onerror=alert(1)>",
        '"><img src=x onerror=alert(1)>',
        "<b>Mallory</b> O'Neil",
    ):
        assert name in texts, name
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in text
    assert all("alert(" not in script for script in page.inline["script"])


def test_every_row_is_in_the_document(curated: ScanResult, curated_page: tuple[str, Page]) -> None:
    _, page = curated_page
    listed = [f for f in curated.findings if f.status != "not_applicable"]
    # 73: the 2 unverified owners' credentials have one row each (policies/onerow.py), not two
    assert page.rows["findings-table"] == 1 + len(listed) == 73
    assert page.rows["inventory-table"] == 1 + len(curated.credentials) == 82


def test_not_applicable_is_grouped(curated_page: tuple[str, Page]) -> None:
    text, _ = curated_page
    section = text.split("<h3>Not applicable</h3>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]*)</td>.*?<td class=\"n\">([\d,]+)</td></tr>", section)
    assert rows == [("sandbox-isc", "37"), ("sandbox-isc", "37")]


def test_complete_scan_has_no_banner(curated_page: tuple[str, Page]) -> None:
    text, _ = curated_page
    assert 'role="alert"' not in text
    assert '<b class="new">' not in text
    assert "Resolved since the previous scan" not in text


def test_incomplete_scan_banner_comes_first(rich_page: tuple[str, Page]) -> None:
    text, page = rich_page
    banner = text.index('role="alert"')
    assert banner < text.index('id="summary"')
    alert = text[banner : text.index("</section>", banner)]
    assert "<strong>broken-isc</strong>" in alert
    assert '<span class="pill cov-failed">failed</span>' in alert
    assert "HTTP 403: &lt;img src=x onerror=alert(9)&gt;" in alert
    assert '<span class="pill cov-partial">partial</span>' in alert
    assert "<li>1 record(s) could not be read; the population is incomplete</li>" in alert
    assert "rec-7" in page.texts


def test_history_markers(rich_page: tuple[str, Page]) -> None:
    text, _ = rich_page
    assert text.count('<b class="new">new</b>') == 3
    assert "Resolved since the previous scan (1)" in text
    assert "deleted since last scan" in text
    assert 'data-has="b.new"' in text


def test_waivers_section(rich_page: tuple[str, Page]) -> None:
    text, _ = rich_page
    section = text.split('<section id="waivers">', 1)[1].split("</section>", 1)[0]
    states = re.findall(r'<span class="pill wv-(\w+)">', section)
    assert states == ["expired", "stale", "expiring", "active"]
    assert "Break-glass key kept in the vault &lt;b&gt;rotated&lt;/b&gt; by hand" in section
    assert "Waived by W-ACTIVE until 2027-03-31" in text
    assert "Waiver W-EXPIRED expired 2026-11-01" in text


def test_compliance_matrix(curated: ScanResult, curated_page: tuple[str, Page]) -> None:
    text, _ = curated_page
    section = text.split('<section id="compliance">', 1)[1].split("</section>", 1)[0]
    assert section.count('<tbody class="control">') == len(curated.evaluation.controls)
    frameworks = {c.framework for c in curated.evaluation.controls}
    assert section.count("<h3>") == len(frameworks) + 1  # + "Threshold constraints not met"
    assert '<code>stale.max_idle_days</code></td><td class="n">45</td>' in section
    assert "CIS Controls v8 5.3 needs stale.max_idle_days at most 45; configured 90" in section


def test_effective_policy(curated_page: tuple[str, Page]) -> None:
    text, _ = curated_page
    section = text.split('<section id="policy">', 1)[1].split("</section>", 1)[0]
    assert section.count("<tr><td><code>") == 13
    assert "<code>max_idle_days</code> = 90" in section
    assert "<code>granularity_tolerance</code> = false" in section
    assert "Delete the credential: it was minted but never used." in section


def test_print_stylesheet(curated_page: tuple[str, Page]) -> None:
    _, page = curated_page
    css = page.inline["style"][0]
    media = css.split("@media print", 1)[1]
    assert "table.data tbody tr { display: table-row !important; }" in media
    assert ".controls, .pager" in media
