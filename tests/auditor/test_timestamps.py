from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from auditor.kernel.model import Capabilities, Credential
from auditor.kernel.timestamps import TimestampError, format_timestamp, parse_timestamp

CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-08-01T09:15:02Z", datetime(2026, 8, 1, 9, 15, 2, tzinfo=UTC)),
        ("2026-08-01T09:15:02.1Z", datetime(2026, 8, 1, 9, 15, 2, 100000, tzinfo=UTC)),
        ("2026-08-01T09:15:02.123Z", datetime(2026, 8, 1, 9, 15, 2, 123000, tzinfo=UTC)),
        ("2026-08-01T09:15:02.123456Z", datetime(2026, 8, 1, 9, 15, 2, 123456, tzinfo=UTC)),
        # ConductorOne's protojson emits nanoseconds: truncated, never rounded up
        ("2026-08-01T09:15:02.123456789Z", datetime(2026, 8, 1, 9, 15, 2, 123456, tzinfo=UTC)),
        ("2026-08-01T09:15:02.999999999Z", datetime(2026, 8, 1, 9, 15, 2, 999999, tzinfo=UTC)),
        ("2026-08-01T11:15:02+02:00", datetime(2026, 8, 1, 9, 15, 2, tzinfo=UTC)),
        ("2026-08-01T04:45:02-0430", datetime(2026, 8, 1, 9, 15, 2, tzinfo=UTC)),
        ("2026-08-01t09:15:02z", datetime(2026, 8, 1, 9, 15, 2, tzinfo=UTC)),
        ("2026-08-01 09:15:02Z", datetime(2026, 8, 1, 9, 15, 2, tzinfo=UTC)),
        ("2026-01-01T00:30:00+01:00", datetime(2025, 12, 31, 23, 30, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, 0, 0, 0, tzinfo=UTC)),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_timestamp_table(text: str | None, expected: datetime | None) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2026-08-01T09:15:02", "no time zone offset"),
        ("2026-08-01T09:15:02.123", "no time zone offset"),
        ("2026-08-01", "not an RFC 3339 timestamp"),
        ("yesterday", "not an RFC 3339 timestamp"),
        ("2026-08-01T09:15:02.1234567890Z", "not an RFC 3339 timestamp"),
        ("2026-02-30T00:00:00Z", "not a valid date"),
        ("2026-08-01T09:15:02+25:00", "not a valid date"),
        ("0001-01-01T00:00:00+01:00", "not a valid date"),
        ("9999-12-31T23:59:59-01:00", "not a valid date"),
        (datetime(2026, 8, 1), "no time zone offset"),
        (1722503702, "expected an RFC 3339 timestamp string"),
    ],
)
def test_parse_timestamp_rejects(value: object, fragment: str) -> None:
    with pytest.raises(TimestampError, match=fragment):
        parse_timestamp(value)


def test_aware_datetime_is_converted_to_utc() -> None:
    zone = timezone(timedelta(hours=-5))
    assert parse_timestamp(datetime(2026, 1, 1, 19, tzinfo=zone)) == datetime(
        2026, 1, 2, 0, tzinfo=UTC
    )


def test_format_timestamp_uses_z() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert format_timestamp(None) is None


def test_credential_absent_null_and_empty_all_mean_no_value() -> None:
    base = {"provider": "conductorone", "tenant": "t", "id": "a", "capabilities": CAPS}
    absent = Credential.model_validate(base)
    null = Credential.model_validate({**base, "last_used_at": None})
    empty = Credential.model_validate({**base, "last_used_at": ""})
    assert absent.last_used_at is null.last_used_at is empty.last_used_at is None


def test_credential_rejects_naive_timestamp_clearly() -> None:
    with pytest.raises(ValidationError, match="no time zone offset"):
        Credential.model_validate(
            {
                "provider": "conductorone",
                "tenant": "t",
                "id": "a",
                "capabilities": CAPS,
                "created_at": "2026-01-01T00:00:00",
            }
        )


def test_credential_is_frozen_and_serialises_utc() -> None:
    cred = Credential(
        provider="sailpoint",
        tenant="t",
        id="a",
        capabilities=CAPS,
        created_at="2026-01-01T01:00:00+01:00",
        allowed_cidrs=("10.0.0.7/24",),
    )
    with pytest.raises(ValidationError):
        cred.id = "b"  # type: ignore[misc]
    dumped = cred.model_dump(mode="json")
    assert dumped["created_at"] == "2026-01-01T00:00:00Z"
    assert dumped["allowed_cidrs"] == ["10.0.0.0/24"]
