"""``expired`` and ``expiring-soon``: the timeline they split at the exact boundaries; ``expired``'s
message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.helpers import AS_OF, DAYS, NO_CAPS, SECOND, cred
from tests.policies.rules.common import PLUS_2, run, status

EXPIRY_CASES = [
    ("expires exactly at as-of", AS_OF, "fail", "pass"),
    ("expired a second ago", AS_OF - SECOND, "fail", "pass"),
    ("expires in one second", AS_OF + SECOND, "pass", "fail"),
    ("expires in exactly 14 days", AS_OF + 14 * DAYS, "pass", "fail"),
    ("expires in 14 days + 1 s", AS_OF + 14 * DAYS + SECOND, "pass", "pass"),
    ("+02:00 offset in 14 days", (AS_OF + 14 * DAYS).astimezone(PLUS_2), "pass", "fail"),
    ("never expires", None, "pass", "pass"),
]


def test_expired_deleted_credential_passes() -> None:
    credential = cred(expires_at=AS_OF - DAYS, deleted_at=AS_OF - SECOND)
    assert status("expired", credential) == "pass"


def test_expiry_rules_not_applicable_without_capability() -> None:
    credential = cred(capabilities=NO_CAPS, expires_at=AS_OF)
    assert status("expired", credential) == "not_applicable"
    assert status("expiring-soon", credential) == "not_applicable"


def test_expired_message() -> None:
    outcome = run("expired", cred(expires_at=AS_OF - 12 * DAYS))
    assert outcome is not None
    assert outcome[1] == "expired 12 days ago (2026-10-20T12:00:00Z) but still exists"


@pytest.mark.parametrize(
    ("expires", "expired", "soon"), [c[1:] for c in EXPIRY_CASES], ids=[c[0] for c in EXPIRY_CASES]
)
def test_expired_and_expiring_soon_split_the_timeline(
    expires: Any, expired: str, soon: str
) -> None:
    credential = cred(created_at=AS_OF - 10 * DAYS, expires_at=expires)
    assert status("expired", credential) == expired
    assert status("expiring-soon", credential) == soon
