"""``expiring-soon``: its message (the boundaries it shares with ``expired`` are in
test_expired.py)."""

from __future__ import annotations

from datetime import timedelta

from tests.policies.helpers import AS_OF, DAYS, cred
from tests.policies.rules.common import run


def test_expiring_soon_message() -> None:
    outcome = run("expiring-soon", cred(expires_at=AS_OF + 3 * DAYS))
    assert outcome is not None
    assert outcome[1] == "expires in 3 days (2026-11-04T12:00:00Z); warning window 14 days"
    outcome = run("expiring-soon", cred(expires_at=AS_OF + timedelta(hours=5)))
    assert outcome is not None
    assert outcome[1].startswith("expires in 0 days and 05:00:00 (")
