"""Custom rules: condition operators, null semantics, and validation errors at the node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.kernel.errors import ConfigError
from auditor.kernel.model import Credential
from policies import RULES, evaluate, load_policy
from policies.custom import CustomRule, load_custom_rules
from tests.policies.helpers import AS_OF, DAYS, SECOND, cred, inventory


def rule(condition: Any, **fields: Any) -> CustomRule:
    definition = {
        "id": "custom-check",
        "title": "Custom check",
        "severity": "high",
        "remediation": "Fix it.",
        "condition": condition,
        **fields,
    }
    (compiled,) = load_custom_rules([definition], base_dir=Path(), builtin_ids=list(RULES))
    return compiled


def holds(condition: Any, credential: Credential) -> bool:
    custom = rule(condition)
    return custom.evaluate(credential, custom.context(AS_OF)) is not None


BASE = cred(
    id="k1",
    name="ci-deploy",
    owner={"email": "jane@example.com"},
    scopes=("system:user", "custom:reader"),
    allowed_cidrs=("10.1.2.0/24",),
    created_at=AS_OF - 200 * DAYS,
    expires_at=None,
)

CASES = [
    ({"field": "provider", "eq": "conductorone"}, True),
    ({"field": "provider", "ne": "conductorone"}, False),
    ({"field": "owner.status", "in": ["disabled", "active"]}, True),
    ({"field": "owner.status", "not_in": ["active"]}, False),
    ({"field": "name", "matches": "^ci-"}, True),
    ({"field": "owner.email", "matches": r"@example\.org$"}, False),
    ({"field": "expires_at", "is_null": True}, True),
    ({"field": "client_id", "is_null": True}, True),
    ({"field": "allowed_cidrs", "is_null": False}, True),
    ({"field": "scopes", "contains": "custom:reader"}, True),
    ({"field": "scopes", "contains_any": ["system:owner", "system:viewer"]}, False),
    ({"field": "scopes", "matches": "^custom:"}, True),
    ({"field": "scopes", "eq": ["system:user", "custom:reader"]}, True),
    ({"field": "created_at", "older_than_days": 199}, True),
    ({"field": "created_at", "older_than_days": 200}, False),  # exactly 200 x 24 h: not older
    ({"field": "created_at", "newer_than_days": 200}, True),
    ({"field": "last_used_at", "newer_than_days": 2}, True),
    ({"field": "expires_at", "older_than_days": 1}, False),  # null: comparisons are false
    ({"field": "created_at", "lt": "2026-05-01T00:00:00Z"}, True),
    ({"field": "created_at", "ge": "2026-05-01T00:00:00+02:00"}, False),
    ({"field": "capabilities.last_used_granularity_seconds", "eq": 0}, True),
    ({"field": "access_token_ttl_seconds", "gt": 3600}, False),  # null
    ({"field": "access_token_ttl_seconds", "ne": 3600}, True),  # null is "not equal"
    ({"field": "capabilities.network_restriction", "eq": True}, True),
    ({"field": "allowed_cidrs", "within_cidr": ["10.0.0.0/8"]}, True),
    ({"field": "allowed_cidrs", "within_cidr": ["192.168.0.0/16", "2001:db8::/32"]}, False),
    ({"field": "allowed_cidrs", "contains_cidr": "10.1.2.3"}, True),
    ({"field": "allowed_cidrs", "contains_cidr": "10.1.0.0/16"}, False),
    ({"all": [{"field": "provider", "eq": "conductorone"}, {"field": "name", "eq": "x"}]}, False),
    (
        {"any": [{"field": "provider", "eq": "sailpoint"}, {"field": "name", "eq": "ci-deploy"}]},
        True,
    ),
    ({"not": {"field": "provider", "eq": "sailpoint"}}, True),
]


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_operators(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition, BASE) is expected


def test_expiry_windows_for_future_dates() -> None:
    soon = BASE.model_copy(update={"expires_at": AS_OF + 30 * DAYS})
    assert holds({"field": "expires_at", "within_days": 30}, soon)
    assert not holds({"field": "expires_at", "within_days": 29}, soon)
    assert holds({"field": "expires_at", "beyond_days": 29}, soon)
    assert not holds({"field": "expires_at", "beyond_days": 30}, soon)
    just = BASE.model_copy(update={"created_at": AS_OF - 200 * DAYS - SECOND})
    assert holds({"field": "created_at", "older_than_days": 200}, just)


def test_custom_finding_message_and_evidence() -> None:
    custom = rule(
        {
            "all": [
                {"field": "name", "matches": "^ci-"},
                {"field": "created_at", "older_than_days": 180},
            ]
        },
        controls=["SOC 2 CC6.1"],
    )
    outcome = custom.evaluate(BASE, custom.context(AS_OF))
    assert outcome == (
        "fail",
        "Custom check: name = 'ci-deploy'; created_at 2026-04-15T12:00:00Z (200 days ago)",
        {"name": "ci-deploy", "created_at": "2026-04-15T12:00:00Z"},
    )


def test_custom_rule_in_an_evaluation() -> None:
    policy = load_policy(
        {
            "custom_rules": [
                {
                    "id": "ci-keys",
                    "title": "CI key",
                    "severity": "medium",
                    "remediation": "Use workload federation.",
                    "controls": ["CIS Controls v8 5.5"],
                    "condition": {"field": "name", "matches": "^ci-"},
                }
            ],
            "tenants": {"acme-c1": {"ci-keys": {"severity": "critical"}}},
        },
        tenants=["acme-c1"],
        base_dir=Path(),
    )
    result = evaluate([inventory("acme-c1", BASE, cred(id="k2"))], policy, [], AS_OF)
    found = [f for f in result.findings if f.rule_id == "ci-keys"]
    assert [(f.credential_id, f.severity, f.controls) for f in found] == [
        ("k1", "critical", ("CIS Controls v8 5.5",))
    ]
    assert result.result_counts["ci-keys"]["pass"] == 1
    assert result.policy["custom_rules"][0]["id"] == "ci-keys"


def errors(definition: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(ConfigError) as info:
        load_policy({"custom_rules": [definition]}, tenants=[], base_dir=Path())
    return [(p.key, p.message) for p in (info.value.problems or (info.value,))]


def definition(**fields: Any) -> dict[str, Any]:
    data = {
        "id": "my-rule",
        "title": "Mine",
        "severity": "low",
        "remediation": "Fix it.",
        "condition": {"field": "name", "eq": "x"},
    }
    data.update(fields)
    return data


ERROR_CASES = [
    (
        {
            "condition": {
                "all": [
                    {"field": "name", "eq": "x"},
                    {"field": "created_at", "older_than_days": "90"},
                ]
            }
        },
        ("policy.custom_rules[0].condition.all[1].older_than_days", "expected a number, got '90'"),
    ),
    (
        {"condition": {"any": [{"not": {"field": "owner.statuss", "eq": "active"}}]}},
        ("policy.custom_rules[0].condition.any[0].not.field", "unknown field 'owner.statuss'"),
    ),
    (
        {"condition": {"field": "created_at", "matches": "x"}},
        (
            "policy.custom_rules[0].condition.matches",
            "operator 'matches' does not apply to created_at (time)",
        ),
    ),
    (
        {"condition": {"field": "name", "eq": "x", "ne": "y"}},
        ("policy.custom_rules[0].condition", "a comparison needs exactly one operator, found 2"),
    ),
    (
        {"condition": {"all": []}},
        ("policy.custom_rules[0].condition.all", "'all' needs a non-empty list of conditions"),
    ),
    (
        {"condition": {"all": [{"field": "name", "eq": "x"}], "any": []}},
        ("policy.custom_rules[0].condition", "'all' must be the only key of its node"),
    ),
    (
        {"condition": {"field": "name", "matches": "(unclosed"}},
        (
            "policy.custom_rules[0].condition.matches",
            "invalid or unsupported regular expression (RE2 syntax): missing ): (unclosed",
        ),
    ),
    (  # a backreference needs backtracking: RE2 refuses it
        {"condition": {"field": "name", "matches": "(a)\\1"}},
        (
            "policy.custom_rules[0].condition.matches",
            "invalid or unsupported regular expression (RE2 syntax): invalid escape sequence: \\1",
        ),
    ),
    (
        {"condition": {"field": "allowed_cidrs", "within_cidr": ["10.0.0.0/33"]}},
        (
            "policy.custom_rules[0].condition.within_cidr[0]",
            "invalid network: '10.0.0.0/33' does not appear to be an IPv4 or IPv6 network",
        ),
    ),
    (
        {"condition": {"field": "expires_at", "is_null": "yes"}},
        ("policy.custom_rules[0].condition.is_null", "expected true or false, got 'yes'"),
    ),
    (
        {"condition": "name == x"},
        ("policy.custom_rules[0].condition", "a condition must be a mapping"),
    ),
    (
        {"condition": {"field": "created_at", "older_than_days": float("inf")}},
        (
            "policy.custom_rules[0].condition.older_than_days",
            "expected a finite number of at most 36500, got inf",
        ),
    ),
    (
        {"condition": {"field": "expires_at", "within_days": 1e7}},
        (
            "policy.custom_rules[0].condition.within_days",
            "expected a finite number of at most 36500, got 10000000.0",
        ),
    ),
    ({"id": "stale"}, ("policy.custom_rules[0].id", "'stale' is a built-in rule id")),
    ({"id": "Bad Id"}, ("policy.custom_rules[0].id", "invalid rule id 'Bad Id'")),
    ({"severity": "urgent"}, ("policy.custom_rules[0].severity", "invalid severity 'urgent'")),
    (
        {"controls": "SOC 2"},
        ("policy.custom_rules[0].controls", "controls must be a list of references"),
    ),
    ({"extra": 1}, ("policy.custom_rules[0].extra", "unknown key 'extra'")),
    ({"title": None}, ("policy.custom_rules[0].title", "title is required")),
]


@pytest.mark.parametrize(("fields", "expected"), ERROR_CASES)
def test_validation_errors_point_at_the_node(
    fields: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert errors(definition(**fields)) == [expected]


def test_duplicate_custom_ids() -> None:
    with pytest.raises(ConfigError) as info:
        load_policy({"custom_rules": [definition(), definition()]}, tenants=[], base_dir=Path())
    assert info.value.key == "policy.custom_rules[1].id"


def test_custom_rules_must_be_a_list() -> None:
    with pytest.raises(ConfigError) as info:
        load_policy({"custom_rules": {"id": "x"}}, tenants=[], base_dir=Path())
    assert info.value.key == "policy.custom_rules"


def test_custom_rules_file_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "custom.yaml").write_text(
        "- id: my-rule\n  title: Mine\n  severity: low\n  severity: info\n"
        "  remediation: Fix it.\n  condition: {field: name, eq: x}\n"
    )
    with pytest.raises(ConfigError, match="duplicate key 'severity'"):
        load_policy({"custom_rules": "custom.yaml"}, tenants=[], base_dir=tmp_path)
