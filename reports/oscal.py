"""``assessment-results.oscal.json``: the scan as an OSCAL 1.1 Assessment Results document, for
compliance platforms (GRC tools that ingest OSCAL) and assessors.

Target: OSCAL 1.1.3, model ``assessment-results`` (usnistgov/OSCAL ``v1.1.3``,
src/metaschema/oscal_assessment-results_metaschema.xml and oscal_assessment-common_metaschema.xml;
reference https://pages.nist.gov/OSCAL-Reference/models/v1.1.3/assessment-results/json-reference/).
``tests/reports/test_oscal.py`` validates every document with compliance-trestle's independent
OSCAL 1.1.3 models. Mapping:

- the scan is the one ``result`` (start/end = the scan's, ``reviewed-controls`` = every NIST SP
  800-53 r5 control of our mapping, ``policies/compliance.yaml``);
- each credential is an ``inventory-item`` in the result's ``local-definitions`` and the
  ``subject`` of one ``observation`` (method TEST, collected at the scan's as-of) that lists its
  failing, manual and waived results; an incompletely collected tenant gets an observation saying
  so (what was not collected is not assessed; nothing here reads as a pass);
- each failing, manual or waived result is one ``finding`` per NIST control it maps to, targeting
  that control's assessment objective (``objective-id`` ``ac-2.3_obj`` for AC-2(3): the ids of
  NIST's OSCAL SP 800-53 r5 catalog, usnistgov/oscal-content
  nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json) with state ``not-satisfied``
  (reason ``fail``; ``other`` for manual review and waived), linked to the credential's observation;
  a result no NIST control maps to targets the rule id and says so (``mapped`` = ``false``);
- each waiver is a ``risk``: status ``deviation-approved`` while active, ``open`` once expired,
  ``closed`` when it matches nothing; ``deadline`` = its expiry; approver and ticket as props;
  waived findings link to it (``related-risks``);
- ``back-matter`` resources carry SHA-256 hashes tying the document to its data: standalone, of
  ``results.json`` as ``-f json`` writes it; inside an evidence bundle, of every other file of the
  bundle (``render(result, attachments=...)``), so an assessor can check the document against the
  bundle's (signed) manifest. ``import-ap`` points at the policy resource: the effective policy is
  the assessment plan.

UUIDs are version 5, derived from the scan id and stable keys: the same scan gives the same bytes.
Vendor text passes through ``visible`` (no invisible or bidi character reaches a GRC screen).
Extension props use the namespace ``https://credaudit.invalid/ns/oscal`` (a URI OSCAL requires;
``.invalid`` is reserved by RFC 2606, so it names no one else's domain and is never fetched).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditor.kernel.model import Credential, Finding, ScanResult, WaiverStatus
from auditor.kernel.timestamps import format_timestamp
from auditor.kernel.visible import visible
from reports import json as json_format
from reports.base import buffered
from reports.lazyjson import Lazy as _Lazy
from reports.lazyjson import encoded as _encoded
from reports.lazyjson import listed as _listed

FILE_NAME = "assessment-results.oscal.json"
OSCAL_VERSION = "1.1.3"
NS = "https://credaudit.invalid/ns/oscal"
NIST_REF = "NIST SP 800-53 r5"
_ROOT = uuid.UUID("0b7c6d1e-4a35-5c1f-9f3e-6372656461ff")
RISK_STATUS = {
    "active": "deviation-approved",
    "expiring": "deviation-approved",
    "expired": "open",
    "stale": "closed",
}
REASON = {"fail": "fail", "manual": "other", "waived": "other"}


def _ts(value: datetime) -> str:
    text = format_timestamp(value)
    assert text is not None
    return text


def control_id(label: str) -> str:
    """``AC-2(3)`` as NIST's OSCAL catalog spells it: ``ac-2.3``."""
    base, _, enhancement = label.partition("(")
    ident = base.strip().lower()
    return f"{ident}.{enhancement.rstrip(')').strip()}" if enhancement else ident


def _prop(name: str, value: object) -> dict[str, str]:
    # an OSCAL string: no leading or trailing whitespace, no line break (``visible`` marks it)
    return {"name": name, "ns": NS, "value": visible(value).strip() or "-"}


class _Ids:
    def __init__(self, scan_id: str) -> None:
        self.base = uuid.uuid5(_ROOT, scan_id)

    def __call__(self, *parts: str) -> str:
        return str(uuid.uuid5(self.base, "\x1f".join(parts)))


def _nist_controls(result: ScanResult) -> dict[str, str]:
    """Finding ``controls`` label → OSCAL control id, for the NIST SP 800-53 r5 controls."""
    return {
        c.ref: control_id(c.control_id)
        for c in result.evaluation.controls
        if c.ref.startswith(NIST_REF + " ")
    }


def _credential_item(cred: Credential, ids: _Ids) -> dict[str, Any]:
    props = [
        _prop("provider", cred.provider),
        _prop("tenant", cred.tenant),
        _prop("credential-id", cred.id),
    ]
    if cred.owner.id:
        props.append(_prop("owner-id", cred.owner.id))
    if cred.expires_at:
        props.append(_prop("expires-at", _ts(cred.expires_at)))
    if cred.last_used_at:
        props.append(_prop("last-used-at", _ts(cred.last_used_at)))
    name = visible(cred.name) or visible(cred.id)
    return {
        "uuid": ids("credential", cred.tenant, cred.id),
        "description": f"{cred.provider} credential {name} in tenant {visible(cred.tenant)}",
        "props": props,
    }


def _observation(
    cred: Credential, findings: list[Finding], ids: _Ids, collected: str
) -> dict[str, Any]:
    lines = [f"{f.status}: {f.rule_id} ({f.severity}): {visible(f.message)}" for f in findings]
    subject = {
        "subject-uuid": ids("credential", cred.tenant, cred.id),
        "type": "inventory-item",
        "title": visible(cred.name) or visible(cred.id),
    }
    description = (
        "Open results: " + "; ".join(lines) if lines else "No failing, manual or waived result."
    )
    return {
        "uuid": ids("observation", cred.tenant, cred.id),
        "title": f"Credential {visible(cred.id)} in {visible(cred.tenant)}",
        "description": description,
        "methods": ["TEST"],
        "subjects": [subject],
        "collected": collected,
    }


def _finding(
    f: Finding, target: str | None, ids: _Ids, observation: str | None, risks: dict[str, str]
) -> dict[str, Any]:
    label = {"fail": "failed", "manual": "needs manual review", "waived": "failed (waived)"}
    title = f"{f.rule_id} {label.get(f.status, f.status)} for {visible(f.credential_id)}"
    out: dict[str, Any] = {
        "uuid": ids("finding", f.fingerprint, target or "-"),
        "title": title,
        "description": visible(f.message),
        "props": [
            _prop("rule-id", f.rule_id),
            _prop("status", f.status),
            _prop("severity", f.severity),
            _prop("tenant", f.tenant),
            _prop("fingerprint", f.fingerprint),
            _prop("mapped", "true" if target else "false"),
        ],
        "target": {
            "type": "objective-id",
            "target-id": f"{target}_obj" if target else f.rule_id,
            "status": {"state": "not-satisfied", "reason": REASON.get(f.status, "other")},
        },
    }
    if f.first_seen:
        out["props"].append(_prop("first-seen", _ts(f.first_seen)))
    if f.remediation:
        out["remarks"] = visible(f.remediation)
    if observation:
        out["related-observations"] = [{"observation-uuid": observation}]
    if f.waiver is not None and f.waiver.id in risks:
        out["related-risks"] = [{"risk-uuid": risks[f.waiver.id]}]
    return out


def _risk(w: WaiverStatus, ids: _Ids) -> dict[str, Any]:
    props = [_prop("waiver-id", w.id), _prop("approved-by", w.approved_by), _prop("state", w.state)]
    if w.ticket:
        props.append(_prop("ticket", w.ticket))
    return {
        "uuid": ids("risk", w.id),
        "title": f"Waiver {visible(w.id)} for rule {w.rule_id}",
        "description": visible(w.reason),
        "statement": (
            f"Accepted risk: {w.matched} result(s) of {w.rule_id}, approved by "
            f"{visible(w.approved_by)} until {_ts(w.expires)}. {visible(w.message)}"
        ).strip(),
        "props": props,
        "status": RISK_STATUS[w.state],
        "deadline": _ts(w.expires),
    }


def _resource(ids: _Ids, name: str, data: bytes | Digest, title: str) -> dict[str, Any]:
    digest = data.sha256 if isinstance(data, Digest) else hashlib.sha256(data).hexdigest()
    return {
        "uuid": ids("resource", name),
        "title": title,
        "rlinks": [
            {
                "href": name,
                "hashes": [{"algorithm": "SHA-256", "value": digest}],
            }
        ],
    }


@dataclass(frozen=True)
class Digest:
    """An attachment given by its SHA-256 (hex) rather than its bytes: the evidence bundle
    streams its entries and hashes them as they are written, never holding one whole."""

    sha256: str


def _observations(
    result: ScanResult, open_findings: list[Finding], ids: _Ids, collected: str
) -> Iterator[dict[str, Any]]:
    by_cred: dict[tuple[str, str], list[Finding]] = {}
    for f in open_findings:
        by_cred.setdefault((f.tenant, f.credential_id), []).append(f)
    for c in result.credentials:
        yield _observation(c, by_cred.get((c.tenant, c.id), []), ids, collected)
    del by_cred
    for cov in result.coverage:
        if cov.status != "complete":
            yield {
                "uuid": ids("coverage", cov.tenant),
                "title": f"Tenant {visible(cov.tenant)} collected {cov.status}",
                "description": f"Tenant {visible(cov.tenant)} ({cov.provider}) was not "
                f"collected completely ({cov.status}): credentials not collected were not "
                "assessed, and no control is satisfied by their absence.",
                "methods": ["TEST"],
                "collected": collected,
            }


def _findings(
    result: ScanResult,
    open_findings: list[Finding],
    ids: _Ids,
    nist: dict[str, str],
    risks: dict[str, str],
) -> Iterator[dict[str, Any]]:
    seen = {(c.tenant, c.id) for c in result.credentials}
    for f in open_findings:
        obs = ids("observation", f.tenant, f.credential_id)
        observation = obs if (f.tenant, f.credential_id) in seen else None
        targets: list[str | None] = [*sorted({nist[c] for c in f.controls if c in nist})]
        for t in targets or [None]:
            yield _finding(f, t, ids, observation, risks)


def _results_json_digest(result: ScanResult) -> dict[str, Digest]:
    """``results.json`` as ``-f json`` writes it, by its SHA-256, hashed as it is streamed."""
    digests = {}
    for name, chunks in json_format.stream(result).items():
        hashed = hashlib.sha256()
        for chunk in chunks:
            hashed.update(chunk.encode())
        digests[name] = Digest(hashed.hexdigest())
    return digests


def _back_matter(
    result: ScanResult,
    ids: _Ids,
    plan: dict[str, Any],
    attachments: Mapping[str, bytes | Digest] | None,
) -> Iterator[dict[str, Any]]:
    yield plan
    if attachments is None:
        attachments = _results_json_digest(result)
    for name, data in sorted(attachments.items()):
        yield _resource(ids, name, data, f"credaudit evidence file {name}")


def _skeleton(
    result: ScanResult, attachments: Mapping[str, bytes | Digest] | None
) -> dict[str, Any]:
    """The document with its population-sized arrays as ``_Lazy`` (made as they are read)."""
    scan = result.scan
    ids = _Ids(scan.id)
    collected = _ts(scan.as_of)
    nist = _nist_controls(result)
    open_findings = [f for f in result.findings if f.status in ("fail", "manual", "waived")]
    incomplete = any(cov.status != "complete" for cov in result.coverage)
    risks = {w.id: ids("risk", w.id) for w in result.evaluation.waivers}
    policy = json.dumps(result.evaluation.policy, sort_keys=True, separators=(",", ":"))
    plan = {
        "uuid": ids("plan"),
        "title": "Assessment plan: the effective credaudit policy",
        "props": [_prop("policy-sha256", hashlib.sha256(policy.encode()).hexdigest())],
    }
    result_doc: dict[str, Any] = {
        "uuid": ids("result"),
        "title": f"credaudit scan {scan.id}",
        "description": f"Credential hygiene scan as of {collected}: status {scan.status}, "
        f"{len(result.coverage)} tenant(s), {len(result.credentials)} credential(s), "
        f"{sum(1 for f in open_findings if f.status == 'fail')} failing result(s).",
        "start": _ts(scan.started_at),
        "end": _ts(scan.finished_at),
        "props": [_prop("scan-id", scan.id), _prop("scan-status", scan.status)]
        + [_prop("tenant-status", f"{c.tenant}={c.status}") for c in result.coverage],
        "reviewed-controls": {
            "control-selections": [
                {"include-controls": [{"control-id": c} for c in sorted(set(nist.values()))]}
                if nist
                else {"include-all": {}}
            ]
        },
    }
    if result.credentials:
        result_doc["local-definitions"] = {
            "inventory-items": _Lazy(lambda: (_credential_item(c, ids) for c in result.credentials))
        }
    if result.credentials or incomplete:
        result_doc["observations"] = _Lazy(
            lambda: _observations(result, open_findings, ids, collected)
        )
    if risks:
        result_doc["risks"] = [_risk(w, ids) for w in result.evaluation.waivers]
    if open_findings:  # each open result is at least one finding
        result_doc["findings"] = _Lazy(lambda: _findings(result, open_findings, ids, nist, risks))
    if scan.status != "complete":
        result_doc["remarks"] = (
            "Incomplete scan: at least one tenant failed or was collected partially; "
            "the findings cannot be the whole story."
        )
    return {
        "assessment-results": {
            "uuid": ids("assessment-results"),
            "metadata": {
                "title": f"credaudit assessment results: scan {scan.id}",
                "last-modified": _ts(scan.finished_at),
                "version": result.tool.version,
                "oscal-version": OSCAL_VERSION,
                "props": [_prop("tool", f"{result.tool.name} {result.tool.version}")],
            },
            "import-ap": {
                "href": f"#{plan['uuid']}",
                "remarks": "No separate assessment plan: the effective policy (back-matter) is it.",
            },
            "results": [result_doc],
            "back-matter": {
                "resources": _Lazy(lambda: _back_matter(result, ids, plan, attachments))
            },
        }
    }


def document(
    result: ScanResult, attachments: Mapping[str, bytes | Digest] | None = None
) -> dict[str, Any]:
    """The OSCAL document as Python data; ``attachments`` are the files it travels with (an
    evidence bundle's), by name; default: ``results.json`` as ``-f json`` writes it (hashed as
    it is streamed). ``stream`` writes the same document without holding it."""
    listed: dict[str, Any] = _listed(_skeleton(result, attachments))
    return listed


def chunks(
    result: ScanResult, attachments: Mapping[str, bytes | Digest] | None = None
) -> Iterator[str]:
    """The document's text in pieces of about 64 Ki characters, made as they are read."""
    yield from buffered(itertools.chain(_encoded(_skeleton(result, attachments), 0), ("\n",)))


def render(
    result: ScanResult, attachments: Mapping[str, bytes | Digest] | None = None
) -> dict[str, str]:
    return {FILE_NAME: "".join(chunks(result, attachments))}


def stream(result: ScanResult) -> Mapping[str, Iterator[str]]:
    """The streaming interface (``stream(result) -> {file name: chunks}``): nothing is made
    until the chunks are read, and the document is never held whole."""
    return {FILE_NAME: chunks(result)}
