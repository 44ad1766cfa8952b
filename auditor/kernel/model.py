"""The normalised model every other package speaks (docs/architecture.md, "The normalised model").

All models are frozen pydantic v2 models; sequences are tuples so nothing can be mutated after
validation. Timestamps are aware UTC (see ``auditor.kernel.timestamps``). A ``Credential`` holds
facts only, never a secret value.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    computed_field,
    model_validator,
)

from auditor.kernel.timestamps import format_timestamp, parse_timestamp

PROVIDER_NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
ProviderName = Annotated[str, StringConstraints(pattern=PROVIDER_NAME_PATTERN)]
"""A vendor's name (``providers.registry``: built in, or added by a plug-in), checked against the
registry where a configuration names it; never vendor text."""
OwnerStatus = Literal["active", "disabled", "deleted", "not_found", "unknown"]
ScopeMode = Literal["full", "scoped", "unknown"]
FindingStatus = Literal["fail", "waived", "manual", "not_applicable", "pass"]
Severity = Literal["critical", "high", "medium", "low", "info"]
CoverageStatus = Literal["complete", "partial", "failed"]
ScanStatus = Literal["complete", "partial", "incomplete"]
Change = Literal["new", "persisting"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
"""Most severe first."""

SEVERITY_RANK: dict[str, int] = {name: len(SEVERITIES) - i for i, name in enumerate(SEVERITIES)}
"""critical=5 … info=1: compare with ``SEVERITY_RANK[a] >= SEVERITY_RANK[b]``."""


def _parse_utc(value: object) -> datetime | None:
    return parse_timestamp(value)


def _parse_required_utc(value: object) -> datetime:
    parsed = parse_timestamp(value)
    if parsed is None:
        raise ValueError("a timestamp is required here")
    return parsed


UtcDatetime = Annotated[
    datetime,
    BeforeValidator(_parse_required_utc),
    PlainSerializer(format_timestamp, return_type=str),
]
"""An aware UTC instant, serialised as ``2026-01-02T03:04:05.123456Z``."""

OptionalUtcDatetime = Annotated[
    datetime | None,
    BeforeValidator(_parse_utc),
    PlainSerializer(format_timestamp, return_type=str | None),
]


def _parse_network(value: object) -> IPv4Network | IPv6Network:
    if isinstance(value, IPv4Network | IPv6Network):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a CIDR string, got {type(value).__name__}")
    # strict=False: vendors accept "10.0.0.1/24"; the network it denotes is 10.0.0.0/24.
    return ip_network(value.strip(), strict=False)


Network = Annotated[
    IPv4Network | IPv6Network,
    BeforeValidator(_parse_network),
    PlainSerializer(str, return_type=str),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Owner(_Frozen):
    """The person a credential belongs to, as far as the vendor told us."""

    id: str | None = None
    name: str | None = None
    email: str | None = None
    status: OwnerStatus = "unknown"
    roles: tuple[str, ...] = ()
    """What the owner holds, used by ``privileged-access``. ConductorOne: role names (empty for
    a known owner: no role). SailPoint: user levels (``AuthUser.capabilities``, ``USER`` for the
    base level); empty: the level was not read."""
    kind: str | None = None
    """The vendor's kind of user, shown in evidence (ConductorOne ``User.type``, e.g.
    ``USER_TYPE_SERVICE``: service and agent users own keys too); ``None``: not reported."""
    status_reason: str | None = None
    """Why ``status`` is what it is when the vendor's own status alone does not say it (an owner
    enabled in the vendor whose directory or HR record says the person left)."""


class Capabilities(_Frozen):
    """What the vendor can express. A rule whose fact is not expressible is ``not_applicable``."""

    network_restriction: bool
    expiry: bool
    last_used: bool
    last_used_granularity_seconds: int = 0
    """0: exact. SailPoint refreshes ``lastUsed`` at most daily (86400)."""
    last_used_since: OptionalUtcDatetime = None
    """When the vendor began recording last use (``None``: always). A credential created before
    it with no recorded use was not necessarily never used: it has been idle at least since this
    instant, which is ``stale``'s to judge, not ``never-used``'s."""


class EffectivePrivilege(_Frozen):
    """What a credential can do, computed by its adapter from the vendor's permission model
    (ConductorOne: the permissions of the owner's roles, AND'ed with those of the scoped roles).
    A credential holds a role when it holds every one of the role's permissions."""

    roles: tuple[str, ...] = ()
    """Roles it holds for certain."""
    max_roles: tuple[str, ...] | None = None
    """Roles it may hold at most; ``None``: no bound is known (an owner that could not be looked
    up, a role whose permissions are unknown), so any role may be held. Adapters include
    ``roles``; that is not enforced (a saved inventory may not), so rules test both."""
    permissions: int = 0
    """How many distinct permissions it holds for certain."""
    basis: str = ""
    """How it was computed, in words, for evidence."""


class InheritedRestriction(_Frozen):
    """Source-network allow lists that apply to a credential from outside its own record
    (ConductorOne: the tenant-wide allow lists for API keys). For a credential with its own list,
    the ones that may apply alongside it (``enforced``) or ``none``/``unknown``."""

    state: Literal["none", "enforced", "unknown"]
    """``none``: no such list applies; ``enforced``: ``cidrs`` restrict the credential (an empty
    tuple blocks every address); ``unknown``: whether one applies could not be determined."""
    cidrs: tuple[Network, ...] = ()
    origin: str = ""
    """Where the lists come from, for evidence (e.g. the vendor setting's name)."""
    reason: str = ""
    """Why the state is ``unknown`` (or what a reader should know about it)."""
    lists: tuple[tuple[str, tuple[Network, ...]], ...] = ()
    """Each list that may apply, by the vendor's name, with its networks (``cidrs`` is their
    union), so evidence can say where each network came from."""


class Credential(_Frozen):
    """One personal credential, normalised. Facts only, never a secret."""

    provider: ProviderName
    tenant: str
    id: str
    client_id: str | None = None
    name: str = ""
    owner: Owner = Owner()
    created_at: OptionalUtcDatetime = None
    updated_at: OptionalUtcDatetime = None
    last_used_at: OptionalUtcDatetime = None
    expires_at: OptionalUtcDatetime = None
    deleted_at: OptionalUtcDatetime = None
    scopes: tuple[str, ...] = ()
    scope_mode: ScopeMode = "unknown"
    allowed_cidrs: tuple[Network, ...] = ()
    managed: bool | None = None
    access_token_ttl_seconds: int | None = None
    capabilities: Capabilities
    notes: tuple[str, ...] = ()
    """Per-credential facts worth a reader's attention (an unresolved role id, …)."""
    unusable_scopes: tuple[str, ...] = ()
    """Scopes in ``scopes`` that the owner's known access level cannot exercise, by the vendor's
    documentation: granted, yet ineffective while the owner's level stays as it is."""
    unresolved_roles: tuple[str, ...] = ()
    """Role ids (in ``scopes`` or the owner's ``roles``) the vendor's role catalogue did not
    resolve to names: a rule judging role names cannot rule them out."""
    privilege: EffectivePrivilege | None = None
    """Effective privilege as the adapter computed it; ``None``: not computed (a vendor or a saved
    inventory without it), so rules judge ``scopes`` and the owner's ``roles``."""
    inherited_restriction: InheritedRestriction | None = None
    """Allow lists that apply from outside the record when ``allowed_cidrs`` is empty, and those
    that may apply alongside it when it is not (judged for breadth with it); ``None``: the vendor
    has none (the same as state ``none``)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant, self.id)


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
    record_errors: tuple[RecordError, ...] = ()
    error: str | None = None
    requests: int = 0
    retries: int = 0
    duration_seconds: float = 0.0


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


class ScanResult(_Frozen):
    """Everything a report needs; ``results.json`` is its serialisation."""

    schema_version: str = "2.1"
    """2.1: added ``Capabilities.last_used_since``, ``Owner.kind``, ``Owner.status_reason``,
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
