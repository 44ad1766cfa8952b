"""Owner status from status, directoryStatus and employmentStatus; user type; the config key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from auditor.app.config import load_config
from auditor.app.engine import tenant_settings
from auditor.kernel.errors import ConfigError
from providers.conductorone import ConductorOneProvider
from providers.conductorone.options import ConductorOneOptions
from providers.conductorone.owners import (
    DEFAULT_LEFT_EMPLOYMENT,
    map_owner_status,
    owner_from_user,
)
from providers.sailpoint import SailPointProvider
from tests.providers.conductorone.conftest import FakeTime, make_sim, provider_for

ENABLED_WHILE = "while the ConductorOne status is 'ENABLED'"
CASES: list[tuple[str, str, str, Any, tuple[str, ...], str, str | None]] = [
    # name, status, directoryStatus, employmentStatus, left values, status, reason
    ("HR terminated, still enabled", "ENABLED", "ENABLED", "Terminated", DEFAULT_LEFT_EMPLOYMENT,
     "disabled", f"employmentStatus is 'Terminated' {ENABLED_WHILE}"),
    ("compared without case and padding", "ENABLED", "ENABLED", " terminated ",
     DEFAULT_LEFT_EMPLOYMENT, "disabled", f"employmentStatus is 'terminated' {ENABLED_WHILE}"),
    ("on leave is not gone", "ENABLED", "ENABLED", "On Leave", DEFAULT_LEFT_EMPLOYMENT, "active",
     None),
    ("a local user has no HR record", "ENABLED", "UNKNOWN", None, DEFAULT_LEFT_EMPLOYMENT,
     "active", None),
    ("not a string: unknown, named", "ENABLED", "ENABLED", ["Terminated"],
     DEFAULT_LEFT_EMPLOYMENT, "unknown", "employmentStatus is list, not a string: ['Terminated']"),
    ("a number: unknown", "ENABLED", "ENABLED", 3, DEFAULT_LEFT_EMPLOYMENT, "unknown",
     "employmentStatus is int, not a string: 3"),
    ("not a string, but disabled in C1: disabled wins", "DISABLED", "DISABLED", {"a": 1},
     DEFAULT_LEFT_EMPLOYMENT, "disabled", None),
    # the default list and prefix matching, at the exact boundary
    ("Inactive by default", "ENABLED", "ENABLED", "Inactive", DEFAULT_LEFT_EMPLOYMENT, "disabled",
     f"employmentStatus is 'Inactive' {ENABLED_WHILE}"),
    ("a configured value then a non-letter", "ENABLED", "ENABLED", "Terminated - Voluntary",
     DEFAULT_LEFT_EMPLOYMENT, "disabled",
     f"employmentStatus is 'Terminated - Voluntary' {ENABLED_WHILE}"),
    ("a configured value then a digit", "ENABLED", "ENABLED", "retired2024",
     DEFAULT_LEFT_EMPLOYMENT, "disabled", f"employmentStatus is 'retired2024' {ENABLED_WHILE}"),
    ("Former Employee by default", "ENABLED", "ENABLED", "former employee",
     DEFAULT_LEFT_EMPLOYMENT, "disabled", f"employmentStatus is 'former employee' {ENABLED_WHILE}"),
    ("Retired by default", "ENABLED", "ENABLED", "Retired", DEFAULT_LEFT_EMPLOYMENT, "disabled",
     f"employmentStatus is 'Retired' {ENABLED_WHILE}"),
    ("Resigned by default", "ENABLED", "ENABLED", "RESIGNED", DEFAULT_LEFT_EMPLOYMENT, "disabled",
     f"employmentStatus is 'RESIGNED' {ENABLED_WHILE}"),
    ("Separated by default", "ENABLED", "ENABLED", "Separated: moved", DEFAULT_LEFT_EMPLOYMENT,
     "disabled", f"employmentStatus is 'Separated: moved' {ENABLED_WHILE}"),
    ("Deceased by default", "ENABLED", "ENABLED", "Deceased", DEFAULT_LEFT_EMPLOYMENT, "disabled",
     f"employmentStatus is 'Deceased' {ENABLED_WHILE}"),
    ("a value then a letter is another word", "ENABLED", "ENABLED", "Former Employees",
     DEFAULT_LEFT_EMPLOYMENT, "active", None),
    ("a word that merely starts alike", "ENABLED", "ENABLED", "Inactivated", ("Inactive",),
     "active", None),
    ("a configured prefix, the tenant's own", "ENABLED", "ENABLED", "Gone (contractor)", ("gone",),
     "disabled", f"employmentStatus is 'Gone (contractor)' {ENABLED_WHILE}"),
    ("the configured value only at the start", "ENABLED", "ENABLED", "Not Terminated",
     DEFAULT_LEFT_EMPLOYMENT, "active", None),
    ("a long ConductorOne status is clipped", "UNKNOWN" * 40, "ENABLED", "Terminated",
     DEFAULT_LEFT_EMPLOYMENT, "disabled",
     "employmentStatus is 'Terminated' while the ConductorOne status is "
     + repr("UNKNOWN" * 40)[:80] + "…"),
    ("the tenant's own values", "ENABLED", "ENABLED", "Inactive", ("Inactive", "Retired"),
     "disabled", f"employmentStatus is 'Inactive' {ENABLED_WHILE}"),
    ("Terminated is not in the tenant's values", "ENABLED", "ENABLED", "Terminated", ("Retired",),
     "active", None),
    ("no values at all", "ENABLED", "ENABLED", "Terminated", (), "active", None),
    ("directory says gone", "ENABLED", "DISABLED", "Active", DEFAULT_LEFT_EMPLOYMENT, "disabled",
     f"directoryStatus is 'DISABLED' {ENABLED_WHILE}"),
    ("directory deleted", "ENABLED", "DELETED", "Active", DEFAULT_LEFT_EMPLOYMENT, "deleted",
     f"directoryStatus is 'DELETED' {ENABLED_WHILE}"),
    ("disabled in C1: its own status says it", "DISABLED", "DISABLED", "Terminated",
     DEFAULT_LEFT_EMPLOYMENT, "disabled", None),
    ("unknown status, HR terminated", "UNKNOWN", "ENABLED", "Terminated", DEFAULT_LEFT_EMPLOYMENT,
     "disabled", "employmentStatus is 'Terminated' while the ConductorOne status is 'UNKNOWN'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "directory", "employment", "left", "expected", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_owner_status_reads_employment_status(
    status: str,
    directory: str,
    employment: Any,
    left: tuple[str, ...],
    expected: str,
    reason: str | None,
) -> None:
    user = {"id": "U1", "status": status, "directoryStatus": directory}
    if employment is not None:
        user["employmentStatus"] = employment
    got_status, _, got_reason = map_owner_status(user, left)
    assert (got_status, got_reason) == (expected, reason)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("USER_TYPE_SERVICE", "USER_TYPE_SERVICE"),
        ("USER_TYPE_AGENT", "USER_TYPE_AGENT"),
        ("USER_TYPE_SOMETHING_NEW", "USER_TYPE_SOMETHING_NEW"),  # unknown values allowed
        (None, None),
        ("", None),
        (7, None),
        # vendor text: control characters stripped, length clipped
        ("USER_TYPE_SERVICE\nforged: line", "USER_TYPE_SERVICEforged: line"),
        ("USER\x1b[31m_TYPE\u200b_X", "USER[31m_TYPE_X"),
        ("X" * 200, "X" * 80 + "…"),
    ],
)
def test_owner_kind_is_the_user_type(kind: Any, expected: str | None) -> None:
    owner, _ = owner_from_user({"id": "U1", "status": "ENABLED", "type": kind}, {})
    assert owner.kind == expected


def test_a_long_directory_status_is_clipped_in_the_reason() -> None:
    user = {"id": "U1", "status": "E" * 300, "directoryStatus": "DISABLED"}
    status, _, reason = map_owner_status(user, DEFAULT_LEFT_EMPLOYMENT)
    assert status == "disabled"
    assert reason is not None and len(reason) < 200 and reason.endswith("…")


C1_TENANT = """
tenants:
  - name: c1
    provider: conductorone
    client_id: {client_id}
    client_secret_env: S
    inactive_employment_statuses: {values}
"""


def test_the_config_key_reaches_the_adapter(tmp_path: Path) -> None:
    client_id, secret = make_sim().mint_client()
    path = tmp_path / "c.yaml"
    path.write_text(C1_TENANT.format(client_id=client_id, values="[Terminated, ' Retired ']"))
    (settings,) = tenant_settings(
        load_config(path, env={"S": secret}), {"conductorone": ConductorOneProvider}
    )
    assert settings.options == ConductorOneOptions(
        inactive_employment_statuses=("Terminated", "Retired")
    )
    path.write_text(C1_TENANT.format(client_id=client_id, values="[Terminated, '  ']"))
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.inactive_employment_statuses"):
        load_config(path, env={"S": secret})


def test_the_config_key_is_refused_for_sailpoint(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        """
tenants:
  - name: isc
    provider: sailpoint
    base_url: https://acme.api.identitynow.com
    client_id: 0123456789abcdef0123456789abcdef
    client_secret_env: S
    inactive_employment_statuses: [Terminated]
"""
    )
    with pytest.raises(
        ConfigError,
        match=r"tenants\[0\]\.inactive_employment_statuses: .*conductorone tenants only",
    ):
        tenant_settings(load_config(path, env={"S": "x"}), {"sailpoint": SailPointProvider})


def test_coverage_lists_the_employment_statuses_treated_as_employed(fake_time: FakeTime) -> None:
    sim = make_sim()
    values = ["On Leave", "Contractor\nforged", "Y" * 200, "Terminated - Voluntary", 4]
    people = [u for u in sim.users.values() if u.get("employmentStatus") == "Active"]
    for user, value in zip(people, values * 2, strict=False):
        user["employmentStatus"] = value
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    (note,) = [n for n in inventory.coverage.notes if "treated as employed" in n]
    assert "'On Leave' (2)" in note
    assert "'Contractor\\nforged' (2)" in note and "\n" not in note  # clipped like vendor text
    assert repr("Y" * 200)[:80] + "…" in note
    assert "'Active' (" in note and "Terminated - Voluntary" not in note
    assert "inactive_employment_statuses" in note


def test_an_unreadable_employment_status_is_noted_with_the_key() -> None:
    owner, notes = owner_from_user({"id": "U1", "status": "ENABLED", "employmentStatus": 3}, {})
    assert owner.status == "unknown"
    assert notes == ["employmentStatus is int, not a string: 3"]
