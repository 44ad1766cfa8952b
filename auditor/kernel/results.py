"""The results side of the normalised model (``auditor.kernel.model``): what a provider returns
for a tenant (``TenantInventory``, ``TenantCoverage``), what the policy evaluator decides
(``Finding``, ``Evaluation`` and what it reports alongside) and the whole scan (``ScanResult``,
whose serialisation is ``results.json``)."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, Literal

from pydantic import Field, computed_field, model_validator

from auditor.kernel.coveragenotes import CoverageNote, merge_notes
from auditor.kernel.credential import Credential
from auditor.kernel.modelbase import (
    SEVERITIES,
    Change,
    CoverageStatus,
    FindingStatus,
    OptionalUtcDatetime,
    ProviderName,
    ScanStatus,
    Severity,
    UtcDatetime,
    _Frozen,
)


class WaiverRef(_Frozen):
    """The waiver that applied to (or expired on) a finding."""

    id: str
    reason: str
    approved_by: str
    expires: UtcDatetime
    ticket: str | None = None
    expired: bool = False


def fingerprint(tenant: str, credential_id: str, rule_id: str) -> str:
    """Stable identity of a finding across scans: same tenant, credential and rule."""
    material = "\x1f".join((tenant, credential_id, rule_id)).encode()
    return hashlib.sha256(material).hexdigest()[:32]


class Finding(_Frozen):
    """One rule's result for one credential; flat so it maps 1:1 to CSV and OCSF rows."""

    rule_id: str
    status: FindingStatus
    severity: Severity
    provider: ProviderName
    tenant: str
    credential_id: str
    credential_name: str = ""
    owner_id: str | None = None
    owner_name: str | None = None
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: str = ""
    controls: tuple[str, ...] = ()
    fingerprint: str
    waiver: WaiverRef | None = None
    first_seen: OptionalUtcDatetime = None
    change: Change | None = None


class RecordError(_Frozen):
    """A vendor record that could not be normalised; it is reported, never dropped silently."""

    index: int | None = None
    record_id: str | None = None
    message: str


class TenantCoverage(_Frozen):
    """How completely one tenant was collected."""

    tenant: str
    provider: ProviderName
    status: CoverageStatus
    provider_label: str = ""
    """What reports call the vendor (the provider declares it; empty in results saved before
    2.1: reports then show ``provider``)."""
    credential_kind: str = ""
    """What reports call one of its credentials ("SailPoint personal access token")."""
    base_url: str | None = None
    credential_count: int = 0
    excluded_deleted: int = 0
    """Soft-deleted credentials the vendor still listed; excluded from the population."""
    notes: tuple[str, ...] = ()
    """Each of ``note_details`` as one line (``CoverageNote.text``), causes first: what readers
    of results before 2.2 know. Derived from ``note_details``; a string given here that is not
    the text of one of them is kept as an ``info`` note of kind ``note``."""
    note_details: tuple[CoverageNote, ...] = ()
    """The notes with kind, severity (cause / caveat / info) and count, aggregated and ordered
    causes first (``auditor.kernel.coveragenotes``; added in 2.2)."""
    record_errors: tuple[RecordError, ...] = ()
    error: str | None = None
    requests: int = 0
    retries: int = 0
    duration_seconds: float = 0.0

    @model_validator(mode="before")
    @classmethod
    def _structure_notes(cls, data: Any) -> Any:
        # ``notes`` always mirrors ``note_details``: both are rebuilt here from whatever was given
        # (structured notes, plain strings, or both as saved), so neither can go stale.
        if not isinstance(data, dict):
            return data
        details = [
            d if isinstance(d, CoverageNote) else CoverageNote.model_validate(d)
            for d in data.get("note_details") or ()
        ]
        texts = {d.text for d in details}
        for note in data.get("notes") or ():
            if isinstance(note, CoverageNote) or not (isinstance(note, str) and note in texts):
                details.append(note)
        merged = merge_notes(details)
        return {**data, "note_details": merged, "notes": tuple(n.text for n in merged)}

    def with_notes(self, *notes: CoverageNote, **update: Any) -> TenantCoverage:
        """A copy with ``notes`` added (aggregated, reordered) and ``update`` applied."""
        data = {**self.model_dump(), **update}
        data["note_details"] = (*self.note_details, *notes)
        data.pop("notes")
        return TenantCoverage.model_validate(data)

    @property
    def causes(self) -> tuple[CoverageNote, ...]:
        """The notes that say why the population may be incomplete."""
        return tuple(n for n in self.note_details if n.severity == "cause")

    def reasons(self) -> tuple[str, ...]:
        """Why this tenant's results are not the whole story, most important first: the error,
        the unreadable records, then each cause note. What every output's incomplete-scan banner
        shows (HTML, Markdown, the terminal summary, the CSV/OCSF coverage rows), so they agree.

        With no cause note (a result saved before 2.2 holds plain notes only) the other notes
        stand in, caveats first: a partial tenant is never shown without a reason."""
        lines = [self.error] if self.error else []
        if self.record_errors:
            lines.append(
                f"{len(self.record_errors):,} record(s) could not be read; the population is "
                "incomplete"
            )
        notes = [n for n in self.note_details if n.kind != "records-unreadable"]
        shown = [n for n in notes if n.severity == "cause"]
        if not shown and not lines:
            shown = [n for n in notes if n.severity == "caveat"] or notes
        return (*lines, *(n.text for n in shown))


class TenantInventory(_Frozen):
    """What a provider returns: the credentials and how complete they are."""

    coverage: TenantCoverage
    credentials: tuple[Credential, ...] = ()


class ConstraintGap(_Frozen):
    """A framework threshold the effective policy does not meet (e.g. CIS 5.3: 45 idle days)."""

    framework: str
    control: str
    rule_id: str
    parameter: str
    required: float
    configured: float
    tenant: str | None = None
    message: str


class WaiverStatus(_Frozen):
    """A waiver as the evaluation found it: active, expiring, expired or stale."""

    id: str
    rule_id: str
    state: Literal["active", "expiring", "expired", "stale"]
    reason: str
    approved_by: str
    expires: UtcDatetime
    ticket: str | None = None
    matched: int = 0
    message: str = ""


class ControlRule(_Frozen):
    rule_id: str
    strength: Literal["direct", "supporting"]


class ControlInfo(_Frozen):
    """One framework control and the rules that support it (the compliance matrix's rows)."""

    framework: str
    version: str
    ref: str
    """What findings carry in ``controls``, e.g. ``CIS Controls v8 5.3``."""
    control_id: str
    name: str
    rules: tuple[ControlRule, ...] = ()


class NotApplicable(_Frozen):
    """Results of one rule that are ``not_applicable`` because the vendor cannot express its fact
    (``Capabilities``), counted per (tenant, provider, rule) instead of one finding each.

    Such a result depends on the vendor, not on the credential: listing it once per credential
    (100,000 identical rows for a SailPoint tenant's network rules) told a reader nothing the
    count does not, and cost every output its size.
    """

    tenant: str
    provider: ProviderName
    rule_id: str
    capability: str
    message: str
    credentials: int


class Evaluation(_Frozen):
    """What the policy evaluator hands back to the engine."""

    findings: tuple[Finding, ...] = ()
    """Every fail, manual and waived result, and any ``not_applicable`` a rule decided itself
    (a custom rule may); vendor-capability ``not_applicable`` results are in ``not_applicable``."""
    not_applicable: tuple[NotApplicable, ...] = ()
    """Vendor-capability gaps, counted (see ``NotApplicable``), by tenant, rule, provider."""
    result_counts: dict[str, dict[str, int]] = Field(default_factory=dict)
    """rule id → status → count, including ``pass``."""
    policy: dict[str, Any] = Field(default_factory=dict)
    """The effective policy, JSON-serialisable."""
    waivers: tuple[WaiverStatus, ...] = ()
    constraint_gaps: tuple[ConstraintGap, ...] = ()
    controls: tuple[ControlInfo, ...] = ()
    """The compliance catalogue the findings' ``controls`` refer to."""


class ToolInfo(_Frozen):
    name: str = "credaudit"
    version: str


class ScanInfo(_Frozen):
    id: str
    started_at: UtcDatetime
    finished_at: UtcDatetime
    as_of: UtcDatetime
    status: ScanStatus


class TrendPoint(_Frozen):
    """One tenant in one recorded scan, for the HTML report's trend chart (filled by history).
    ``failing`` counts failing findings by severity; empty for a failed tenant (never zeros)."""

    scan_id: str
    as_of: UtcDatetime
    tenant: str
    status: CoverageStatus
    failing: dict[str, int] = Field(default_factory=dict)


class ScanResult(_Frozen):
    """Everything a report needs; ``results.json`` is its serialisation."""

    schema_version: str = "3.0"
    """3.0: ``results.json`` is compact (``reports/jsoncodec.py``): credentials leave out their
    defaults and refer to ``tables``; findings refer to their credential by index and leave out
    what it and ``finding_defaults`` give. The model itself is unchanged; ``reports.json.load``
    reads 2.x and 3.x documents alike.

    2.2: added ``TenantCoverage.note_details`` (structured coverage notes: kind, severity,
    count; ``notes`` keeps each one's text, causes first).

    2.1: added ``Capabilities.last_used_since``, ``Owner.kind``, ``Owner.status_reason``,
    ``Credential.privilege``, ``Credential.inherited_restriction`` (with its ``lists``) and
    ``Credential.unusable_scopes`` (consumers of 2.0 keep working: only optional fields were
    added).

    2.0: ``findings`` no longer holds vendor-capability ``not_applicable`` results; they are
    counted in the new ``not_applicable`` (a redefined field: a major version, by the schema's
    own rule)."""
    tool: ToolInfo
    scan: ScanInfo
    coverage: tuple[TenantCoverage, ...]
    credentials: tuple[Credential, ...]
    evaluation: Evaluation
    resolved: tuple[Finding, ...] = ()
    """Findings of the previous complete scan that are gone now (filled by history)."""
    trend: tuple[TrendPoint, ...] = Field(default=(), exclude=True)
    """Each tenant's recorded scans up to this one (filled by history, for the HTML chart);
    never serialised: ``results.json`` and the evidence bundle stay what they were."""

    @model_validator(mode="before")
    @classmethod
    def _drop_computed(cls, data: Any) -> Any:
        # ``summary`` is computed from the rest: a saved result must validate again as it was
        # dumped (history, evidence, --from-inventory), and a stale summary must never win.
        if isinstance(data, dict) and "summary" in data:
            data = {k: v for k, v in data.items() if k != "summary"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, Any]:
        findings = self.evaluation.findings
        # "findings" and the severity counts are failures only. A `manual` result (the owner
        # lookup was refused, a role id unresolved) is a question for a reviewer, not a confirmed
        # failure; counting it under its rule's severity would inflate "critical" by every
        # unverifiable owner. It is counted on its own.
        open_findings = [f for f in findings if f.status == "fail"]
        return {
            "tenants": len(self.coverage),
            "tenants_failed": sum(1 for c in self.coverage if c.status == "failed"),
            "tenants_partial": sum(1 for c in self.coverage if c.status == "partial"),
            "credentials": len(self.credentials),
            "record_errors": sum(len(c.record_errors) for c in self.coverage),
            "findings": len(open_findings),
            "manual": sum(1 for f in findings if f.status == "manual"),
            "waived": sum(1 for f in findings if f.status == "waived"),
            "by_status": _by_status(self.evaluation),
            "by_severity": {
                sev: sum(1 for f in open_findings if f.severity == sev) for sev in SEVERITIES
            },
            "by_rule": dict(sorted(Counter(f.rule_id for f in open_findings).items())),
            "by_tenant": dict(sorted(Counter(f.tenant for f in open_findings).items())),
            # both over the statuses history marks (fail, manual, waived), as the badges are
            "new": sum(1 for f in findings if f.change == "new"),
            "resolved": len(self.resolved),
        }

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.evaluation.findings


def _by_status(evaluation: Evaluation) -> dict[str, int]:
    counts = Counter(f.status for f in evaluation.findings)
    for group in evaluation.not_applicable:
        counts["not_applicable"] += group.credentials
    return {status: n for status, n in counts.items() if n}


def scan_status(coverage: tuple[TenantCoverage, ...] | list[TenantCoverage]) -> ScanStatus:
    """``incomplete`` if any tenant failed, ``partial`` if any was partial, else ``complete``."""
    statuses = {c.status for c in coverage}
    if "failed" in statuses:
        return "incomplete"
    if "partial" in statuses:
        return "partial"
    return "complete"
