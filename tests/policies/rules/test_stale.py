"""``stale``: table-driven tests at the exact boundaries, its message and evidence."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from auditor.kernel.model import Capabilities
from tests.policies.helpers import AS_OF, DAYS, NO_CAPS, SECOND, SP_CAPS, cred
from tests.policies.rules.common import MINUS_7, PLUS_2, params, run, status

STALE_CASES = [
    ("used yesterday", {"last_used_at": AS_OF - DAYS}, "pass"),
    ("exactly 90 days", {"last_used_at": AS_OF - 90 * DAYS}, "pass"),
    ("90 days + 1 s", {"last_used_at": AS_OF - 90 * DAYS - SECOND}, "fail"),
    ("90 days + 1 µs", {"last_used_at": AS_OF - 90 * DAYS - timedelta(microseconds=1)}, "fail"),
    ("+02:00 at the boundary", {"last_used_at": (AS_OF - 90 * DAYS).astimezone(PLUS_2)}, "pass"),
    (
        "-07:00 one second past",
        {"last_used_at": (AS_OF - 90 * DAYS - SECOND).astimezone(MINUS_7).isoformat()},
        "fail",
    ),
    (
        "never used is never-used's",
        {"last_used_at": None, "created_at": AS_OF - 900 * DAYS},
        "pass",
    ),
    ("vendor cannot tell", {"capabilities": NO_CAPS, "last_used_at": None}, "not_applicable"),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in STALE_CASES], ids=[c[0] for c in STALE_CASES]
)
def test_stale_boundaries(fields: dict[str, Any], expected: str) -> None:
    assert status("stale", cred(**fields)) == expected


def test_stale_message_and_evidence() -> None:
    outcome = run("stale", cred(last_used_at=AS_OF - 214 * DAYS))
    assert outcome == (
        "fail",
        "last used 214 days ago; limit 90 days",
        {
            "last_used_at": "2026-04-01T12:00:00Z",
            "as_of": "2026-11-01T12:00:00Z",
            "idle_seconds": 214 * 86400,
            "max_idle_days": 90,
            "last_used_granularity_seconds": 0,
            "granularity_tolerance": False,
        },
    )


def test_stale_one_second_past_spells_out_the_remainder() -> None:
    outcome = run("stale", cred(last_used_at=AS_OF - 90 * DAYS - SECOND))
    assert outcome is not None
    assert outcome[1] == "last used 90 days and 00:00:01 ago; limit 90 days"


@pytest.mark.parametrize(
    ("idle", "tolerance", "expected"),
    [
        (90 * DAYS + SECOND, False, "fail"),
        (90 * DAYS + SECOND, True, "pass"),
        (91 * DAYS, True, "pass"),
        (91 * DAYS + SECOND, True, "fail"),
    ],
)
def test_stale_sailpoint_daily_granularity(idle: timedelta, tolerance: bool, expected: str) -> None:
    credential = cred(provider="sailpoint", tenant="acme-isc", last_used_at=AS_OF - idle)
    assert credential.capabilities == SP_CAPS
    assert status("stale", credential, params("stale", granularity_tolerance=tolerance)) == expected


def test_stale_tolerance_is_in_the_message() -> None:
    credential = cred(provider="sailpoint", last_used_at=AS_OF - 100 * DAYS)
    outcome = run("stale", credential, params("stale", granularity_tolerance=True))
    assert outcome is not None
    assert outcome[1] == (
        "last used 100 days ago (recorded at most daily); limit 90 days + 1 day tolerance"
    )


def test_stale_sailpoint_message_mentions_daily_recording() -> None:
    outcome = run("stale", cred(provider="sailpoint", last_used_at=AS_OF - 100 * DAYS))
    assert outcome is not None
    assert outcome[1] == "last used 100 days ago (recorded at most daily); limit 90 days"
    assert outcome[2]["last_used_granularity_seconds"] == 86400


def test_stale_threshold_is_a_parameter() -> None:
    credential = cred(last_used_at=AS_OF - 46 * DAYS)
    assert status("stale", credential, params("stale", max_idle_days=45)) == "fail"
    assert status("stale", credential, params("stale", max_idle_days=46)) == "pass"


def recorded_since(since: datetime) -> Capabilities:
    return SP_CAPS.model_copy(update={"last_used_since": since})


SINCE = AS_OF - 200 * DAYS


# A vendor that records last use only since SINCE (SailPoint: 2023-02-02): a credential created
# before it with no recorded use is idle at least since SINCE: stale's, not never-used's.
# (fields, stale, never-used)
RECORDED_SINCE_CASES = [
    ("created 1 s before recording began", {"created_at": SINCE - SECOND}, "fail", "pass"),
    ("created as recording began", {"created_at": SINCE}, "pass", "fail"),
    ("created after", {"created_at": SINCE + DAYS}, "pass", "fail"),
    ("creation unknown", {"created_at": None}, "pass", "manual"),
    (  # idle between 90 and 900 days: maybe used just before recording began
        "recording began exactly 90 days ago",
        {"created_at": AS_OF - 900 * DAYS, "since": AS_OF - 90 * DAYS},
        "manual",
        "pass",
    ),
    (  # idle at most 90 days, whatever happened before recording began
        "created exactly 90 days ago, recording began after",
        {"created_at": AS_OF - 90 * DAYS, "since": AS_OF - 30 * DAYS},
        "pass",
        "pass",
    ),
    (
        "created 90 days + 1 s ago, recording began after",
        {"created_at": AS_OF - 90 * DAYS - SECOND, "since": AS_OF - 30 * DAYS},
        "manual",
        "pass",
    ),
    (
        "recording began 90 days + 1 s ago",
        {"created_at": AS_OF - 900 * DAYS, "since": AS_OF - 90 * DAYS - SECOND},
        "fail",
        "pass",
    ),
    (
        "used since then: the recorded use decides",
        {"created_at": SINCE - DAYS, "last_used_at": AS_OF - DAYS},
        "pass",
        "pass",
    ),
]


@pytest.mark.parametrize(
    ("fields", "stale", "never_used"),
    [c[1:] for c in RECORDED_SINCE_CASES],
    ids=[c[0] for c in RECORDED_SINCE_CASES],
)
def test_use_recorded_only_since_an_instant(
    fields: dict[str, Any], stale: str, never_used: str
) -> None:
    data = {"last_used_at": None, **fields}
    credential = cred(capabilities=recorded_since(data.pop("since", SINCE)), **data)
    assert (status("stale", credential), status("never-used", credential)) == (stale, never_used)


def test_stale_message_for_use_never_recorded() -> None:
    credential = cred(
        capabilities=recorded_since(SINCE), created_at=SINCE - 400 * DAYS, last_used_at=None
    )
    outcome = run("stale", credential)
    assert outcome is not None
    assert outcome[1] == (
        f"no use recorded since the vendor began recording last use on {SINCE:%Y-%m-%d} "
        f"(created {SINCE - 400 * DAYS:%Y-%m-%d}, before that): idle for at least 200 days, "
        "not never used; limit 90 days"
    )
    assert outcome[2]["last_used_at"] is None
    assert outcome[2]["last_used_recorded_since"] == "2026-04-15T12:00:00Z"
    assert outcome[2]["idle_seconds"] == 200 * 86400
