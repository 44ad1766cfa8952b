"""``findings.ocsf.jsonl``: OCSF 1.3.0 Detection Findings, required attributes present.

The required attribute list (``reports.ocsf.REQUIRED``) and its sources are documented in
``reports/ocsf.py``; this test checks every emitted event against it and the fixed values.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.kernel.model import ScanResult
from reports import ocsf


def events(result: ScanResult) -> list[dict[str, Any]]:
    text = ocsf.render(result)["findings.ocsf.jsonl"]
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def lookup(event: dict[str, Any], path: str) -> Any:
    node: Any = event
    for part in filter(None, path.split(".")):
        node = node[part]
    return node


def test_one_event_per_non_pass_finding_and_per_incomplete_tenant(rich: ScanResult) -> None:
    out = events(rich)
    gaps = [c for c in rich.coverage if c.status != "complete"]
    assert len(gaps) == 2  # the rich fixture has a failed and a partial tenant
    assert len(out) == len(rich.findings) + len(gaps)
    findings = [e for e in out if e["finding_info"]["analytic"]["uid"] != "coverage"]
    assert sorted(e["finding_info"]["uid"] for e in findings) == sorted(
        f.fingerprint for f in rich.findings
    )
    coverage = {e["resources"][0]["uid"]: e for e in out if e not in findings}
    assert set(coverage) == {"broken-isc", "partial-c1"}
    assert coverage["broken-isc"]["severity_id"] == 4
    assert coverage["broken-isc"]["unmapped"]["credaudit"]["is_alert"] is True
    assert "HTTP 403" in coverage["broken-isc"]["message"]


def test_required_attributes(rich: ScanResult) -> None:
    for event in events(rich):
        for path, names in ocsf.REQUIRED.items():
            node = lookup(event, path)
            for name in names:
                assert node.get(name) not in (None, ""), f"{path or 'event'}.{name} missing"


def test_fixed_values(curated: ScanResult) -> None:
    for event in events(curated):
        assert event["class_uid"] == 2004
        assert event["category_uid"] == 2
        assert event["activity_id"] == 1
        assert event["type_uid"] == 200401
        assert event["metadata"]["version"] == "1.3.0"
        assert event["metadata"]["product"] == {
            "name": "credaudit",
            "vendor_name": "credaudit",
            "version": curated.tool.version,
        }
        assert event["time"] == 1795478402000  # FINISHED, 2026-11-24T00:00:02Z, in ms
        assert isinstance(event["finding_info"]["created_time"], int)


def test_status_and_severity_mapping(rich: ScanResult) -> None:
    by_uid = {e["finding_info"]["uid"]: e for e in events(rich)}
    seen = set()
    for f in rich.findings:
        event = by_uid[f.fingerprint]
        key = (f.status, f.severity)
        if f.status == "not_applicable":
            expected = (99, "Not applicable", 1, False)
        else:
            sev = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}[f.severity]
            status = (3, "Suppressed") if f.status == "waived" else (1, "New")
            expected = (*status, sev, f.status in ("fail", "manual"))
        alert = event["unmapped"]["credaudit"]["is_alert"]
        got = (event["status_id"], event["status"], event["severity_id"], alert)
        assert got == expected, key
        assert event["unmapped"]["credaudit"]["rule_severity"] == f.severity
        seen.add(f.status)
    assert seen == {"fail", "manual", "waived", "not_applicable"}


def test_resource_and_remediation(curated: ScanResult) -> None:
    finding = next(f for f in curated.findings if f.rule_id == "stale")
    event = next(e for e in events(curated) if e["finding_info"]["uid"] == finding.fingerprint)
    assert event["resources"] == [
        {
            "uid": finding.credential_id,
            "name": finding.credential_name,
            "type": "ConductorOne personal client",
            "data": {"tenant": "sandbox-c1", "provider": "conductorone"},
            "owner": {
                "uid": finding.owner_id,
                "name": finding.owner_name,
                "type_id": 0,
                "type": "Unknown",
                "account": {
                    "uid": finding.owner_id,
                    "name": finding.owner_name,
                    "type_id": 99,
                    "type": "ConductorOne user",
                },
            },
        }
    ]
    assert event["remediation"] == {"desc": finding.remediation}
    assert event["finding_info"]["title"] == "stale: stale: old laptop"
    assert event["finding_info"]["desc"] == finding.message
    assert event["metadata"]["uid"] == f"{curated.scan.id}:{finding.fingerprint}"


def test_history_first_seen(rich: ScanResult) -> None:
    new = [e for e in events(rich) if e["unmapped"]["credaudit"].get("change") == "new"]
    assert len(new) == 3
    assert {e["finding_info"]["first_seen_time"] for e in new} == {1795478400000}
