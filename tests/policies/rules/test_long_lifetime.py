"""``long-lifetime``: table-driven tests at the exact boundaries, its message and evidence."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.helpers import AS_OF, DAYS, NO_CAPS, SECOND, cred
from tests.policies.rules.common import MINUS_7, PLUS_2, run, status

LIFETIME_CASES = [
    (
        "exactly 365 days",
        {"created_at": AS_OF - 300 * DAYS, "expires_at": AS_OF + 65 * DAYS},
        "pass",
    ),
    (
        "365 days + 1 s",
        {"created_at": AS_OF - 300 * DAYS, "expires_at": AS_OF + 65 * DAYS + SECOND},
        "fail",
    ),
    (
        "offsets do not change the span",
        {
            "created_at": (AS_OF - 300 * DAYS).astimezone(PLUS_2),
            "expires_at": (AS_OF + 65 * DAYS).astimezone(MINUS_7),
        },
        "pass",
    ),
    ("no expiry is no-expiry's", {"created_at": AS_OF - 900 * DAYS, "expires_at": None}, "pass"),
    ("creation unknown", {"created_at": None, "expires_at": AS_OF + DAYS}, "manual"),
    ("vendor cannot tell", {"capabilities": NO_CAPS}, "not_applicable"),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in LIFETIME_CASES], ids=[c[0] for c in LIFETIME_CASES]
)
def test_long_lifetime_boundaries(fields: dict[str, Any], expected: str) -> None:
    assert status("long-lifetime", cred(**fields)) == expected


def test_long_lifetime_message() -> None:
    outcome = run(
        "long-lifetime", cred(created_at=AS_OF - 100 * DAYS, expires_at=AS_OF + 630 * DAYS)
    )
    assert outcome is not None
    assert outcome[1] == (
        "lifetime 730 days (created 2026-07-24T12:00:00Z, expires 2028-07-23T12:00:00Z); "
        "limit 365 days"
    )
