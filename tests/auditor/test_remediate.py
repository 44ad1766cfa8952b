"""Remediation planning, approval and configuration, table-driven at the exact boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.app.config import load_config
from auditor.app.remediate import make_plan, remediation_settings
from auditor.app.remediateapprove import PlanRefused, approve, check_approved
from auditor.app.remediatenotice import stage_for
from auditor.kernel.errors import ConfigError
from auditor.kernel.model import (
    Capabilities,
    Credential,
    Evaluation,
    Finding,
    Owner,
    ScanInfo,
    ScanResult,
    TenantCoverage,
    ToolInfo,
    WaiverRef,
)
from auditor.kernel.results import fingerprint
from providers.registry import registry
from tests.auditor.test_config import ENV, GOOD, SECRET, error_for, write

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
CAPS = Capabilities(network_restriction=False, expiry=True, last_used=True)
RULES = ["stale", "inactive-owner", "full-owner-access", "no-expiry"]
POLICY = """
remediation:
  plan_max_age_hours: 24
  policy:
    - rules: [inactive-owner]
      min_severity: critical
      action: revoke
      grace_days: 7
    - rules: [full-owner-access]
      action: narrow-scope
      scope: [sp:scopes:default]
      grace_days: 0
"""


def credential(cid: str, *, managed: bool | None = None, owner: str = "o1") -> Credential:
    return Credential(
        provider="sailpoint",
        tenant="acme-isc",
        id=cid,
        name=f"pat {cid}",
        owner=Owner(id=owner, email=f"{owner}@example.com"),
        managed=managed,
        capabilities=CAPS,
    )


def finding(
    cid: str,
    rule: str,
    severity: str = "critical",
    *,
    first_seen: datetime | None = None,
    waived: bool = False,
) -> Finding:
    waiver = WaiverRef(id="w1", reason="r", approved_by="a", expires=AS_OF + timedelta(days=9))
    return Finding(
        rule_id=rule,
        status="waived" if waived else "fail",
        severity=severity,
        provider="sailpoint",
        tenant="acme-isc",
        credential_id=cid,
        message=f"{rule} on {cid}",
        evidence={"x": 1},
        fingerprint=fingerprint("acme-isc", cid, rule),
        first_seen=first_seen,
        waiver=waiver if waived else None,
    )


def result(credentials: list[Credential], findings: list[Finding]) -> ScanResult:
    return ScanResult(
        tool=ToolInfo(version="0"),
        scan=ScanInfo(id="s", started_at=AS_OF, finished_at=AS_OF, as_of=AS_OF, status="complete"),
        coverage=(TenantCoverage(tenant="acme-isc", provider="sailpoint", status="complete"),),
        credentials=tuple(credentials),
        evaluation=Evaluation(findings=tuple(findings)),
    )


def plan_for(tmp_path: Path, scan: ScanResult, extra: str = POLICY) -> dict[str, Any]:
    loaded = load_config(write(tmp_path, GOOD + extra), env=ENV)
    return make_plan(loaded, scan, registry=registry().providers, known_rules=RULES, now=AS_OF)


@pytest.mark.parametrize(
    ("seen_before", "expected"),
    [
        (timedelta(days=7), "revoke"),  # grace ends exactly at as-of: due
        (timedelta(days=7) - timedelta(seconds=1), "notify-owner"),  # one second short
        (timedelta(days=30), "revoke"),
        (timedelta(0), "notify-owner"),
    ],
)
def test_grace_counts_from_first_seen(
    tmp_path: Path, seen_before: timedelta, expected: str
) -> None:
    scan = result(
        [credential("a")], [finding("a", "inactive-owner", first_seen=AS_OF - seen_before)]
    )
    plan = plan_for(tmp_path, scan)
    (action,) = plan["actions"]
    assert action["action"] == expected
    assert action["due"] == (AS_OF - seen_before + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert action["findings"][0]["evidence"] == {"x": 1}
    assert action["request"] == {
        "method": "DELETE",
        "path": "/v3/personal-access-tokens/a",
        "content_type": None,
        "body": None,
    }


@pytest.mark.parametrize(("severity", "acted"), [("critical", True), ("high", False)])
def test_min_severity(tmp_path: Path, severity: str, acted: bool) -> None:
    scan = result([credential("a")], [finding("a", "inactive-owner", severity, first_seen=AS_OF)])
    assert bool(plan_for(tmp_path, scan)["actions"]) is acted


def test_managed_waived_and_unowned_narrowing_are_never_touched(tmp_path: Path) -> None:
    creds = [credential("m", managed=True), credential("w"), credential("n"), credential("ok")]
    old = AS_OF - timedelta(days=30)
    findings = [
        finding("m", "inactive-owner", first_seen=old),
        finding("w", "inactive-owner", first_seen=old),
        finding("w", "stale", "high", waived=True),  # a live waiver on the credential
        finding("n", "full-owner-access", "high", first_seen=old),  # not the owner: no PATCH
        finding("ok", "inactive-owner", first_seen=old),
    ]
    plan = plan_for(tmp_path, result(creds, findings))
    assert [a["credential_id"] for a in plan["actions"]] == ["ok"]
    reasons = {e["credential_id"]: e["reason"] for e in plan["excluded"]}
    assert "managed" in reasons["m"] and "waiver" in reasons["w"] and "owner" in reasons["n"]


def test_narrowing_the_owners_own_pat_patches_its_scope(tmp_path: Path) -> None:
    extra = POLICY
    text = GOOD.replace(
        "    client_secret_env: SP_SECRET\n",
        "    client_secret_env: SP_SECRET\n    remediation_identity: o1\n",
    )
    loaded = load_config(write(tmp_path, text + extra), env=ENV)
    scan = result([credential("n")], [finding("n", "full-owner-access", "high", first_seen=AS_OF)])
    plan = make_plan(loaded, scan, registry=registry().providers, known_rules=RULES, now=AS_OF)
    (action,) = plan["actions"]
    assert action["action"] == "narrow-scope"
    assert action["request"]["content_type"] == "application/json-patch+json"
    assert action["request"]["body"] == [
        {"op": "replace", "path": "/scope", "value": ["sp:scopes:default"]}
    ]


def test_approval_checks(tmp_path: Path) -> None:
    scan = result([credential("a")], [finding("a", "inactive-owner", first_seen=AS_OF)])
    plan = plan_for(tmp_path, scan)
    with pytest.raises(PlanRefused, match="not approved"):
        check_approved(plan, now=AS_OF, max_age_hours=24)
    approved = approve(plan, approver="Ann", at=AS_OF)
    assert check_approved(approved, now=AS_OF + timedelta(hours=24), max_age_hours=24) is None
    with pytest.raises(PlanRefused, match="stale"):
        check_approved(approved, now=AS_OF + timedelta(hours=24, seconds=1), max_age_hours=24)
    edited = {**approved, "excluded": [{"credential_id": "x"}]}
    with pytest.raises(PlanRefused, match="edited after approval"):
        check_approved(edited, now=AS_OF, max_age_hours=24)
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    signed = approve(plan, approver="Ann", at=AS_OF, signing_key=key)
    assert check_approved(signed, now=AS_OF, max_age_hours=24, trusted_key=key.public_key())
    with pytest.raises(PlanRefused, match="not valid"):
        check_approved(signed, now=AS_OF, max_age_hours=24, trusted_key=other.public_key())
    forged = {**signed, "approval": {**signed["approval"], "approved_by": "Mallory"}}
    with pytest.raises(PlanRefused, match="not valid"):
        check_approved(forged, now=AS_OF, max_age_hours=24)
    with pytest.raises(PlanRefused, match="not signed"):
        check_approved(approved, now=AS_OF, max_age_hours=24, require_signature=True)


@pytest.mark.parametrize(
    ("left", "stage"),
    [
        (timedelta(days=15), None),
        (timedelta(days=14, seconds=1), None),
        (timedelta(days=14), 14),
        (timedelta(days=7, seconds=1), 14),
        (timedelta(days=7), 7),
        (timedelta(days=1), 1),
        (timedelta(seconds=1), 1),
        (timedelta(0), None),
    ],
)
def test_notice_stage_boundaries(left: timedelta, stage: int | None) -> None:
    assert stage_for(AS_OF + left, AS_OF, (14, 7, 1)) == stage


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (
            "remediation:\n  policy:\n    - rules: [stale]\n      action: narrow-scope\n",
            "remediation.policy[0]",
            "needs `scope`",
        ),
        (
            "remediation:\n  policy:\n    - rules: [stale]\n      action: delete\n",
            "remediation.policy[0].action",
            "",
        ),
        ("remediation:\n  plan_max_age: 3\n", "remediation.plan_max_age", "plan_max_age_hours"),
        (
            "remediation:\n  email:\n    host: smtp.example.com\n    sender: a@b.c\n"
            "    starttls: false\n",
            "remediation.email",
            "loopback",
        ),
    ],
)
def test_config_mistakes_name_file_key_and_fix(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    error = error_for(tmp_path, GOOD + text)
    message = str(error)
    assert key in message and words in message


def test_unknown_rule_in_the_policy_is_located(tmp_path: Path) -> None:
    scan = result([], [])
    with pytest.raises(ConfigError) as info:
        plan_for(tmp_path, scan, POLICY.replace("[inactive-owner]", "[inactive-ownr]"))
    message = str(info.value)
    assert "remediation.policy[0].rules" in message and "inactive-ownr" in message
    assert "config.yaml" in message


ISC_ONLY = """
tenants:
  - name: acme-isc
    provider: sailpoint
    base_url: https://acme.api.identitynow.com
    client_id_env: SP_ID
    client_secret_env: SP_SECRET
"""


def test_a_tenant_without_remediation_credential_is_named(tmp_path: Path) -> None:
    from auditor.app.engine import prepare

    loaded = load_config(write(tmp_path, ISC_ONLY + POLICY), env=ENV)
    tenants = prepare(loaded).tenants
    with pytest.raises(ConfigError) as info:
        remediation_settings(loaded, tenants, ["acme-isc"], ENV)
    assert "tenants[0].remediation_client_secret_env" in str(info.value)
    text = ISC_ONLY.replace(
        "    client_secret_env: SP_SECRET\n",
        "    client_secret_env: SP_SECRET\n"
        "    remediation_client_id_env: REM_ID\n"
        "    remediation_client_secret_env: REM_SECRET\n",
    )
    loaded = load_config(write(tmp_path, text + POLICY), env=ENV)
    with pytest.raises(ConfigError) as info:
        remediation_settings(loaded, prepare(loaded).tenants, ["acme-isc"], ENV)
    assert "REM_ID is not set" in str(info.value) and SECRET not in str(info.value)
    env = {**ENV, "REM_ID": "rid", "REM_SECRET": "rsecret"}
    got = remediation_settings(loaded, prepare(loaded).tenants, ["acme-isc"], env)
    assert got["acme-isc"].client_id == "rid"
    assert got["acme-isc"].client_secret.get_secret_value() == "rsecret"
