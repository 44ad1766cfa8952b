"""Per-rule and per-control tables for the human-facing reports (``reports.view``): counts by
status per rule (``rule_rows``) and the framework → control → rule compliance matrix."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from auditor.kernel.model import SEVERITY_RANK, ControlInfo, ScanResult

__all__ = [
    "MatrixControl",
    "MatrixFramework",
    "MatrixRule",
    "RuleRow",
    "_matrix_control",
    "compliance_matrix",
    "rule_rows",
]


@dataclass(frozen=True)
class RuleRow:
    rule_id: str
    severity: str
    counts: dict[str, int]

    @property
    def open(self) -> int:
        return self.counts.get("fail", 0) + self.counts.get("manual", 0)


def rule_rows(result: ScanResult) -> list[RuleRow]:
    """Per rule: severity and counts by status (including ``pass``), most severe first."""
    policy_rules = result.evaluation.policy.get("rules", {})
    severities: dict[str, str] = {}
    for rule_id, settings in policy_rules.items() if isinstance(policy_rules, dict) else ():
        if isinstance(settings, dict) and settings.get("severity") in SEVERITY_RANK:
            severities[rule_id] = settings["severity"]
    for f in result.findings:
        severities.setdefault(f.rule_id, f.severity)
    rows = [
        RuleRow(rule_id, severities.get(rule_id, "info"), dict(counts))
        for rule_id, counts in result.evaluation.result_counts.items()
    ]
    return sorted(rows, key=lambda r: (-SEVERITY_RANK[r.severity], r.rule_id))


@dataclass(frozen=True)
class MatrixRule:
    rule_id: str
    strength: str
    failed: int
    manual: int
    waived: int
    passed: int
    not_applicable: int


@dataclass(frozen=True)
class MatrixControl:
    ref: str
    control_id: str
    name: str
    rules: list[MatrixRule]
    gaps: list[str]

    @property
    def state(self) -> str:
        """``fail`` with a failure or an unmet threshold, ``review`` with only manual-review
        results, ``pass`` otherwise."""
        if self.gaps or any(r.failed for r in self.rules):
            return "fail"
        return "review" if any(r.manual for r in self.rules) else "pass"


@dataclass(frozen=True)
class MatrixFramework:
    name: str
    version: str
    controls: list[MatrixControl] = field(default_factory=list)


def compliance_matrix(result: ScanResult) -> list[MatrixFramework]:
    """Framework → control → rules with fail/pass counts, plus unmet thresholds per control."""
    counts = result.evaluation.result_counts
    gaps: dict[str, list[str]] = defaultdict(list)
    for gap in result.evaluation.constraint_gaps:
        gaps[gap.control].append(gap.message)
    frameworks: dict[str, MatrixFramework] = {}
    for control in result.evaluation.controls:
        fw = frameworks.setdefault(
            control.framework, MatrixFramework(control.framework, control.version)
        )
        fw.controls.append(_matrix_control(control, counts, gaps.get(control.ref, [])))
    return list(frameworks.values())


def _matrix_control(
    control: ControlInfo, counts: dict[str, dict[str, int]], gaps: list[str]
) -> MatrixControl:
    rules = []
    for rule in control.rules:
        c = counts.get(rule.rule_id, {})
        rules.append(
            MatrixRule(
                rule_id=rule.rule_id,
                strength=rule.strength,
                failed=c.get("fail", 0),
                manual=c.get("manual", 0),
                waived=c.get("waived", 0),
                passed=c.get("pass", 0),
                not_applicable=c.get("not_applicable", 0),
            )
        )
    return MatrixControl(control.ref, control.control_id, control.name, rules, gaps)
