"""``full-owner-access``: table-driven tests at the exact boundaries, its message and evidence."""

from __future__ import annotations

import pytest

from tests.policies.helpers import cred
from tests.policies.rules.common import status


@pytest.mark.parametrize(
    ("mode", "expected"), [("full", "fail"), ("scoped", "pass"), ("unknown", "manual")]
)
def test_full_owner_access(mode: str, expected: str) -> None:
    assert status("full-owner-access", cred(scope_mode=mode, scopes=())) == expected
