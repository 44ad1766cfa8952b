"""``findings.ocsf.jsonl``: one OCSF Detection Finding per finding, for SIEM ingestion.

Target: OCSF schema 1.3.0, class Detection Finding (``class_uid`` 2004, category Findings 2).
Sources, checked rather than guessed (ocsf/ocsf-schema on GitHub, and the versioned 1.3.0
reference at docs.tenzir.com/reference/ocsf/1-3-0/classes/detection_finding):
- base event: ``activity_id``, ``category_uid``, ``class_uid``, ``severity_id``, ``time``,
  ``type_uid`` (= class_uid x 100 + activity_id) and ``metadata`` are required;
- ``events/findings/finding.json``: ``finding_info`` is required; ``activity_id`` 1 = Create;
  ``status_id`` 1 New, 3 Suppressed, 99 Other; ``resources`` recommended;
- ``objects/finding_info.json``: ``uid`` required, ``title`` recommended (required before 1.1),
  ``desc``, ``created_time``, ``first_seen_time`` optional;
- ``objects/metadata.json``: ``product`` and ``version`` (the OCSF schema version) required;
- ``objects/product.json``: ``name`` (later versions) / ``vendor_name`` (earlier versions)
  required, so both are set;
- ``events/findings/detection_finding.json``: ``remediation`` (``desc``) and ``resources``.
``REQUIRED`` below lists what ``tests/reports/test_ocsf.py`` checks on every line.

Timestamps are OCSF ``timestamp_t``: milliseconds since the Unix epoch. ``time`` is when the scan
produced the finding (``scan.finished_at``). Mapping decisions:
- severity: info 1, low 2, medium 3, high 4, critical 5 (the OCSF ``severity_id`` scale);
- ``fail`` and ``manual`` are New (1) alerts; ``waived`` is Suppressed (3) and not an alert. OCSF
  1.3.0's Detection Finding has no ``is_alert`` (the class gained it in 1.4.0), so the flag is
  ``unmapped.credaudit.is_alert``: an attribute the class does not define makes an event invalid
  against the official schema (tests/specs/ocsf, validated in tests/reports/test_ocsf_schema.py);
  a ``not_applicable`` finding (a custom rule may decide one) is status Other (99),
  ``severity_id`` 1 Informational, not an alert: a SIEM rule keyed on severity must not fire on it.
  The rule's own severity and our status stay in ``unmapped.credaudit``. Vendor-capability gaps
  (``Evaluation.not_applicable``: SailPoint has no network restriction) are counts, not findings,
  and produce no event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from auditor.kernel.model import Finding, ScanResult, TenantCoverage
from auditor.kernel.timestamps import format_timestamp
from reports import view
from reports.base import buffered, joined

FILE_NAME = "findings.ocsf.jsonl"
OCSF_VERSION = "1.3.0"
CLASS_UID = 2004
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE

SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_NAMES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
STATUS = {
    "fail": (1, "New"),
    "manual": (1, "New"),
    "waived": (3, "Suppressed"),
    "not_applicable": (99, "Not applicable"),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "": (
        "activity_id",
        "category_uid",
        "class_uid",
        "finding_info",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
    ),
    "finding_info": ("uid", "title"),
    "metadata": ("product", "version"),
    "metadata.product": ("name", "vendor_name"),
}
"""Required attributes per object path (``""`` is the event itself), per the sources above."""


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _envelope(
    result: ScanResult,
    *,
    uid: str,
    severity_id: int,
    status: tuple[int, str],
    message: str,
) -> dict[str, Any]:
    """The attributes every Detection Finding event of a scan shares (class, time, metadata)."""
    return {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": TYPE_UID,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": SEVERITY_NAMES[severity_id],
        "status_id": status[0],
        "status": status[1],
        "time": _ms(result.scan.finished_at),
        "message": message,
        "metadata": {
            "version": OCSF_VERSION,
            "uid": f"{result.scan.id}:{uid}",
            "product": {
                "name": result.tool.name,
                "vendor_name": result.tool.name,
                "version": result.tool.version,
            },
        },
    }


def detection_finding(f: Finding, result: ScanResult) -> dict[str, Any]:
    """One finding as an OCSF 1.3.0 Detection Finding event."""
    status_id, status = STATUS.get(f.status, (99, f.status))
    severity_id = 1 if f.status == "not_applicable" else SEVERITY_IDS[f.severity]
    created = f.first_seen or result.scan.finished_at
    finding_info: dict[str, Any] = {
        "uid": f.fingerprint,
        "title": f"{f.rule_id}: {f.credential_name or f.credential_id}",
        "desc": f.message,
        "created_time": _ms(created),
        "types": ["Credential hygiene", f.rule_id],
        "analytic": {"uid": f.rule_id, "name": f.rule_id, "type_id": 1, "type": "Rule"},
    }
    if f.first_seen is not None:
        finding_info["first_seen_time"] = _ms(f.first_seen)
    kinds = view.credential_kinds(result)  # one entry per tenant: cheap
    resource: dict[str, Any] = {
        "uid": f.credential_id,
        "name": f.credential_name,
        "type": kinds.get(f.provider, f"{f.provider} credential"),
        "data": {"tenant": f.tenant, "provider": f.provider},
    }
    if f.owner_id:
        resource["owner"] = _owner(f, result)
    event: dict[str, Any] = {
        **_envelope(
            result,
            uid=f.fingerprint,
            severity_id=severity_id,
            status=(status_id, status),
            message=f.message,
        ),
        "finding_info": finding_info,
        "resources": [resource],
        "remediation": {"desc": f.remediation},
        "unmapped": {
            "credaudit": {
                "scan_id": result.scan.id,
                "as_of": format_timestamp(result.scan.as_of),
                "is_alert": f.status in view.OPEN_STATUSES,
                "status": f.status,
                "rule_severity": f.severity,
                "controls": list(f.controls),
                "evidence": f.evidence,
                "waiver": f.waiver.model_dump(mode="json") if f.waiver else None,
                "change": f.change,
            }
        },
    }
    return event


USER_TYPE_UNKNOWN = 0
ACCOUNT_TYPE_OTHER = 99


def _owner(f: Finding, result: ScanResult) -> dict[str, Any]:
    """The owner as an OCSF ``user`` (1.3.0 ``objects/user``: ``type_id`` 0 Unknown — a person,
    an admin or a service user, the finding does not say — and its vendor ``account``,
    ``type_id`` 99 Other). ``name`` falls back to the id: consumers built on py-ocsf-models
    require ``uid``, ``name``, ``type_id`` and ``account`` (tests/reports/test_ocsf_schema.py)."""
    uid = f.owner_id or ""
    name = f.owner_name or uid
    label = view.provider_labels(result).get(f.provider, f.provider)
    return {
        "uid": uid,
        "name": name,
        "type_id": USER_TYPE_UNKNOWN,
        "type": "Unknown",
        "account": {
            "uid": uid,
            "name": name,
            "type_id": ACCOUNT_TYPE_OTHER,
            "type": f"{label} user",
        },
    }


def coverage_finding(cov: TenantCoverage, result: ScanResult) -> dict[str, Any]:
    """A tenant not collected completely, as an alerting Detection Finding: a SIEM that reads
    only this file must not see that tenant as clean."""
    severity_id = 4 if cov.status == "failed" else 3
    uid = view.coverage_fingerprint(cov)
    message = view.coverage_message(cov)
    return {
        **_envelope(
            result,
            uid=uid,
            severity_id=severity_id,
            status=(1, "New"),
            message=message,
        ),
        "finding_info": {
            "uid": uid,
            "title": f"{view.COVERAGE_RULE}: tenant {cov.tenant} {cov.status}",
            "desc": message,
            "created_time": _ms(result.scan.finished_at),
            "types": ["Credential hygiene", view.COVERAGE_RULE],
            "analytic": {
                "uid": view.COVERAGE_RULE,
                "name": view.COVERAGE_RULE,
                "type_id": 1,
                "type": "Rule",
            },
        },
        "resources": [
            {
                "uid": cov.tenant,
                "name": cov.tenant,
                "type": "Tenant",
                "data": {"provider": cov.provider},
            }
        ],
        "unmapped": {
            "credaudit": {
                "scan_id": result.scan.id,
                "as_of": format_timestamp(result.scan.as_of),
                "is_alert": True,
                "coverage": cov.model_dump(mode="json"),
            }
        },
    }


def _line(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, sort_keys=True, default=str) + "\n"


def _events(result: ScanResult) -> Iterator[str]:
    for cov in view.coverage_gaps(result):
        yield _line(coverage_finding(cov, result))
    for f in view.ordered_findings(result.findings):
        yield _line(detection_finding(f, result))


def stream(result: ScanResult) -> Mapping[str, Iterable[str]]:
    """One line per event, made as it is written (``reports.base``)."""
    return {FILE_NAME: buffered(_events(result))}


def render(result: ScanResult) -> Mapping[str, str]:
    return joined(stream(result))
