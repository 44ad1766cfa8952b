"""The compliance control mapping (``compliance.yaml``) and the framework threshold constraints.

Kept as data so an auditor can read and challenge the mapping without reading code; this module
validates it, turns it into the ``controls`` strings findings carry, and checks the effective policy
against the thresholds a framework fixes (docs/architecture.md: "the report says when the configured
value does not meet it").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditor.kernel.model import ConstraintGap, ControlInfo, ControlRule

MAPPING_FILE = Path(__file__).with_name("compliance.yaml")
Strength = Literal["direct", "supporting"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Constraint(_Strict):
    """A threshold a control fixes: the parameter must be at most ``max`` or at least ``min``."""

    rule: str
    parameter: str
    max: float | None = None
    min: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Constraint:
        if (self.max is None) == (self.min is None):
            raise ValueError("a constraint needs exactly one of max or min")
        return self

    def met_by(self, value: float) -> bool:
        if self.max is not None:
            return value <= self.max
        return self.min is not None and value >= self.min

    @property
    def required(self) -> float:
        bound = self.max if self.max is not None else self.min
        assert bound is not None
        return bound


class Control(_Strict):
    id: str
    name: str
    rules: dict[str, Strength] = Field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()


class Framework(_Strict):
    id: str
    name: str
    version: str
    ref_label: str
    controls: tuple[Control, ...]

    def ref(self, control: Control) -> str:
        return f"{self.ref_label} {control.id}"


class ComplianceMapping(_Strict):
    frameworks: tuple[Framework, ...]


@cache
def load_mapping(path: Path = MAPPING_FILE) -> ComplianceMapping:
    """The validated mapping file (read once per process)."""
    with path.open(encoding="utf-8") as handle:
        return ComplianceMapping.model_validate(yaml.safe_load(handle))


def controls_for(rule_id: str, mapping: ComplianceMapping | None = None) -> tuple[str, ...]:
    """Every control reference the rule supports, in mapping order (direct and supporting)."""
    mapping = mapping or load_mapping()
    return tuple(
        framework.ref(control)
        for framework in mapping.frameworks
        for control in framework.controls
        if rule_id in control.rules
    )


def control_details(rule_id: str, mapping: ComplianceMapping | None = None) -> list[dict[str, Any]]:
    """The same, with names and strength, for ``credaudit rules --format json``."""
    mapping = mapping or load_mapping()
    return [
        {
            "ref": framework.ref(control),
            "framework": framework.name,
            "version": framework.version,
            "control": control.id,
            "name": control.name,
            "strength": control.rules[rule_id],
        }
        for framework in mapping.frameworks
        for control in framework.controls
        if rule_id in control.rules
    ]


def constraint_gaps(
    effective: Mapping[str | None, Mapping[str, tuple[bool, Mapping[str, Any]]]],
    mapping: ComplianceMapping | None = None,
) -> list[ConstraintGap]:
    """Thresholds the policy does not meet.

    ``effective`` maps ``None`` (the global policy) and each tenant with overrides to
    rule id → (enabled, parameters). A tenant is reported only where its own effective value
    misses a constraint the global policy meets, or misses it with a different value: a global
    gap already covers every tenant that inherits it.
    """
    mapping = mapping or load_mapping()
    gaps: list[ConstraintGap] = []
    global_policy = effective.get(None, {})
    for framework in mapping.frameworks:
        for control in framework.controls:
            for constraint in control.constraints:
                baseline = _check(constraint, global_policy)
                for tenant, policy in effective.items():
                    outcome = _check(constraint, policy)
                    if outcome is None:
                        continue
                    if tenant is not None and outcome == baseline:
                        continue
                    gaps.append(_gap(framework, control, constraint, outcome, tenant))
    return gaps


def _check(
    constraint: Constraint, policy: Mapping[str, tuple[bool, Mapping[str, Any]]]
) -> tuple[bool, float] | None:
    """``None`` when met; otherwise (enabled, configured value)."""
    if constraint.rule not in policy:
        return None
    enabled, params = policy[constraint.rule]
    value = float(params[constraint.parameter])
    if enabled and constraint.met_by(value):
        return None
    return (enabled, value)


def _gap(
    framework: Framework,
    control: Control,
    constraint: Constraint,
    outcome: tuple[bool, float],
    tenant: str | None,
) -> ConstraintGap:
    enabled, value = outcome
    ref = framework.ref(control)
    bound = "at most" if constraint.max is not None else "at least"
    where = f"tenant {tenant}: " if tenant else ""
    setting = f"{constraint.rule}.{constraint.parameter}"
    if not enabled:
        message = (
            f"{where}{ref} needs rule {constraint.rule} with {constraint.parameter} {bound} "
            f"{_num(constraint.required)}, but the rule is disabled"
        )
    else:
        message = (
            f"{where}{ref} needs {setting} {bound} {_num(constraint.required)}; "
            f"configured {_num(value)}"
        )
    return ConstraintGap(
        framework=f"{framework.name} {framework.version}",
        control=ref,
        rule_id=constraint.rule,
        parameter=constraint.parameter,
        required=constraint.required,
        configured=value,
        tenant=tenant,
        message=message,
    )


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def control_catalogue(path: Path = MAPPING_FILE) -> tuple[ControlInfo, ...]:
    """Every mapped control with its rules, for the scan result's compliance matrix."""
    return tuple(
        ControlInfo(
            framework=framework.name,
            version=framework.version,
            ref=framework.ref(control),
            control_id=control.id,
            name=control.name,
            rules=tuple(
                ControlRule(rule_id=rule, strength=strength)
                for rule, strength in control.rules.items()
            ),
        )
        for framework in load_mapping(path).frameworks
        for control in framework.controls
    )
