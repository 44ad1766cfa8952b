"""Owner status from status, directoryStatus and employmentStatus; user type; the config key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.app.config import load_config
from auditor.app.engine import tenant_settings
from auditor.kernel.errors import ConfigError
from providers.conductorone import ConductorOneProvider
from providers.conductorone.normalise import (
    DEFAULT_LEFT_EMPLOYMENT,
    map_owner_status,
    owner_from_user,
)
from providers.sailpoint import SailPointProvider
from tests.providers.conductorone.conftest import make_sim

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
    ("not a string: ignored", "ENABLED", "ENABLED", ["Terminated"], DEFAULT_LEFT_EMPLOYMENT,
     "active", None),
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
    ],
)
def test_owner_kind_is_the_user_type(kind: Any, expected: str | None) -> None:
    owner, _ = owner_from_user({"id": "U1", "status": "ENABLED", "type": kind}, {})
    assert owner.kind == expected


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
    assert settings.inactive_employment_statuses == ("Terminated", "Retired")
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
        match=r"tenants\[0\]\.inactive_employment_statuses: .*ConductorOne tenants only",
    ):
        tenant_settings(load_config(path, env={"S": "x"}), {"sailpoint": SailPointProvider})
