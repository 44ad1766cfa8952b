"""The evaluator: one result per (credential, enabled rule), order, counts, findings' fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.kernel.model import Finding, TenantCoverage, TenantInventory, fingerprint
from policies import RULES, construct, evaluate, load_policy
from tests.policies.helpers import AS_OF, DAYS, cred, inventory

TENANTS = ["acme-c1", "acme-isc"]


def policy(raw: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    return load_policy(raw, tenants=TENANTS, base_dir=Path())


def test_every_enabled_rule_yields_one_result_per_credential() -> None:
    c1 = inventory(
        "acme-c1", cred(id="b"), cred(id="a", expires_at=None, owner={"status": "unknown"})
    )
    sp = inventory(
        "acme-isc", cred(provider="sailpoint", tenant="acme-isc", id="z"), provider="sailpoint"
    )
    result = evaluate([sp, c1], policy(), [], AS_OF)
    assert set(result.result_counts) == set(RULES)
    for rule_id, row in result.result_counts.items():
        assert sum(row.values()) == 3, rule_id
    assert result.result_counts["no-source-restriction"] == {
        "fail": 0, "waived": 0, "manual": 0, "not_applicable": 1, "pass": 2,
    }  # fmt: skip
    assert result.result_counts["no-expiry"]["fail"] == 1
    assert result.result_counts["owner-unverified"]["manual"] == 1


def test_findings_are_every_non_pass_result_in_order() -> None:
    c1 = inventory(
        "acme-c1",
        cred(id="b", expires_at=None),
        cred(id="a", scope_mode="full", scopes=(), allowed_cidrs=()),
    )
    sp = inventory("acme-isc", cred(provider="sailpoint", tenant="acme-isc", id="z"))
    result = evaluate([sp, c1], policy(), [], AS_OF)
    keys = [(f.tenant, f.credential_id, f.rule_id) for f in result.findings]
    assert keys == [
        ("acme-c1", "a", "full-owner-access"),
        ("acme-c1", "a", "no-source-restriction"),
        ("acme-c1", "b", "no-expiry"),
    ]
    assert [f.status for f in result.findings] == ["fail", "fail", "fail"]
    # SailPoint cannot restrict a PAT by network: counted once per rule, not one finding each
    assert [g.model_dump() for g in result.not_applicable] == [
        {
            "tenant": "acme-isc",
            "provider": "sailpoint",
            "rule_id": rule_id,
            "capability": "network_restriction",
            "message": "sailpoint cannot express this (network_restriction not supported)",
            "credentials": 1,
        }
        for rule_id in ("broad-source-restriction", "no-source-restriction")
    ]
    total_non_pass = sum(
        n for row in result.result_counts.values() for s, n in row.items() if s != "pass"
    )
    assert total_non_pass == len(result.findings) + sum(
        g.credentials for g in result.not_applicable
    )


def test_finding_fields() -> None:
    credential = cred(id="k1", expires_at=None, owner={"id": "u9", "name": "Ann"})
    result = evaluate([inventory("acme-c1", credential)], policy(), [], AS_OF)
    (finding,) = result.findings
    assert finding.rule_id == "no-expiry"
    assert finding.severity == "high"
    assert finding.provider == "conductorone"
    assert finding.credential_name == "key k1"
    assert (finding.owner_id, finding.owner_name) == ("u9", "Ann")
    assert finding.fingerprint == fingerprint("acme-c1", "k1", "no-expiry")
    assert finding.controls == (
        "SOC 2 CC6.1",
        "ISO/IEC 27001:2022 A.5.17",
        "ISO/IEC 27001:2022 A.8.5",
        "NIST SP 800-53 r5 IA-5",
        "PCI DSS v4.0 8.6.3",
    )
    assert finding.remediation == RULES["no-expiry"].remediation
    assert finding.first_seen is None and finding.change is None and finding.waiver is None
    # Built without validation, yet identical to a validated Finding and serialisable.
    dumped = finding.model_dump(mode="json")
    assert Finding.model_validate(dumped) == finding
    json.dumps(dumped)


def test_fingerprint_is_stable_across_runs_and_policies() -> None:
    credential = cred(id="k1", expires_at=None)
    first = evaluate([inventory("acme-c1", credential)], policy(), [], AS_OF)
    later = evaluate(
        [inventory("acme-c1", credential)],
        policy({"no-expiry": {"severity": "low"}}),
        [],
        AS_OF + 30 * DAYS,
    )
    assert first.findings[0].fingerprint == later.findings[0].fingerprint
    assert later.findings[0].severity == "low"


def test_too_many_per_owner_counts_unexpired_credentials_per_tenant() -> None:
    owner = {"id": "u7"}
    six = [cred(id=f"k{i}", owner=owner) for i in range(6)]
    expired = cred(id="old", owner=owner, expires_at=AS_OF - DAYS)
    other_tenant = cred(tenant="acme-isc", id="x", owner=owner, provider="sailpoint")
    result = evaluate(
        [inventory("acme-c1", *six, expired), inventory("acme-isc", other_tenant)],
        policy(),
        [],
        AS_OF,
    )
    many = [f for f in result.findings if f.rule_id == "too-many-per-owner"]
    assert [f.credential_id for f in many] == [f"k{i}" for i in range(6)]
    assert many[0].message == "owner u7 holds 6 unexpired credentials in tenant acme-c1; limit 5"
    assert result.result_counts["too-many-per-owner"]["pass"] == 2

    five = evaluate([inventory("acme-c1", *six[:5], expired)], policy(), [], AS_OF)
    assert five.result_counts["too-many-per-owner"]["fail"] == 0


def test_too_many_per_owner_without_owner_is_manual() -> None:
    result = evaluate([inventory("acme-c1", cred(owner={"id": None}))], policy(), [], AS_OF)
    statuses = {f.rule_id: f.status for f in result.findings}
    assert statuses["too-many-per-owner"] == "manual"


def test_disabled_rules_yield_nothing_and_tenant_overrides_apply() -> None:
    stale = cred(id="s", last_used_at=AS_OF - 60 * DAYS)
    raw = {
        "no-expiry": {"enabled": False},
        "tenants": {"acme-c1": {"stale": {"max_idle_days": 45, "severity": "critical"}}},
    }
    result = evaluate(
        [
            inventory("acme-c1", stale.model_copy(update={"expires_at": None})),
            inventory("acme-isc", cred(provider="sailpoint", tenant="acme-isc", id="s",
                                       last_used_at=AS_OF - 60 * DAYS)),
        ],
        policy(raw),
        [],
        AS_OF,
    )  # fmt: skip
    assert "no-expiry" not in result.result_counts
    stale_findings = [(f.tenant, f.severity) for f in result.findings if f.rule_id == "stale"]
    assert stale_findings == [("acme-c1", "critical")]
    assert result.policy["tenants"]["acme-c1"]["stale"]["parameters"]["max_idle_days"] == 45
    assert result.policy["rules"]["stale"]["parameters"]["max_idle_days"] == 90
    json.dumps(result.policy)


def test_failed_tenant_has_no_results() -> None:
    failed = TenantInventory(
        coverage=TenantCoverage(
            tenant="acme-isc", provider="sailpoint", status="failed", error="401"
        )
    )
    result = evaluate([failed], policy(), [], AS_OF)
    assert result.findings == ()
    assert result.result_counts["stale"] == dict.fromkeys(
        ("fail", "waived", "manual", "not_applicable", "pass"), 0
    )


def test_constraint_gaps_in_evaluation() -> None:
    result = evaluate([], policy(), [], AS_OF)
    assert [
        (g.control, g.rule_id, g.parameter, g.required, g.configured)
        for g in result.constraint_gaps
    ] == [("CIS Controls v8 5.3", "stale", "max_idle_days", 45.0, 90.0)]
    assert result.constraint_gaps[0].message == (
        "CIS Controls v8 5.3 needs stale.max_idle_days at most 45; configured 90"
    )


def test_as_of_with_an_offset_is_the_same_instant() -> None:
    from datetime import timedelta, timezone

    credential = cred(last_used_at=AS_OF - 90 * DAYS)
    shifted = AS_OF.astimezone(timezone(timedelta(hours=5, minutes=30)))
    result = evaluate([inventory("acme-c1", credential)], policy(), [], shifted)
    assert result.result_counts["stale"]["pass"] == 1


def test_findings_support_model_copy_with_update() -> None:
    # the evaluator builds findings without validation; they must still behave like models
    result = evaluate([inventory("acme-c1", cred(id="k1", expires_at=None))], policy(), [], AS_OF)
    finding = result.findings[0]
    copied = finding.model_copy(update={"change": "new"})
    assert copied.change == "new"
    assert finding.change is None
    assert "change" in copied.model_fields_set


def test_the_fast_constructor_is_used_only_while_it_builds_what_model_construct_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert construct.pick_constructor() is construct.fast_construct
    baseline = evaluate([inventory("acme-c1", cred(expires_at=None))], policy(), [], AS_OF)
    # a pydantic without the slots we set: the public API
    monkeypatch.setattr(construct, "SETTERS", None)
    assert construct.pick_constructor() is construct.slow_construct
    # a setter that stores something else than model_construct does: the public API
    good = construct.slot_setters()
    assert good is not None

    def wrong_extra(instance: object, value: object) -> None:
        good[2](instance, {})

    monkeypatch.setattr(construct, "SETTERS", (good[0], good[1], wrong_extra, good[3]))
    assert construct.pick_constructor() is construct.slow_construct
    # and the slow path gives the same findings
    monkeypatch.setattr(construct, "SETTERS", None)
    monkeypatch.setattr(construct, "construct", construct.slow_construct)
    slow = evaluate([inventory("acme-c1", cred(expires_at=None))], policy(), [], AS_OF)
    assert [f.model_dump() for f in slow.findings] == [f.model_dump() for f in baseline.findings]
    assert slow.findings == baseline.findings
