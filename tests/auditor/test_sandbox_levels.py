"""The sandbox's written config and SailPoint's user levels (issue 16): a phase of one request per
owner under the rate limit costs minutes at size, so the config turns it on only while it is
cheap, and the sandbox says what it costs either way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import providers.sailpoint.simtenant as simtenant_module
from auditor.app.sandbox import Sandbox, Simulation
from auditor.kernel.http import RateLimit
from providers.sailpoint.levels import lookup_seconds, owners_to_look_up

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
LIMIT = RateLimit(95, 10.0)


@pytest.mark.parametrize(
    ("owners", "seconds"),
    [(0, 0.0), (1, 0.0), (95, 0.0), (96, 10.0), (190, 10.0), (191, 20.0), (571, 60.0), (572, 60.0)],
)
def test_the_least_time_the_rate_limit_allows(owners: int, seconds: float) -> None:
    assert lookup_seconds(owners, LIMIT) == seconds


def test_owners_looked_up_are_those_of_full_or_admin_scoped_pats() -> None:
    pats = [
        ("o1", None),  # null scope: full
        ("o1", ["sp:scopes:all"]),  # same owner once
        ("o2", ["sp:scopes:default"]),  # scoped to what every level may use: not looked up
        ("o3", ["sp:scopes:all", "sp:scopes:default"]),
        ("", None),  # no owner id: nothing to look up
    ]
    assert owners_to_look_up(pats) == 2


def _written(tmp_path: Path) -> tuple[str, str]:
    server = Sandbox(Simulation(as_of=AS_OF), port=0)
    try:
        config, _ = server.write_config(tmp_path)
        return config.read_text(), next(
            c for c in server.config_costs() if c.startswith("sandbox-isc: ")
        )
    finally:
        for sock in server.sockets:
            sock.close()


def test_cheap_user_levels_are_on_and_the_config_says_what_they_cost(tmp_path: Path) -> None:
    text, said = _written(tmp_path)
    assert "\n    user_levels: true\n" in text
    assert said.startswith("sandbox-isc: user_levels: true (")
    assert "owner user-level lookups, one request each: about " in said
    assert f"    # {said.removeprefix('sandbox-isc: ')}\n" in text


def test_user_levels_costing_more_than_the_budget_are_left_off_and_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simtenant_module, "LEVELS_BUDGET", -1.0)  # every cost is over it
    text, said = _written(tmp_path)
    assert "\n    user_levels: true\n" not in text
    assert "\n    # user_levels: true\n" in text
    assert said.startswith("sandbox-isc: user_levels left off: it would add ")
    assert "set user_levels: true in the config" in said
