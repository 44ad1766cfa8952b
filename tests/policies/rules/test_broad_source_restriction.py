"""``broad-source-restriction``: boundaries, message and evidence."""

from __future__ import annotations

from tests.policies.helpers import cred
from tests.policies.rules.common import params, run, status


def test_broad_source_message_and_parameters() -> None:
    credential = cred(allowed_cidrs=("10.1.2.3/32", "10.0.0.0/8"))
    outcome = run("broad-source-restriction", credential)
    assert outcome is not None
    assert (
        outcome[1] == "1 of 2 allowed networks are wider than /16 (IPv4) or /48 (IPv6): 10.0.0.0/8"
    )
    assert outcome[2]["too_broad"] == ["10.0.0.0/8"]
    narrow = params("broad-source-restriction", min_prefix_v4=8)
    assert status("broad-source-restriction", credential, narrow) == "pass"
