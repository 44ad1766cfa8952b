"""The figures the HTML and Markdown reports share (``reports.view``), on the curated demo."""

from __future__ import annotations

from auditor.kernel.model import ControlInfo, ControlRule, Evaluation, ScanResult
from reports import view

from .conftest import AS_OF, replace


def test_last_use_buckets(curated: ScanResult) -> None:
    buckets = view.last_use_buckets(curated.credentials, AS_OF)
    assert [(b.label, b.count) for b in buckets] == [
        ("< 30 days", 75),
        ("30-90 days", 0),
        ("90-180 days", 1),
        ("180-365 days", 1),
        ("> 1 year", 0),
        ("never used", 4),
        ("not reported", 0),
    ]


def test_expiry_buckets(curated: ScanResult) -> None:
    buckets = view.expiry_buckets(curated.credentials, AS_OF)
    assert [(b.label, b.count) for b in buckets] == [
        ("expired", 3),
        ("≤ 14 days", 2),
        ("15-90 days", 47),
        ("91-365 days", 21),
        ("> 1 year", 2),
        ("no expiry", 6),
    ]


def test_not_applicable_groups(curated: ScanResult) -> None:
    assert not [f for f in curated.findings if f.status == "not_applicable"]  # counted instead
    groups = view.not_applicable_groups(curated)
    assert [(g.tenant, g.rule_id, g.count) for g in groups] == [
        ("sandbox-isc", "broad-source-restriction", 37),
        ("sandbox-isc", "no-source-restriction", 37),
    ]


def test_ordering_puts_failures_first(curated: ScanResult) -> None:
    ordered = view.ordered_findings(curated.findings)
    statuses = [f.status for f in ordered]
    assert statuses == sorted(statuses, key=view.STATUS_ORDER.index)
    fails = [f.severity for f in ordered if f.status == "fail"]
    assert fails[0] == "critical"
    assert fails[-1] == "info"


def test_control_states(curated: ScanResult) -> None:
    controls = (
        ControlInfo(
            framework="F",
            version="1",
            ref="F 1",
            control_id="1",
            name="fails",
            rules=(ControlRule(rule_id="stale", strength="direct"),),
        ),
        ControlInfo(
            framework="F",
            version="1",
            ref="F 2",
            control_id="2",
            name="review only",
            rules=(ControlRule(rule_id="owner-unverified", strength="direct"),),
        ),
        ControlInfo(
            framework="F",
            version="1",
            ref="F 3",
            control_id="3",
            name="passes",
            rules=(ControlRule(rule_id="nothing-fires", strength="supporting"),),
        ),
    )
    evaluation: Evaluation = replace(curated.evaluation, controls=controls, constraint_gaps=())
    matrix = view.compliance_matrix(replace(curated, evaluation=evaluation))
    assert [(fw.name, [(c.control_id, c.state) for c in fw.controls]) for fw in matrix] == [
        ("F", [("1", "fail"), ("2", "review"), ("3", "pass")])
    ]
    # stale: the C1 old laptop, the SailPoint stale PAT and the one idle since recording began
    assert matrix[0].controls[0].rules[0].failed == 3
    # owner-unverified: Erin (no status at all) and Judy (a custom lifecycle state)
    assert matrix[0].controls[1].rules[0].manual == 2
