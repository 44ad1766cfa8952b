"""The compliance mapping data file: coverage of the required controls, consistency."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import RULES
from policies.compliance import Constraint, constraint_gaps, controls_for, load_mapping

REQUIRED = {
    "SOC 2": {"CC6.1", "CC6.2", "CC6.3", "CC6.6"},
    "ISO/IEC 27001:2022": {"A.5.15", "A.5.16", "A.5.17", "A.5.18", "A.8.2", "A.8.5"},
    "NIST SP 800-53 r5": {"AC-2", "AC-2(3)", "AC-6", "AC-6(5)", "AC-6(7)", "IA-4", "IA-5"},
    "CIS Controls v8": {"5.1", "5.3", "5.4", "5.5", "6.2", "6.8"},
    "PCI DSS v4.0": {"7.2.4", "7.2.5", "7.2.5.1", "8.2.2", "8.2.6", "8.6.3"},
}


def test_mapping_covers_exactly_the_required_controls() -> None:
    mapping = load_mapping()
    found = {fw.ref_label: {c.id for c in fw.controls} for fw in mapping.frameworks}
    assert found == REQUIRED
    for framework in mapping.frameworks:
        assert framework.name and framework.version
        for control in framework.controls:
            assert control.name
            assert control.rules, control.id
            assert set(control.rules) <= set(RULES), control.id
            assert "direct" in control.rules.values() or "supporting" in control.rules.values()


def test_every_rule_supports_some_control() -> None:
    for rule_id in RULES:
        assert controls_for(rule_id), rule_id


def test_threshold_constraints() -> None:
    constraints = {
        (fw.ref(c), k.rule, k.parameter): k.max
        for fw in load_mapping().frameworks
        for c in fw.controls
        for k in c.constraints
    }
    assert constraints[("CIS Controls v8 5.3", "stale", "max_idle_days")] == 45
    assert constraints[("PCI DSS v4.0 8.2.6", "stale", "max_idle_days")] == 90
    for _, rule_id, parameter in constraints:
        assert parameter in RULES[rule_id].params_model.model_fields


def test_constraint_bounds() -> None:
    assert Constraint(rule="stale", parameter="max_idle_days", max=45).met_by(45)
    assert not Constraint(rule="stale", parameter="max_idle_days", max=45).met_by(46)
    assert Constraint(rule="x", parameter="y", min=16).met_by(16)


def test_gaps_for_the_exact_boundary() -> None:
    def gaps(days: int) -> list[str]:
        policy: dict[str, tuple[bool, Mapping[str, Any]]] = {
            "stale": (True, {"max_idle_days": days}),
            "never-used": (True, {"grace_days": 14}),
        }
        effective: dict[str | None, Mapping[str, tuple[bool, Mapping[str, Any]]]] = {None: policy}
        return [g.control for g in constraint_gaps(effective)]

    assert gaps(45) == []
    assert gaps(46) == ["CIS Controls v8 5.3"]
    assert gaps(90) == ["CIS Controls v8 5.3"]
    assert gaps(91) == ["CIS Controls v8 5.3", "PCI DSS v4.0 8.2.6"]
