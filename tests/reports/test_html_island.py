"""The data islands of ``report.html`` (``reports.html_island``): safe inside ``<script>``, every
finding and credential decodable back to what the report shows, chunked and streamed."""

from __future__ import annotations

import json
import re

import pytest

from auditor.kernel.model import SEVERITIES, ScanResult
from reports import html, html_island, view
from reports.view_fix import action_of


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("</script>", '"\\u003c/script\\u003e"'),
        ("</SCRIPT >", '"\\u003c/SCRIPT \\u003e"'),
        ("<!--", '"\\u003c!--"'),
        ("-->", '"--\\u003e"'),
        ("a & b", '"a \\u0026 b"'),
        ("&lt;", '"\\u0026lt;"'),
        ("x\u2028y\u2029z", '"x\\u2028y\\u2029z"'),
        ('"quoted" \\', '"\\"quoted\\" \\\\"'),
        ("plain é ✓", '"plain é ✓"'),
        ("\x00\x1f", '"\\u0000\\u001f"'),
    ],
)
def test_safe_json(value: str, encoded: str) -> None:
    text = html_island.safe_json(value)
    assert text == encoded
    assert json.loads(text) == value
    assert not re.search(r"[<>&\u2028\u2029]", text)


@pytest.mark.parametrize("rows", [0, 1, html_island.CHUNK_ROWS - 1, html_island.CHUNK_ROWS, 4001])
@pytest.mark.parametrize("head", [{}, {"sev": ["critical"]}])
def test_island_chunks_join_to_one_json_document(rows: int, head: dict[str, object]) -> None:
    data = [[i, i % 7] for i in range(rows)]
    chunks = list(html_island.island(head, iter(data)))
    assert json.loads("".join(chunks)) == {**head, "rows": data}
    assert len(chunks) == 2 + -(-rows // html_island.CHUNK_ROWS)  # opening, batches, closing


def decode(result: ScanResult) -> tuple[list[list[str]], list[list[str]]]:
    text = html.render(result)["report.html"]
    islands = dict(
        re.findall(r'<script type="application/json" id="([\w-]+)">(.*?)</script>', text, re.S)
    )
    head = json.loads(islands["data-strings"])
    strings = head["rows"]
    assert strings == sorted(strings, key=lambda s: (s.casefold(), s))  # sort by index = by text
    assert strings[0] == ""
    findings = []
    for r in json.loads(islands["data-findings"])["rows"]:
        texts = [strings[i] for i in r[2:10]]
        findings.append(
            [head["sev"][r[0]], head["status_ids"][r[1]], *texts, r[10], head["actions"][r[11]]]
        )
    inventory = []
    for r in json.loads(islands["data-inventory"])["rows"]:
        worst = head["sev"][r[13]] if r[13] < len(SEVERITIES) else ""
        inventory.append([*(strings[i] for i in r[:13]), worst, strings[r[14]]])
    return findings, inventory


def test_islands_hold_every_finding_and_credential(rich: ScanResult) -> None:
    findings, inventory = decode(rich)
    listed = view.ordered_findings(f for f in rich.findings if f.status != "not_applicable")
    assert findings == [
        [
            f.severity,
            f.status,
            f.rule_id,
            f.tenant,
            f.credential_name,
            f.credential_id,
            f.owner_name or f.owner_id or "",
            f.message,
            f.remediation,
            html_island.waiver_text(f),
            1 if f.change == "new" else 0,
            action_of(f),
        ]
        for f in listed
    ]
    worst = view.worst_severity(listed)
    assert [row[:3] for row in inventory] == [[c.tenant, c.name, c.id] for c in rich.credentials]
    assert [row[13] for row in inventory] == [worst.get(c.key, "") for c in rich.credentials]
    assert sum(1 for row in inventory if row[14]) == len(worst)


def test_stream_yields_the_page_in_chunks(curated: ScanResult) -> None:
    files = html.stream(curated)
    assert list(files) == ["report.html"]
    chunks = list(files["report.html"])
    assert len(chunks) > 10
    assert all(isinstance(c, str) for c in chunks)
    assert "".join(chunks) == html.render(curated)["report.html"]
