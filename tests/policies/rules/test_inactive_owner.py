"""``inactive-owner``: table-driven tests at the exact boundaries, its message and evidence."""

from __future__ import annotations

import pytest

from tests.policies.helpers import cred
from tests.policies.rules.common import run, status

OWNER_CASES = [
    ("active", "pass", "pass"),
    ("disabled", "fail", "pass"),
    ("deleted", "fail", "pass"),
    ("not_found", "fail", "pass"),
    ("unknown", "manual", "manual"),
]


@pytest.mark.parametrize(("owner_status", "inactive", "unverified"), OWNER_CASES)
def test_owner_rules(owner_status: str, inactive: str, unverified: str) -> None:
    credential = cred(owner={"status": owner_status})
    assert status("inactive-owner", credential) == inactive
    assert status("owner-unverified", credential) == unverified


def test_inactive_owner_message() -> None:
    outcome = run("inactive-owner", cred(owner={"status": "disabled"}))
    assert outcome == (
        "fail",
        "owner Jane (u1) is disabled",
        {"owner_id": "u1", "owner_status": "disabled"},
    )
