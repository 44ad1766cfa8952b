"""Lenient, strict-about-meaning timestamp parsing for vendor payloads.

Vendors emit RFC 3339 with 0 to 9 fractional digits (ConductorOne's protojson emits nanoseconds,
SailPoint milliseconds or microseconds) and ``Z`` or a numeric offset. We keep every instant as an
aware UTC ``datetime``. Python's datetime holds microseconds, so digits 7-9 are truncated (never
rounded up, so an instant never moves later than the vendor said). A timestamp without an offset
is rejected: guessing a zone would silently shift "last used" by hours.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"""^(?P<date>\d{4}-\d{2}-\d{2})
        [Tt\ ]
        (?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})
        (?:[.,](?P<frac>\d{1,9}))?
        (?P<tz>[Zz]|[+-]\d{2}:?\d{2})?$""",
    re.VERBOSE,
)


class TimestampError(ValueError):
    """A value that is not a usable timestamp."""


def parse_timestamp(value: object) -> datetime | None:
    """Parse a vendor timestamp into aware UTC.

    ``None`` and the empty string mean "no value" and give ``None``. An aware ``datetime`` is
    converted to UTC; a naive one, a string without an offset, or anything unparsable raises
    ``TimestampError`` with the offending text.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TimestampError(f"timestamp {value.isoformat()!r} has no time zone offset")
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise TimestampError(f"expected an RFC 3339 timestamp string, got {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    match = _RFC3339.match(text)
    if match is None:
        raise TimestampError(f"{_clip(text)!r} is not an RFC 3339 timestamp")
    if match["tz"] is None:
        raise TimestampError(f"timestamp {_clip(text)!r} has no time zone offset (add Z or ±HH:MM)")
    try:
        year, month, day = (int(p) for p in match["date"].split("-"))
        micro = int((match["frac"] or "0").ljust(6, "0")[:6])
        hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"])
        leap = second == 60  # RFC 3339 allows a leap second; fold it into the next second
        base = datetime(
            year, month, day, hour, minute, 59 if leap else second, micro, tzinfo=_zone(match["tz"])
        )
        if leap:
            base += timedelta(seconds=1)
        return base.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        # OverflowError: 0001-01-01T00:00:00+01:00 or 9999-12-31T23:59:59-01:00 leave the
        # representable range once shifted to UTC; it is one bad record, not a crash.
        raise TimestampError(f"{_clip(text)!r} is not a valid date and time: {exc}") from exc


EARLIEST_AS_OF = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_AS_OF = datetime(9000, 1, 1, tzinfo=UTC)
"""The instants a scan may be evaluated at, and the range of every operator-given instant (a
waiver's approval and expiry too): every window added to or subtracted from one (days to
centuries) stays inside what ``datetime`` can hold."""


def check_as_of(when: datetime) -> datetime:
    """``when`` if a scan can be evaluated at it; otherwise ``TimestampError``, up front, not an
    ``OverflowError`` once the scan is done."""
    if not EARLIEST_AS_OF <= when < LATEST_AS_OF:
        raise TimestampError(
            f"{format_timestamp(when)} is out of range: use an instant from "
            f"{EARLIEST_AS_OF.date()} up to (not including) {LATEST_AS_OF.date()}"
        )
    return when


def format_timestamp(value: datetime | None) -> str | None:
    """The canonical form used in every output: ISO 8601 UTC with ``Z``."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def _zone(tz: str) -> timezone:
    if tz in ("Z", "z"):
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"offset {tz} out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _clip(text: str, limit: int = 64) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
