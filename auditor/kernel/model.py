"""The normalised model every other package speaks (docs/architecture.md, "The normalised model").

All models are frozen pydantic v2 models; sequences are tuples so nothing can be mutated after
validation. Timestamps are aware UTC (see ``auditor.kernel.timestamps``). A ``Credential`` holds
facts only, never a secret value.

This module is the model's one import point; its parts live in:

- ``auditor.kernel.modelbase``: the vocabularies, severities, annotated field types (timestamps,
  networks) and the frozen base;
- ``auditor.kernel.credential``: ``Owner``, ``Capabilities``, ``EffectivePrivilege``,
  ``InheritedRestriction`` and ``Credential``;
- ``auditor.kernel.coveragenotes``: ``CoverageNote`` (a structured coverage note) and its helpers;
- ``auditor.kernel.results``: ``TenantInventory`` and its coverage, findings, the evaluation and
  ``ScanResult``, with ``fingerprint`` and ``scan_status``.

(The credential side is not defined here because the results side needs ``Credential``: defining
it here and re-exporting the results would make the two modules import each other.)
"""

from __future__ import annotations

from auditor.kernel.coveragenotes import CoverageNote, NoteSeverity
from auditor.kernel.credential import (
    Capabilities,
    Credential,
    EffectivePrivilege,
    InheritedRestriction,
    Owner,
)
from auditor.kernel.modelbase import (
    PROVIDER_NAME_PATTERN,
    SEVERITIES,
    SEVERITY_RANK,
    Change,
    CoverageStatus,
    FindingStatus,
    Network,
    OptionalUtcDatetime,
    OwnerStatus,
    ProviderName,
    ScanStatus,
    ScopeMode,
    Severity,
    UtcDatetime,
)
from auditor.kernel.modelbase import _Frozen as _Frozen
from auditor.kernel.modelbase import _parse_network as _parse_network
from auditor.kernel.modelbase import _parse_required_utc as _parse_required_utc
from auditor.kernel.modelbase import _parse_utc as _parse_utc
from auditor.kernel.results import (
    ConstraintGap,
    ControlInfo,
    ControlRule,
    Evaluation,
    Finding,
    NotApplicable,
    RecordError,
    ScanInfo,
    ScanResult,
    TenantCoverage,
    TenantInventory,
    ToolInfo,
    TrendPoint,
    WaiverRef,
    WaiverStatus,
    fingerprint,
    scan_status,
)
from auditor.kernel.results import _by_status as _by_status

__all__ = [
    "PROVIDER_NAME_PATTERN",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Capabilities",
    "Change",
    "ConstraintGap",
    "ControlInfo",
    "ControlRule",
    "CoverageNote",
    "CoverageStatus",
    "Credential",
    "EffectivePrivilege",
    "Evaluation",
    "Finding",
    "FindingStatus",
    "InheritedRestriction",
    "Network",
    "NotApplicable",
    "NoteSeverity",
    "OptionalUtcDatetime",
    "Owner",
    "OwnerStatus",
    "ProviderName",
    "RecordError",
    "ScanInfo",
    "ScanResult",
    "ScanStatus",
    "ScopeMode",
    "Severity",
    "TenantCoverage",
    "TenantInventory",
    "ToolInfo",
    "TrendPoint",
    "UtcDatetime",
    "WaiverRef",
    "WaiverStatus",
    "fingerprint",
    "scan_status",
]
