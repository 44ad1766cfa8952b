"""Waivers: validation, the life cycle (active, expiring, expired, stale), failed tenants."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from auditor.kernel.errors import ConfigError
from auditor.kernel.model import Evaluation, TenantCoverage, TenantInventory
from policies import RULES, evaluate, load_policy, load_waivers
from tests.policies.helpers import AS_OF, DAYS, cred, inventory

TENANTS = ["acme-c1", "acme-isc"]
POLICY = load_policy(None, tenants=TENANTS, base_dir=Path())


def waiver(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "W-1",
        "rule": "no-expiry",
        "match": {"tenant": "acme-c1", "credential_id": "k1"},
        "reason": "Break-glass key, reviewed monthly",
        "approved_by": "ciso@example.com",
        "approved_at": "2026-06-01",
        "expires": "2027-01-31",
    }
    data.update(fields)
    return data


def load(*entries: dict[str, Any]) -> Any:
    return load_waivers(list(entries), base_dir=Path(), known_rules=list(RULES))


def run(waivers: Any, *inventories: TenantInventory, as_of: Any = AS_OF) -> Evaluation:
    if not inventories:
        inventories = (inventory("acme-c1", cred(id="k1", expires_at=None)),)
    return evaluate(list(inventories), POLICY, waivers, as_of)


def test_active_waiver_waives_and_keeps_every_field() -> None:
    unwaived = run(()).findings[0]
    result = run(load(waiver(ticket="https://jira.example.com/SEC-1")))
    (finding,) = result.findings
    assert finding.status == "waived"
    assert finding.model_dump(exclude={"status", "waiver"}) == unwaived.model_dump(
        exclude={"status", "waiver"}
    )
    assert finding.waiver is not None
    assert finding.waiver.model_dump(mode="json") == {
        "id": "W-1",
        "reason": "Break-glass key, reviewed monthly",
        "approved_by": "ciso@example.com",
        "expires": "2027-01-31T23:59:59.999999Z",
        "ticket": "https://jira.example.com/SEC-1",
        "expired": False,
    }
    assert result.result_counts["no-expiry"]["waived"] == 1
    assert result.result_counts["no-expiry"]["fail"] == 0
    (state,) = result.waivers
    assert (state.state, state.matched, state.message) == ("active", 1, "covers 1 finding(s)")


def test_waiver_expiring_within_14_days_is_flagged() -> None:
    waivers = load(waiver(expires="2026-11-14", approved_at="2026-10-01"))
    (state,) = run(waivers).waivers
    assert state.state == "expiring"
    assert state.message == (
        "expires in 13 days (2026-11-14); covers 1 finding(s): renew it or fix them"
    )
    later = load(waiver(expires="2026-11-16", approved_at="2026-10-01"))
    assert run(later).waivers[0].state == "active"


def test_expired_waiver_reopens_the_finding() -> None:
    waivers = load(waiver(expires="2026-10-31", approved_at="2026-01-01"))
    result = run(waivers)
    (finding,) = result.findings
    assert finding.status == "fail"
    assert finding.message.endswith("; waiver W-1 expired on 2026-10-31")
    assert finding.waiver is not None and finding.waiver.expired
    (state,) = result.waivers
    assert state.state == "expired"
    assert state.message == "expired on 2026-10-31; 1 finding(s) it covered are open again"


def test_waiver_is_valid_through_its_expiry_instant() -> None:
    waivers = load(waiver(expires="2026-11-01T12:00:00Z", approved_at="2026-01-01"))
    assert run(waivers).findings[0].status == "waived"
    assert run(waivers, as_of=AS_OF + DAYS / 86400).findings[0].status == "fail"


def test_waiver_that_matches_nothing_is_stale() -> None:
    waivers = load(waiver(match={"credential_id": "gone"}))
    result = run(waivers)
    assert result.findings[0].status == "fail"
    (state,) = result.waivers
    assert state.state == "stale"
    assert state.matched == 0
    assert state.message.startswith("matches no open finding of rule no-expiry")


def test_waiver_for_a_failed_tenant_is_not_stale() -> None:
    failed = TenantInventory(
        coverage=TenantCoverage(tenant="acme-isc", provider="sailpoint", status="failed")
    )
    scoped = waiver(id="W-2", match={"tenant": "acme-isc", "name": "ci-*"})
    unscoped = waiver(id="W-3", match={"name": "nothing-*"})
    result = run(load(scoped, unscoped), inventory("acme-c1", cred(id="k1")), failed)
    states = {s.id: (s.state, s.message) for s in result.waivers}
    assert states["W-2"] == (
        "active",
        "tenant acme-isc could not be collected; its matches could not be checked",
    )
    assert states["W-3"][0] == "active"
    assert "1 tenant(s) were not collected completely (acme-isc)" in states["W-3"][1]
    not_scanned = run(load(scoped), inventory("acme-c1", cred(id="k1")))
    assert not_scanned.waivers[0].message == (
        "tenant acme-isc was not part of this scan; its matches could not be checked"
    )


def test_match_by_owner_and_name_pattern() -> None:
    inv = inventory(
        "acme-c1",
        cred(id="a", name="ci-deploy", expires_at=None, owner={"id": "u1"}),
        cred(id="b", name="laptop", expires_at=None, owner={"id": "u1"}),
        cred(id="c", name="ci-test", expires_at=None, owner={"id": "u2"}),
    )
    waivers = load(
        waiver(id="by-name", match={"name": "ci-*"}),
        waiver(id="by-owner", match={"owner_id": "u1", "name": "laptop"}),
    )
    result = run(waivers, inv)
    assert [
        (f.credential_id, f.status, f.waiver.id if f.waiver else None) for f in result.findings
    ] == [
        ("a", "waived", "by-name"),
        ("b", "waived", "by-owner"),
        ("c", "waived", "by-name"),
    ]
    assert [s.matched for s in result.waivers] == [2, 1]


def test_not_applicable_and_pass_results_are_never_waived() -> None:
    sp = cred(provider="sailpoint", tenant="acme-isc", id="k1")
    waivers = load(
        waiver(id="na", rule="no-source-restriction", match={"tenant": "acme-isc"}),
    )
    result = run(waivers, inventory("acme-isc", sp))
    assert not [f for f in result.findings if f.rule_id == "no-source-restriction"]
    (group,) = [g for g in result.not_applicable if g.rule_id == "no-source-restriction"]
    assert group.credentials == 1
    assert result.result_counts["no-source-restriction"]["waived"] == 0
    assert result.waivers[0].state == "stale"


def test_waiver_for_a_disabled_rule_says_so() -> None:
    policy = load_policy({"no-expiry": {"enabled": False}}, tenants=TENANTS, base_dir=Path())
    result = evaluate([inventory("acme-c1", cred(id="k1"))], policy, load(waiver()), AS_OF)
    assert (
        result.waivers[0].message
        == "matches nothing: rule no-expiry is disabled for tenant acme-c1"
    )


def config_problems(*entries: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(ConfigError) as info:
        load_waivers(list(entries), base_dir=Path(), known_rules=list(RULES))
    return [(p.key, p.message) for p in (info.value.problems or (info.value,))]


def test_required_fields() -> None:
    entry = waiver()
    del entry["reason"]
    del entry["expires"]
    assert config_problems(waiver(), entry) == [
        ("waivers[1].reason", "reason is required"),
        ("waivers[1].expires", "expires is required"),
    ]


def test_expiry_more_than_a_year_after_approval() -> None:
    assert config_problems(waiver(approved_at="2026-01-15", expires="2027-01-16")) == [
        (
            "waivers[0].expires",
            "expires 2027-01-16, more than one year after approval on 2026-01-15",
        )
    ]
    ok = load(waiver(approved_at="2026-01-15", expires="2027-01-15"))
    assert ok[0].expires.isoformat() == "2027-01-15T23:59:59.999999+00:00"
    leap = load(waiver(approved_at=date(2028, 2, 29), expires=date(2029, 2, 28)))
    assert leap[0].expires_label == "2029-02-28"


@pytest.mark.parametrize(
    "when", ["9999-12-31", "9999-12-31T23:59:59Z", date(9999, 12, 31), "0001-01-01T00:00:00Z"]
)
def test_out_of_range_instants_are_config_problems(when: object) -> None:
    """Issue 22: an approval in year 9999 was a ValueError (year 10000) adding its one year."""
    problems = config_problems(waiver(approved_at=when, expires=when))
    assert [key for key, _ in problems] == ["waivers[0].approved_at", "waivers[0].expires"]
    assert all("out of range" in message for _, message in problems)


def test_other_validation_errors() -> None:
    found = config_problems(
        waiver(rule="stael"),
        waiver(id="W-2", match={}),
        waiver(id="W-3", match={"tenant": "a", "team": "x"}),
        waiver(id="W-4", expires="tomorrow"),
        waiver(id="W-5", expires="2026-05-01"),
        waiver(id="W-6", colour="red"),
        waiver(id="W-7"),
        waiver(id="W-7", rule="stale"),
    )
    assert found == [
        ("waivers[0].rule", "unknown rule 'stael'"),
        ("waivers[1].match", "match is required"),
        ("waivers[2].match.team", "unknown match key 'team'"),
        ("waivers[3].expires", "'tomorrow' is not an RFC 3339 timestamp"),
        ("waivers[4].expires", "expires before it was approved"),
        ("waivers[5].colour", "unknown key 'colour'"),
        ("waivers[7].id", "duplicate waiver id 'W-7'"),
    ]


def test_timestamps_without_offset_are_rejected() -> None:
    assert config_problems(waiver(expires="2026-12-01T10:00:00")) == [
        (
            "waivers[0].expires",
            "timestamp '2026-12-01T10:00:00' has no time zone offset (add Z or ±HH:MM)",
        )
    ]


def test_waiver_file(tmp_path: Path) -> None:
    (tmp_path / "waivers.yaml").write_text(
        "waivers:\n"
        "  - rule: no-expiry\n"
        "    match: {credential_id: k1}\n"
        "    reason: Break-glass\n"
        "    approved_by: ciso@example.com\n"
        "    approved_at: 2026-06-01\n"
        "    expires: 2027-01-31\n"
    )
    (waiver_,) = load_waivers("waivers.yaml", base_dir=tmp_path, known_rules=list(RULES))
    assert waiver_.id == "waiver-1"
    assert waiver_.file == str(tmp_path / "waivers.yaml")
    (tmp_path / "bad.yaml").write_text("- rule: no-expiry\n  match: {credential_id: k1}\n")
    with pytest.raises(ConfigError) as info:
        load_waivers("bad.yaml", base_dir=tmp_path, known_rules=list(RULES))
    assert info.value.file == str(tmp_path / "bad.yaml")
    assert {p.key for p in info.value.problems} == {
        "waivers[0].reason",
        "waivers[0].approved_by",
        "waivers[0].approved_at",
        "waivers[0].expires",
    }
    assert all(p.file == str(tmp_path / "bad.yaml") for p in info.value.problems)


def test_no_waivers() -> None:
    assert load_waivers(None, base_dir=Path(), known_rules=[]) == ()


def test_waived_and_reopened_findings_round_trip_through_validation() -> None:
    from auditor.kernel.model import Finding

    for expires in ("2027-01-31", "2026-10-31"):
        result = run(load(waiver(expires=expires, approved_at="2026-06-01")))
        finding = result.findings[0]
        assert Finding.model_validate(finding.model_dump(mode="json")) == finding


def test_expiring_window_boundary() -> None:
    exactly = load(waiver(expires="2026-11-15T12:00:00Z", approved_at="2026-10-01"))
    assert run(exactly).waivers[0].state == "expiring"
    beyond = load(waiver(expires="2026-11-15T12:00:01Z", approved_at="2026-10-01"))
    assert run(beyond).waivers[0].state == "active"


def test_waiver_for_a_partial_tenant_is_not_stale() -> None:
    partial = TenantInventory(
        coverage=TenantCoverage(tenant="acme-isc", provider="sailpoint", status="partial")
    )
    scoped = waiver(id="W-2", match={"tenant": "acme-isc", "credential_id": "not-collected"})
    result = run(load(scoped), inventory("acme-c1", cred(id="k1")), partial)
    (state,) = result.waivers
    assert (state.state, state.message) == (
        "active",
        "tenant acme-isc was collected only partially; its matches could not be fully checked",
    )


WAIVER_FILE = """\
- rule: no-expiry
  match: {credential_id: k1}
  reason: vaulted break-glass key
  approved_by: ciso@example.com
  approved_at: 2026-10-01
  expires: 2026-12-31
"""


def test_waiver_file_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    # PyYAML would silently keep the later `expires`, extending the exception unseen
    (tmp_path / "w.yaml").write_text(WAIVER_FILE + "  expires: 2027-09-30\n")
    with pytest.raises(
        ConfigError, match=r"w\.yaml: not valid YAML at line 7.*duplicate key 'expires'"
    ):
        load_waivers("w.yaml", base_dir=tmp_path, known_rules=list(RULES))


def test_waiver_file_yaml_errors_quote_nothing(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(WAIVER_FILE + "  reason: [unclosed s3cr3t-in-file\n")
    with pytest.raises(ConfigError) as info:
        load_waivers("w.yaml", base_dir=tmp_path, known_rules=list(RULES))
    assert "not valid YAML at line" in str(info.value)
    assert "s3cr3t-in-file" not in str(info.value)


def test_missing_waiver_file_is_located_at_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_waivers("nope.yaml", base_dir=tmp_path, known_rules=list(RULES))
    assert info.value.key == "waivers"
    assert "file not found" in str(info.value)


def test_a_waiver_on_one_finding_leaves_the_credentials_other_findings_alone() -> None:
    """Findings of one credential are built from the same starting point: a waiver (or any
    field) of the first must not carry over to the next ones, nor to other credentials."""
    full_c1: dict[str, Any] = {"scope_mode": "full", "scopes": (), "allowed_cidrs": ()}
    credentials = (
        cred(id="k1", expires_at=None, **full_c1),  # full-owner-access, no-expiry, no-source-...
        cred(id="k2", expires_at=None, owner={"id": "u2", "name": "Ann"}, **full_c1),
    )
    plain = run((), inventory("acme-c1", *credentials))
    # the first finding of k1 in rule order is full-owner-access: waive just that one
    first = next(f for f in plain.findings if f.credential_id == "k1")
    assert first.rule_id == "full-owner-access"
    result = run(load(waiver(rule="full-owner-access")), inventory("acme-c1", *credentials))
    assert [(f.credential_id, f.rule_id) for f in result.findings] == [
        (f.credential_id, f.rule_id) for f in plain.findings
    ]
    assert len([f for f in result.findings if f.credential_id == "k1"]) >= 3
    for before, after in zip(plain.findings, result.findings, strict=True):
        if (after.credential_id, after.rule_id) == ("k1", "full-owner-access"):
            assert (after.status, after.waiver is not None) == ("waived", True)
            assert after.model_dump(exclude={"status", "waiver"}) == before.model_dump(
                exclude={"status", "waiver"}
            )
        else:
            assert after.model_dump() == before.model_dump()
            assert after.waiver is None and after.status != "waived"
