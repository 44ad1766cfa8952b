"""The data islands of ``report.html`` (``reports.html_island``): safe inside ``<script>``, every
finding and credential decodable back to what the report shows, chunked and streamed."""

from __future__ import annotations

import json
import re
from array import array
from typing import Any

import pytest

from auditor.kernel.model import SEVERITIES, ScanResult
from reports import html, html_island, view
from reports.view_fix import action_of

from .conftest import replace


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


def decode_column(width: int, digits: str) -> list[int]:
    """What ``report.js`` ``column`` does."""
    values = []
    for start in range(0, len(digits), width):
        v = 0
        for ch in digits[start : start + width]:
            v = v * 64 + html_island.DIGITS.index(ch)
        values.append(v)
    return values


@pytest.mark.parametrize(
    ("codes", "width"),
    [([], 1), ([0], 1), ([63], 1), ([64], 2), ([0, 4095], 2), ([4096, 1], 3), ([262144], 4)],
)
def test_code_columns(codes: list[int], width: int) -> None:
    got_width, digits = html_island.encode(codes)
    assert got_width == width
    assert len(digits) == width * len(codes)
    assert decode_column(width, digits) == codes
    assert set(digits) <= set(html_island.DIGITS)


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 9000])
def test_chunked_arrays_join_to_one_json_array(size: int) -> None:
    values = [f"v{i}</script>" for i in range(size)]
    chunks = list(html_island._chunked(values))
    assert json.loads("".join(chunks)) == values
    assert len(chunks) == 2 + -(-size // 4096)


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 9000])
def test_flat_extra_is_the_text_of_its_tuples(size: int) -> None:
    """``extra`` is held as one flat array of four codes per finding (memory); its text is what
    the tuples it replaced were written as, chunk for chunk."""
    quads = [(i, i % 7, (i * 3) % 300, i % 2) for i in range(size)]
    flat = array("i", [code for quad in quads for code in quad])
    assert list(html_island._quads(flat)) == list(html_island._chunked(quads))


def test_open_rules_and_worst_severity_pooled_as_the_view_gives_them(rich: ScanResult) -> None:
    findings = view.ordered_findings(rich.findings) * 2  # a credential's rules repeat too
    pairs = html_island._open_and_worst(findings)
    rules = view.open_rules_by_credential(findings)
    worst = view.worst_severity(findings)
    assert pairs == {key: (", ".join(rules[key]), worst[key]) for key in rules}
    assert len({id(p) for p in pairs.values()}) == len(set(pairs.values()))


def islands(result: ScanResult) -> dict[str, Any]:
    text = html.render(result)["report.html"]
    found = re.findall(r'<script type="application/json" id="([\w-]+)">(.*?)</script>', text, re.S)
    out = {name: json.loads(body) for name, body in found}
    for name in ("data-credentials", "data-findings"):
        out[name]["col"] = {k: decode_column(c["w"], c["d"]) for k, c in out[name]["cols"].items()}
    return out


def decode(result: ScanResult) -> tuple[list[list[Any]], list[list[Any]]]:
    """Every finding and inventory row as ``report.js`` shows it."""
    data = islands(result)
    d, c, f = data["data-dicts"], data["data-credentials"], data["data-findings"]
    for name, texts in d.items():
        if isinstance(texts, list) and name not in ("sev", "status", "status_ids", "actions"):
            key = (lambda s: (s.casefold(), s)) if name != "owners" else None
            if key:
                assert texts == sorted(texts, key=key), name  # code order is text order
    names = c["name"]
    assert names[: c["count"]] == sorted(names[: c["count"]], key=lambda s: (s.casefold(), s))
    extra = {x[0]: x[1:] for x in f["extra"]}
    findings = []
    for i in range(f["count"]):
        cred, p = f["col"]["cred"][i], f["col"]["p"][i]
        rule = f["col"]["rule"][i]
        rem, waiver, new = extra.get(i, [d["rem"].get(str(rule), 0), 0, 0])
        owner = d["owners"][c["col"]["owner"][cred]]
        findings.append(
            [
                d["sev"][p % 5],
                d["status_ids"][p // 5 % 5],
                d["rule"][rule],
                d["tenant"][c["col"]["tenant"][cred]],
                names[cred],
                c["id"][cred],
                owner[0] or owner[3],
                d["message"][f["col"]["msg"][i]],
                d["remediation"][rem],
                d["waiver"][waiver],
                new,
                d["actions"][p // 25],
            ]
        )
    inventory = []
    col = c["col"]
    for i in range(c["count"]):
        worst = col["worst"][i]
        inventory.append(
            [
                d["tenant"][col["tenant"][i]],
                names[i],
                c["id"][i],
                d["owners"][col["owner"][i]][:3],
                d["date"][col["created"][i]],
                d["date"][col["last_used"][i]],
                d["date"][col["expires"][i]],
                d["access"][col["access"][i]],
                d["networks"][col["networks"][i]],
                SEVERITIES[worst] if worst < len(SEVERITIES) else "",
                d["open"][col["open"][i]],
            ]
        )
    return findings, inventory


def expected_finding(f: Any) -> list[object]:
    return [
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


def test_islands_hold_every_finding_and_credential(rich: ScanResult) -> None:
    findings, inventory = decode(rich)
    listed = view.ordered_findings(f for f in rich.findings if f.status != "not_applicable")
    assert findings == [expected_finding(f) for f in listed]
    assert any(row[9] for row in findings) and any(row[10] for row in findings)
    worst = view.worst_severity(listed)
    by_key = {(row[0], row[2]): row for row in inventory}
    assert len(by_key) == len(inventory) == len(rich.credentials)
    for c in rich.credentials:
        row = by_key[(c.tenant, c.id)]
        assert row[1] == c.name
        assert row[3][0] == (c.owner.name or "")
        assert row[9] == worst.get(c.key, "")
        assert row[5] == html_island.last_used_text(c)
        assert row[8] == html_island.networks_text(c)


def test_a_finding_without_its_credential_is_still_shown(rich: ScanResult) -> None:
    """A finding naming a credential the inventory lacks (or names differently) gets an entry of
    its own after the inventory's, and the inventory does not grow."""
    first = view.ordered_findings(rich.findings)[0]
    renamed = replace(first, credential_name="renamed since", credential_id="gone-42")
    findings = tuple(renamed if f is first else f for f in rich.findings)
    result = replace(rich, evaluation=replace(rich.evaluation, findings=findings))
    decoded, inventory = decode(result)
    assert [row[4:6] for row in decoded if row[5] == "gone-42"] == [["renamed since", "gone-42"]]
    assert len(inventory) == len(rich.credentials)


def test_stream_yields_the_page_in_chunks(curated: ScanResult) -> None:
    files = html.stream(curated)
    assert list(files) == ["report.html"]
    chunks = list(files["report.html"])
    page = html.render(curated)["report.html"]
    assert len(page) > 2 * (1 << 16)  # so the page must come in several pieces
    assert len(chunks) >= len(page) // (1 << 16) > 1
    assert all(isinstance(c, str) for c in chunks)
    assert "".join(chunks) == page
