"""The fix-first view (``reports.view_fix``) and its Markdown section, on the curated demo and on
hand-made findings at the placement boundaries."""

from __future__ import annotations

import pytest

from auditor.kernel.model import Finding, ScanResult, fingerprint
from reports import markdown, view_fix

from .conftest import replace


def finding(rule: str, cred: str, *, status: str = "fail", severity: str = "high") -> Finding:
    return Finding(
        rule_id=rule,
        status=status,
        severity=severity,
        provider="conductorone",
        tenant="t1",
        credential_id=cred,
        credential_name=f"name {cred}",
        owner_id=f"owner-{cred[0]}",
        owner_name=f"Owner {cred[0].upper()}",
        message=f"{rule} on {cred}",
        remediation=f"fix {rule}",
        fingerprint=fingerprint("t1", cred, rule),
    )


def placed(groups: list[view_fix.FixGroup]) -> dict[str, list[str]]:
    return {g.action.id: [item.key for item in g.items] for g in groups}


@pytest.mark.parametrize(
    ("rules", "action"),
    [
        (["no-source-restriction", "stale"], "revoke"),  # revoking settles the network too
        (["no-expiry", "full-owner-access"], "reduce-access"),
        (["broad-source-restriction", "long-lifetime"], "restrict-network"),
        (["long-lifetime", "expiring-soon"], "set-expiry"),
        (["expiring-soon"], "renew"),
        (["cmdb-owner"], "review"),  # a custom rule
        (["expired", "cmdb-owner"], "revoke"),
    ],
)
def test_a_credential_goes_to_its_first_action(rules: list[str], action: str) -> None:
    groups = view_fix.fix_first([finding(rule, "a1") for rule in rules])
    assert placed(groups) == {action: ["a1"]}
    (item,) = groups[0].items
    assert sorted(f.rule_id for f in item.findings) == sorted(rules)  # all of them behind it


def test_owner_questions_are_grouped_by_owner() -> None:
    findings = [
        finding("stale", "a1"),
        finding("owner-unverified", "a1", status="manual", severity="medium"),
        finding("inactive-owner", "a2", status="manual", severity="critical"),
        finding("too-many-per-owner", "b1", severity="low"),
        finding("too-many-per-owner", "b2", severity="low"),
        finding("no-expiry", "c1", status="waived"),
        finding("no-source-restriction", "c2", status="not_applicable"),
        finding("no-source-restriction", "c3", status="pass"),
    ]
    groups = view_fix.fix_first(findings)
    assert placed(groups) == {"revoke": ["a1"], "ask-owner": ["owner-a", "owner-b"]}
    owner_a, owner_b = groups[-1].items
    assert (owner_a.label, owner_a.credentials, owner_a.severity) == ("Owner A", 2, "critical")
    assert [f.rule_id for f in owner_a.findings] == ["inactive-owner", "owner-unverified"]
    assert (owner_b.credentials, [f.credential_id for f in owner_b.findings]) == (2, ["b1", "b2"])
    assert groups[-1].title == "Ask 2 owners"
    assert groups[0].title == "Revoke 1 credential"
    assert groups[-1].remediation == (
        ("inactive-owner", "fix inactive-owner"),
        ("owner-unverified", "fix owner-unverified"),
        ("too-many-per-owner", "fix too-many-per-owner"),
    )


def test_nothing_open_means_no_group() -> None:
    assert view_fix.fix_first([finding("stale", "a1", status="waived")]) == []


def test_no_credential_is_lost_or_counted_twice(curated: ScanResult) -> None:
    groups = view_fix.fix_first(curated.findings)
    in_credential_groups = [
        (item.tenant, item.key) for g in groups if g.by == "credential" for item in g.items
    ]
    assert len(in_credential_groups) == len(set(in_credential_groups))
    in_owner_group = {
        (f.tenant, f.credential_id)
        for g in groups
        if g.by == "owner"
        for i in g.items
        for f in i.findings
    }
    open_keys = {
        (f.tenant, f.credential_id) for f in curated.findings if f.status in ("fail", "manual")
    }
    assert set(in_credential_groups) | in_owner_group == open_keys
    failing = {(f.tenant, f.credential_id) for f in curated.findings if f.status == "fail"}
    only_owner_rules = {
        key
        for key in failing
        if all(
            f.rule_id == "too-many-per-owner"
            for f in curated.findings
            if (f.tenant, f.credential_id) == key and f.status == "fail"
        )
    }
    assert set(in_credential_groups) == failing - only_owner_rules
    # every open finding calls for exactly one action: the groups' counts add up
    assert sum(g.findings for g in groups) == sum(
        1 for f in curated.findings if f.status in ("fail", "manual")
    )


def test_headline_counts_credentials_and_owners(curated: ScanResult) -> None:
    h = view_fix.headline(curated)
    failing = {(f.tenant, f.credential_id) for f in curated.findings if f.status == "fail"}
    manual = {(f.tenant, f.credential_id) for f in curated.findings if f.status == "manual"}
    assert (h.credentials, h.failing, h.review_only) == (81, len(failing), len(manual - failing))
    assert (h.failing, h.review_only, h.owners) == (58, 5, 25)
    assert (h.failed_checks, h.manual_checks) == (curated.summary["findings"], 8)


def test_markdown_opens_with_the_fix_first_section(curated: ScanResult) -> None:
    text = markdown.render(curated)["report.md"]
    assert text.index("## Fix first") < text.index("## Summary") < text.index("## Top findings")
    section = text[text.index("## Fix first") : text.index("## Summary")]
    assert "**58 of 81 credential(s) failing**, 5 more for manual review only" in section
    assert "### 1. Revoke 17 credentials (critical)" in section
    assert "### 6. Ask 7 owners (critical)" in section
    revoke = section[section.index("### 1.") : section.index("### 2.")]
    assert revoke.count("\n| **critical** |") == markdown.FIX_ROWS
    assert f"_… and {17 - markdown.FIX_ROWS} more credential(s): see `report.html`" in revoke
    assert "- `never-used`: Delete the credential: it was minted but never used." in revoke


def test_markdown_fix_first_escapes_vendor_text(curated: ScanResult) -> None:
    top = view_fix.fix_first(curated.findings)[0].items[0]
    findings = tuple(
        replace(f, credential_name="<img src=x>|[x](http://e.example)")
        if f.credential_id == top.key
        else f
        for f in curated.findings
    )
    result = replace(curated, evaluation=replace(curated.evaluation, findings=findings))
    text = markdown.render(result)["report.md"]
    section = text[: text.index("## Summary")]
    assert "\\<img src=x\\>\\|\\[x\\](http\\://e.example)" in section
    assert "<img" not in section.replace("\\<img", "")
