"""``no-source-restriction``: boundaries, message and evidence."""

from __future__ import annotations

import pytest

from tests.policies.helpers import cred
from tests.policies.rules.common import run, status


@pytest.mark.parametrize(
    ("provider", "cidrs", "no_source", "broad"),
    [
        ("conductorone", (), "fail", "pass"),
        ("conductorone", ("10.1.0.0/16",), "pass", "pass"),
        ("conductorone", ("10.0.0.0/15",), "pass", "fail"),
        ("conductorone", ("0.0.0.0/0",), "pass", "fail"),
        ("conductorone", ("2001:db8::/48",), "pass", "pass"),
        ("conductorone", ("2001:db8::/47",), "pass", "fail"),
        ("conductorone", ("::/0",), "pass", "fail"),
        ("conductorone", ("10.1.2.3/32", "10.0.0.0/8"), "pass", "fail"),
        ("sailpoint", (), "not_applicable", "not_applicable"),
    ],
)
def test_source_restriction_rules(
    provider: str, cidrs: tuple[str, ...], no_source: str, broad: str
) -> None:
    credential = cred(provider=provider, allowed_cidrs=cidrs)
    assert status("no-source-restriction", credential) == no_source
    assert status("broad-source-restriction", credential) == broad


def test_not_applicable_outcome_names_the_capability() -> None:
    outcome = run("no-source-restriction", cred(provider="sailpoint"))
    assert outcome == (
        "not_applicable",
        "sailpoint cannot express this (network_restriction not supported)",
        {"capability": "network_restriction", "provider": "sailpoint"},
    )
