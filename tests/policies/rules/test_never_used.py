"""``never-used``: table-driven tests at the exact boundaries, its message and evidence."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.helpers import AS_OF, DAYS, NO_CAPS, SECOND, cred
from tests.policies.rules.common import PLUS_2, run, status

NEVER_USED_CASES = [
    ("created exactly 14 days ago", {"created_at": AS_OF - 14 * DAYS}, "pass"),
    ("14 days + 1 s", {"created_at": AS_OF - 14 * DAYS - SECOND}, "fail"),
    (
        "+02:00 offset one second past",
        {"created_at": (AS_OF - 14 * DAYS - SECOND).astimezone(PLUS_2)},
        "fail",
    ),
    ("used once", {"created_at": AS_OF - 400 * DAYS, "last_used_at": AS_OF - 300 * DAYS}, "pass"),
    ("creation unknown", {"created_at": None}, "manual"),
    ("vendor cannot tell", {"capabilities": NO_CAPS}, "not_applicable"),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in NEVER_USED_CASES], ids=[c[0] for c in NEVER_USED_CASES]
)
def test_never_used_boundaries(fields: dict[str, Any], expected: str) -> None:
    data = {"last_used_at": None, **fields}
    assert status("never-used", cred(**data)) == expected


def test_never_used_message() -> None:
    outcome = run("never-used", cred(last_used_at=None, created_at=AS_OF - 40 * DAYS))
    assert outcome is not None
    assert outcome[1] == "never used; created 40 days ago; grace period 14 days"
    assert outcome[2]["created_at"] == "2026-09-22T12:00:00Z"
