"""Loading the policy: default pack, overrides, per-tenant settings, errors with key paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.kernel.errors import ConfigError
from policies import RULES, default_policy, describe_rules, load_policy
from policies.evaluator import policy_gaps

TENANTS = ["acme-c1", "acme-isc"]


def load(raw: dict[str, Any] | None, base_dir: Path = Path()) -> Any:
    return load_policy(raw, tenants=TENANTS, base_dir=base_dir)


def problems(err: ConfigError) -> list[tuple[str | None, str]]:
    return [(p.key, p.message) for p in (err.problems or (err,))]


def test_default_pack_is_the_rules_own_defaults() -> None:
    """The rule ids are a public contract (docs/architecture.md's catalogue); each rule's defaults
    are stated once, in its module, and the pack is read from them. (The documented example policy,
    which spells every default out, pins their values: tests/policies/test_examples.py.)"""
    ids = [
        "stale",
        "never-used",
        "no-expiry",
        "long-lifetime",
        "expired",
        "expiring-soon",
        "no-source-restriction",
        "broad-source-restriction",
        "full-owner-access",
        "privileged-access",
        "inactive-owner",
        "owner-unverified",
        "too-many-per-owner",
    ]
    policy = default_policy()
    assert list(policy.rules) == ids == list(RULES)
    for rule_id, rule in RULES.items():
        settings = policy.rules[rule_id]
        assert settings.enabled is rule.default_enabled is True  # every built-in runs by default
        assert settings.severity == rule.default_severity
        assert settings.params == rule.params_model()  # pack == model defaults
        assert settings.params.model_dump() == {
            name: field.get_default(call_default_factory=True)
            for name, field in rule.params_model.model_fields.items()
        }
    assert policy.rules["privileged-access"].params.model_dump()["conductorone_roles"] == [
        "system:owner"
    ]
    assert not list(Path(policies_dir()).glob("default_policy*")), "no second statement of them"


def policies_dir() -> Path:
    import policies

    return Path(policies.__file__).parent


def test_none_means_defaults() -> None:
    assert load(None).rules == default_policy().rules


def test_global_and_tenant_overrides_merge_key_by_key() -> None:
    policy = load(
        {
            "stale": {"max_idle_days": 45, "severity": "critical"},
            "tenants": {
                "acme-isc": {"stale": {"max_idle_days": 30}, "expired": {"enabled": False}}
            },
        }
    )
    assert policy.rules["stale"].params.model_dump()["max_idle_days"] == 45
    isc = policy.for_tenant("acme-isc")
    assert isc["stale"].params.model_dump()["max_idle_days"] == 30
    assert isc["stale"].severity == "critical"  # inherited from the global override
    assert not isc["expired"].enabled
    assert policy.for_tenant("acme-c1") is policy.rules
    data = policy.to_dict()
    json.dumps(data)
    assert data["tenants"] == {
        "acme-isc": {
            "stale": {
                "enabled": True,
                "severity": "critical",
                "parameters": {"max_idle_days": 30, "granularity_tolerance": False},
            },
            "expired": {"enabled": False, "severity": "low", "parameters": {}},
        }
    }


def test_errors_name_the_rule_and_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        load(
            {
                "stale": {"max_idle_days": 0, "max_idle": 3},
                "expired": {"severity": "urgent", "enabled": "yes"},
                "no-such-rule": {},
                "privileged-access": {"conductorone_roles": "system:owner"},
                "tenants": {"acme-c1": {"never-used": {"grace_days": "14"}}, "nope": {}},
            }
        )
    found = problems(info.value)
    keys = [key for key, _ in found]
    assert keys == [
        "policy.stale.max_idle_days",
        "policy.stale.max_idle",
        "policy.expired.enabled",
        "policy.expired.severity",
        "policy.no-such-rule",
        "policy.privileged-access.conductorone_roles",
        "policy.tenants.acme-c1.never-used.grace_days",
        "policy.tenants.nope",
    ]
    messages = dict(found)
    assert messages["policy.stale.max_idle"] == "unknown parameter 'max_idle' for rule stale"
    assert messages["policy.stale.max_idle_days"].startswith(
        "invalid value 0 for stale max_idle_days: Input should be greater than or equal to 1"
    )
    assert messages["policy.tenants.nope"] == "unknown tenant 'nope'"
    fixes = {p.key: p.fix for p in info.value.problems}
    assert fixes["policy.stale.max_idle"] == (
        "keys accepted for stale: enabled, severity, max_idle_days, granularity_tolerance"
    )
    assert "stale" in str(info.value) and "max_idle_days" in str(info.value)


def test_a_single_problem_is_raised_alone_and_can_be_located() -> None:
    with pytest.raises(ConfigError) as info:
        load({"stale": {"max_idle_days": -1}})
    assert info.value.problems == ()
    located = info.value.located("config.yaml")
    assert located.describe().startswith(
        "config.yaml: policy.stale.max_idle_days: invalid value -1"
    )


def test_policy_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError) as info:
        load_policy(["stale"], tenants=TENANTS, base_dir=Path())  # type: ignore[arg-type]
    assert info.value.key == "policy"


def test_describe_rules_lists_builtin_and_custom_rules() -> None:
    policy = load(
        {
            "custom_rules": [
                {
                    "id": "managed-full",
                    "title": "Managed PAT with full scope",
                    "severity": "high",
                    "remediation": "Re-create it with scopes.",
                    "controls": ["SOC 2 CC6.3"],
                    "condition": {"all": [{"field": "managed", "eq": True}]},
                }
            ],
            "managed-full": {"severity": "low"},
            "tenants": {"acme-c1": {"stale": {"max_idle_days": 30}}},
        }
    )
    rows = describe_rules(policy)
    json.dumps(rows)
    assert [row["id"] for row in rows] == [*RULES, "managed-full"]
    stale = rows[0]
    assert stale["source"] == "builtin"
    assert stale["parameters"] == {"max_idle_days": 90, "granularity_tolerance": False}
    assert stale["requires_capability"] == "last_used"
    assert {
        row["id"]: row["requires_capability"] for row in rows if row["requires_capability"]
    } == {
        "stale": "last_used",
        "never-used": "last_used",
        "no-expiry": "expiry",
        "long-lifetime": "expiry",
        "expired": "expiry",
        "expiring-soon": "expiry",
        "no-source-restriction": "network_restriction",
        "broad-source-restriction": "network_restriction",
    }
    assert stale["tenant_overrides"]["acme-c1"]["parameters"]["max_idle_days"] == 30
    assert "CIS Controls v8 5.3" in stale["controls"]
    assert {"ref": "CIS Controls v8 5.3", "strength": "direct"}.items() <= next(
        d for d in stale["control_details"] if d["ref"] == "CIS Controls v8 5.3"
    ).items()
    custom = rows[-1]
    assert custom["source"] == "custom"
    assert custom["severity"] == "low"
    assert custom["controls"] == ["SOC 2 CC6.3"]
    assert custom["parameters"] == {}


def test_constraint_gaps_global_tenant_and_disabled() -> None:
    policy = load(
        {
            "stale": {"max_idle_days": 45},
            "tenants": {
                "acme-c1": {"stale": {"max_idle_days": 120}},
                "acme-isc": {"never-used": {"enabled": False}},
            },
        }
    )
    gaps = [(g.tenant, g.control, g.rule_id, g.configured) for g in policy_gaps(policy)]
    assert gaps == [
        ("acme-c1", "CIS Controls v8 5.3", "stale", 120.0),
        ("acme-isc", "CIS Controls v8 5.3", "never-used", 14.0),
        ("acme-c1", "PCI DSS v4.0 8.2.6", "stale", 120.0),
        ("acme-isc", "PCI DSS v4.0 8.2.6", "never-used", 14.0),
    ]
    disabled = next(g for g in policy_gaps(policy) if g.tenant == "acme-isc")
    assert disabled.message == (
        "tenant acme-isc: CIS Controls v8 5.3 needs rule never-used with grace_days at most 45, "
        "but the rule is disabled"
    )


def test_custom_rules_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        "- id: no-name\n  title: Unnamed\n  severity: low\n  remediation: Name it.\n"
        "  condition: {field: name, eq: ''}\n"
    )
    policy = load({"custom_rules": "rules.yaml"}, base_dir=tmp_path)
    assert [rule.id for rule in policy.custom_rules] == ["no-name"]


def test_custom_rules_file_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        "- id: no-name\n  title: Unnamed\n  severity: low\n  remediation: Name it.\n"
        "  condition: {field: nam, eq: ''}\n"
    )
    with pytest.raises(ConfigError) as info:
        load({"custom_rules": "rules.yaml"}, base_dir=tmp_path)
    assert info.value.file == str(tmp_path / "rules.yaml")
    assert info.value.key == "custom_rules[0].condition.field"
    with pytest.raises(ConfigError) as missing:
        load({"custom_rules": "absent.yaml"}, base_dir=tmp_path)
    assert missing.value.key == "policy.custom_rules"


def test_rule_ids_include_custom_rules() -> None:
    policy = load(
        {
            "custom_rules": [
                {
                    "id": "x-rule",
                    "title": "X",
                    "severity": "low",
                    "remediation": "Fix.",
                    "condition": {"field": "name", "eq": "x"},
                }
            ]
        }
    )
    assert policy.rule_ids == (*RULES, "x-rule")
