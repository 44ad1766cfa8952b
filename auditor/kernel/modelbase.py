"""The building blocks of the normalised model (``auditor.kernel.model``): the vocabularies
(provider names, statuses, severities), the annotated field types (aware UTC timestamps, networks)
and the frozen base every model derives from."""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
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
