"""``no-expiry``: table-driven tests at the exact boundaries, its message and evidence."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.helpers import AS_OF, DAYS, NO_CAPS, cred
from tests.policies.rules.common import status


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"expires_at": None}, "fail"),
        ({"expires_at": AS_OF + DAYS}, "pass"),
        ({"expires_at": AS_OF - DAYS}, "pass"),
        ({"expires_at": None, "capabilities": NO_CAPS}, "not_applicable"),
    ],
)
def test_no_expiry(fields: dict[str, Any], expected: str) -> None:
    assert status("no-expiry", cred(**fields)) == expected
