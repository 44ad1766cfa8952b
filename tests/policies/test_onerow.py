"""One cause, one row (policies/onerow.py, issue 17): an owner that cannot be looked up gives one
manual row per credential, carrying the reason, and neither rule ever counts it as a pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.kernel.model import Evaluation
from policies import RULES, evaluate, load_policy, load_waivers
from tests.policies.helpers import AS_OF, cred, inventory

REASON = "owner lookup refused (Permission denied (PERMISSION_DENIED 7))"


def run(raw: dict[str, Any] | None = None, waivers: Any = ()) -> Evaluation:
    inv = inventory(
        "acme-c1",
        cred(id="k1", owner={"id": "U1", "status": "unknown", "status_reason": REASON}),
        cred(id="k2", owner={"id": "U2", "status": "active"}),
    )
    policy = load_policy(raw, tenants=["acme-c1"], base_dir=Path())
    return evaluate([inv], policy, waivers, AS_OF)


def owner_rows(result: Evaluation) -> list[tuple[str, str, str]]:
    return [
        (f.credential_id, f.rule_id, f.status)
        for f in result.findings
        if f.rule_id in {"inactive-owner", "owner-unverified"}
    ]


def test_an_unverified_owner_is_one_row_with_the_reason() -> None:
    # before: an inactive-owner manual AND an owner-unverified manual for the same credential
    result = run()
    assert owner_rows(result) == [("k1", "inactive-owner", "manual")]
    (row,) = [f for f in result.findings if f.rule_id == "inactive-owner"]
    assert row.severity == "critical"
    assert REASON in row.message
    assert row.evidence["owner_status_reason"] == REASON
    assert row.evidence["also_manual"] == ["owner-unverified"]
    # no false pass: both rules still count the credential as manual, not as a pass
    for rule_id in ("inactive-owner", "owner-unverified"):
        counts = result.result_counts[rule_id]
        assert (counts["manual"], counts["pass"]) == (1, 1), rule_id


def test_without_inactive_owner_the_unverified_row_stands() -> None:
    result = run({"inactive-owner": {"enabled": False}})
    assert owner_rows(result) == [("k1", "owner-unverified", "manual")]
    (row,) = result.findings
    assert "also_manual" not in row.evidence
    assert row.evidence["owner_status_reason"] == REASON


def test_a_waived_inactive_owner_does_not_swallow_the_unverified_row() -> None:
    (waiver,) = load_waivers(
        [
            {
                "id": "W-1",
                "rule": "inactive-owner",
                "match": {"tenant": "acme-c1", "credential_id": "k1"},
                "reason": "owner confirmed by hand",
                "approved_by": "ciso@example.com",
                "approved_at": "2026-06-01",
                "expires": "2027-01-31",
            }
        ],
        base_dir=Path(),
        known_rules=list(RULES),
    )
    result = run(waivers=[waiver])
    assert owner_rows(result) == [
        ("k1", "inactive-owner", "waived"),
        ("k1", "owner-unverified", "manual"),
    ]
