"""Record normalisation: the spec's optional/nullable shapes, timestamps, enums, bad records."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any

import httpx
import pytest

from auditor.kernel.model import Owner
from providers.conductorone.normalise import (
    BadRecord,
    parse_client,
    parse_error,
    record_error,
    to_credential,
)
from providers.conductorone.owners import OwnerTable, map_owner_status, owner_from_user

ROLES = {"R1": "system:user", "R2": "system:owner"}
BASE: dict[str, Any] = {
    "id": "blue-whale-12345",
    "clientId": "blue-whale-12345@acme.conductor.one/pcc",
    "displayName": "laptop cli",
    "userId": "U1",
    "scopedRoles": ["R1"],
    "allowSourceCidr": ["10.0.0.0/24"],
    "expiresTime": "2027-01-01T00:00:00Z",
    "lastUsedAt": "2026-10-01T12:00:00.5Z",
    "createdAt": "2026-01-10T17:00:00Z",
    "updatedAt": None,
    "deletedAt": None,
}


def credential(raw: dict[str, Any], owners: OwnerTable | None = None) -> Any:
    table = owners or OwnerTable(found={"U1": Owner(id="U1", status="active")})
    return to_credential(parse_client(raw), tenant="t", roles=ROLES, owners=table)


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in BASE.items() if k != key}


@pytest.mark.parametrize(
    ("text", "micro"),
    [
        ("2026-10-01T12:00:00Z", 0),
        ("2026-10-01T12:00:00.1Z", 100000),
        ("2026-10-01T12:00:00.12Z", 120000),
        ("2026-10-01T12:00:00.123Z", 123000),
        ("2026-10-01T12:00:00.1234Z", 123400),
        ("2026-10-01T12:00:00.12345Z", 123450),
        ("2026-10-01T12:00:00.123456Z", 123456),
        ("2026-10-01T12:00:00.1234567Z", 123456),
        ("2026-10-01T12:00:00.12345678Z", 123456),
        ("2026-10-01T12:00:00.123456789Z", 123456),  # digits 7-9 truncated, never rounded up
        ("2026-10-01T14:00:00.999999999+02:00", 999999),
    ],
)
def test_zero_to_nine_fractional_digits(text: str, micro: int) -> None:
    c = credential({**BASE, "lastUsedAt": text})
    assert c.last_used_at == datetime(2026, 10, 1, 12, 0, 0, micro, tzinfo=UTC)


@pytest.mark.parametrize("variant", ["absent", "null", "empty"])
def test_null_absent_and_empty_mean_none(variant: str) -> None:
    raw = dict(BASE)
    for key in ("scopedRoles", "allowSourceCidr", "expiresTime", "lastUsedAt", "createdAt"):
        if variant == "absent":
            raw.pop(key)
        else:
            raw[key] = None if variant == "null" else ([] if key[0] in "sa" else "")
    c = credential(raw)
    assert c.scopes == ()
    assert c.scope_mode == "full"
    assert c.allowed_cidrs == ()
    assert (c.expires_at, c.last_used_at, c.created_at) == (None, None, None)


def test_full_record() -> None:
    c = credential(BASE)
    assert c.id == "blue-whale-12345"
    assert c.client_id == "blue-whale-12345@acme.conductor.one/pcc"
    assert c.name == "laptop cli"
    assert c.scopes == ("system:user",)
    assert c.scope_mode == "scoped"
    assert c.allowed_cidrs == (ip_network("10.0.0.0/24"),)
    assert c.expires_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert c.owner == Owner(id="U1", status="active")
    assert c.notes == ()
    assert c.capabilities.network_restriction and c.capabilities.expiry and c.capabilities.last_used


def test_unknown_scoped_role_is_kept_as_id_and_noted() -> None:
    c = credential({**BASE, "scopedRoles": ["R2", "Rgone"]})
    assert c.scopes == ("system:owner", "Rgone")
    assert c.notes == ("scoped role ids not in the role catalogue (kept as ids): Rgone",)


def test_cidr_host_bits_and_ipv6() -> None:
    c = credential({**BASE, "allowSourceCidr": ["10.0.0.1/24", "2001:db8::/32", " "]})
    assert [str(n) for n in c.allowed_cidrs] == ["10.0.0.0/24", "2001:db8::/32"]


def test_owner_states() -> None:
    table = OwnerTable(found={}, unresolved={"U9": "owner lookup refused"})
    assert credential({**BASE, "userId": "U9"}, table).owner == Owner(
        id="U9", status="unknown", status_reason="owner lookup refused"
    )
    assert credential({**BASE, "userId": "U8"}, table).owner == Owner(id="U8", status="not_found")
    c = credential(without("userId"), table)
    assert c.owner == Owner(status="unknown")
    assert c.notes == ("the record names no owner (userId is empty)",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("a string", "expected a JSON object, got str"),
        (without("id"), "the record has no id"),
        ({**BASE, "id": ""}, "the record has no id"),
        ({**BASE, "id": 7}, "id must be a string, got int 7"),
        ({**BASE, "createdAt": "last tuesday"}, "createdAt: 'last tuesday' is not an RFC 3339"),
        (
            {**BASE, "createdAt": "2026-01-10T17:00:00"},
            "createdAt: timestamp '2026-01-10T17:00:00' has no time zone",
        ),
        (
            {**BASE, "lastUsedAt": 1700000000},
            "lastUsedAt: expected an RFC 3339 timestamp string, got int",
        ),
        (
            {**BASE, "expiresTime": "2026-02-30T00:00:00Z"},
            "expiresTime: '2026-02-30T00:00:00Z' is not a valid date",
        ),
        ({**BASE, "scopedRoles": "R1"}, "scopedRoles must be a list of strings, got 'R1'"),
        ({**BASE, "allowSourceCidr": [10]}, "allowSourceCidr must be a list of strings"),
        (
            {**BASE, "allowSourceCidr": ["10.0.0.0/33"]},
            "allowSourceCidr: '10.0.0.0/33' is not an IP network",
        ),
        ({**BASE, "displayName": {"x": 1}}, "displayName must be a string, got dict"),
        ({**BASE, "userId": ["U1"]}, "userId must be a string, got list"),
    ],
)
def test_malformed_records(raw: Any, message: str) -> None:
    with pytest.raises(BadRecord) as info:
        parse_client(raw)
    assert message in str(info.value)
    error = record_error(3, raw, info.value)
    assert error.index == 3
    assert error.message.startswith("personal client could not be read: ")
    expected_id = raw.get("id") if isinstance(raw, dict) else None
    assert error.record_id == (
        expected_id if isinstance(expected_id, str) and expected_id else None
    )


def test_deleted_flag() -> None:
    assert parse_client({**BASE, "deletedAt": "2026-10-30T00:00:00.000Z"}).deleted is True
    assert parse_client({**BASE, "deletedAt": ""}).deleted is False
    assert parse_client(without("deletedAt")).deleted is False


@pytest.mark.parametrize(
    ("status", "directory", "deleted_at", "expected"),
    [
        ("ENABLED", "ENABLED", None, ("active", None)),
        ("ENABLED", "UNKNOWN", None, ("active", None)),  # local users have no directory
        ("ENABLED", None, None, ("active", None)),
        ("DISABLED", "ENABLED", None, ("disabled", None)),
        ("ENABLED", "DISABLED", None, ("disabled", None)),
        ("DELETED", "DISABLED", None, ("deleted", None)),
        ("ENABLED", "DELETED", None, ("deleted", None)),
        ("ENABLED", "ENABLED", "2026-01-01T00:00:00Z", ("deleted", None)),
        (
            "UNKNOWN",
            "ENABLED",
            None,
            ("unknown", "owner status 'UNKNOWN' is not one the API documents"),
        ),
        (
            "SUSPENDED",
            None,
            None,
            ("unknown", "owner status 'SUSPENDED' is not one the API documents"),
        ),
        (None, None, None, ("unknown", "owner status None is not one the API documents")),
        # wrong types from an untrusted API: unknown for this owner, never a crash
        (
            ["ENABLED"],
            None,
            None,
            ("unknown", "owner status \"['ENABLED']\" is not one the API documents"),
        ),
        ("ENABLED", {"x": 1}, None, ("active", None)),
        ("ENABLED", ["DISABLED"], None, ("active", None)),
    ],
)
def test_owner_status_mapping(
    status: object,
    directory: object,
    deleted_at: str | None,
    expected: tuple[str, str | None],
) -> None:
    user = {"id": "U1", "status": status, "directoryStatus": directory, "deletedAt": deleted_at}
    assert map_owner_status(user)[:2] == expected


def test_owner_from_user_resolves_roles() -> None:
    user = {
        "id": "U1",
        "displayName": "Ann <b>",
        "email": "ann@example.com",
        "status": "ENABLED",
        "directoryStatus": "ENABLED",
        "roleIds": ["R2", "Rx"],
    }
    owner, notes = owner_from_user(user, ROLES)
    assert owner == Owner(
        id="U1",
        name="Ann <b>",
        email="ann@example.com",
        status="active",
        roles=("system:owner", "Rx"),
    )
    assert notes == ["owner role ids not in the role catalogue: Rx"]
    assert owner_from_user({**user, "roleIds": None}, ROLES)[0].roles == ()


def _response(status: int, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "https://x/"), **kwargs)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            _response(403, json={"code": 7, "message": "Permission denied, missing x"}),
            "Permission denied, missing x (PERMISSION_DENIED 7)",
        ),
        (
            _response(404, json={"code": 5, "message": "not found", "details": []}),
            "not found (NOT_FOUND 5)",
        ),
        (_response(499, json={"code": 99, "message": "odd"}), "odd (code 99)"),
        (_response(400, json={"message": "no code"}), "no code"),
        (
            _response(401, json={"error": "invalid_client", "error_description": "bad"}),
            "invalid_client: bad",
        ),
        (_response(401, json={"error": "invalid_client"}), "invalid_client"),
        (_response(500, content=b""), None),
        (_response(502, content=b"<html>Bad gateway</html>"), "<html>Bad gateway</html>"),
        (_response(500, json=["x"]), None),
        (_response(500, json={"code": 13}), None),
    ],
)
def test_parse_error(response: httpx.Response, expected: str | None) -> None:
    assert parse_error(response) == expected
