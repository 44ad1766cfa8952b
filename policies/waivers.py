"""Waivers: approved, time-boxed exceptions to one rule for matching credentials.

YAML shape (the config's ``waivers:`` is this list inline, or a path to a file holding it, either
as a bare list or under a top-level ``waivers:`` key)::

    - id: W-2026-014                 # optional; default "waiver-<position>" (1-based)
      rule: stale                    # a built-in or custom rule id
      match:                         # at least one key; all given keys must match
        tenant: acme-c1
        credential_id: strange-hydra-68836
        owner_id: 2c9180a46faadee4016fb4e018c20639
        name: "ci-*"                 # glob on the credential name (case-sensitive)
      reason: Quarterly batch job; used every 90-100 days.
      approved_by: jane.doe@example.com
      approved_at: 2026-10-01        # date or RFC 3339 timestamp
      expires: 2027-03-31            # a date means the end of that day (23:59:59.999999Z)
      ticket: https://jira.example.com/browse/SEC-123   # optional

Why these rules: docs/architecture.md requires rule, match, reason, approved_by and expires; an
expiry more than one calendar year after approval (so that no exception is open-ended), or a
missing reason or expiry, is a configuration error, which needs the approval date, so
``approved_at`` is required too.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from auditor.kernel.errors import ConfigError
from auditor.kernel.model import Credential, WaiverRef
from auditor.kernel.timestamps import (
    TimestampError,
    check_as_of,
    format_timestamp,
    parse_timestamp,
)
from auditor.kernel.yamlfile import read_yaml_file

EXPIRING_WINDOW = timedelta(days=14)
_MATCH_KEYS = ("tenant", "credential_id", "owner_id", "name")
_REQUIRED = ("rule", "match", "reason", "approved_by", "approved_at", "expires")
_OPTIONAL = ("id", "ticket")


@dataclass(frozen=True)
class WaiverMatch:
    tenant: str | None = None
    credential_id: str | None = None
    owner_id: str | None = None
    name: str | None = None

    def matches(self, credential: Credential) -> bool:
        return (
            (self.tenant is None or credential.tenant == self.tenant)
            and (self.credential_id is None or credential.id == self.credential_id)
            and (self.owner_id is None or credential.owner.id == self.owner_id)
            and (self.name is None or fnmatchcase(credential.name, self.name))
        )

    def as_dict(self) -> dict[str, str]:
        return {key: value for key in _MATCH_KEYS if (value := getattr(self, key)) is not None}


@dataclass(frozen=True)
class Waiver:
    id: str
    rule_id: str
    match: WaiverMatch
    reason: str
    approved_by: str
    approved_at: datetime
    expires: datetime
    expires_label: str
    """How the expiry reads in messages: the date as written, or the canonical timestamp."""
    ticket: str | None = None
    file: str | None = None

    def expired_at(self, as_of: datetime) -> bool:
        """Valid up to and including ``expires``."""
        return as_of > self.expires

    def ref(self, *, expired: bool) -> WaiverRef:
        return WaiverRef.model_construct(
            id=self.id,
            reason=self.reason,
            approved_by=self.approved_by,
            expires=self.expires,
            ticket=self.ticket,
            expired=expired,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule_id,
            "match": self.match.as_dict(),
            "reason": self.reason,
            "approved_by": self.approved_by,
            "approved_at": format_timestamp(self.approved_at),
            "expires": format_timestamp(self.expires),
            "ticket": self.ticket,
        }


def load_waivers(
    raw: str | Sequence[Mapping[str, Any]] | None,
    *,
    base_dir: Path,
    known_rules: Collection[str],
) -> tuple[Waiver, ...]:
    """Parse and validate ``waivers:``; every problem is collected into one ``ConfigError``."""
    if raw is None:
        return ()
    file: str | None = None
    entries: object = raw
    if isinstance(raw, str):
        path = (base_dir / raw).resolve()
        file = str(path)
        entries = _read(path)
        if isinstance(entries, Mapping) and set(entries) == {"waivers"}:
            entries = entries["waivers"]
        if entries is None:
            entries = []
    if not isinstance(entries, list | tuple):
        raise ConfigError(
            "waivers must be a list",
            file=file,
            key="waivers",
            fix="a YAML list of {rule, match, reason, approved_by, approved_at, expires}",
        )
    waivers: list[Waiver] = []
    problems: list[ConfigError] = []
    ids: set[str] = set()
    for index, entry in enumerate(entries):
        try:
            waiver = _one(entry, index, file, known_rules)
        except ConfigError as err:
            problems.extend(err.problems or [err])
            continue
        if waiver.id in ids:
            problems.append(
                ConfigError(
                    f"duplicate waiver id {waiver.id!r}", file=file, key=f"waivers[{index}].id"
                )
            )
            continue
        ids.add(waiver.id)
        waivers.append(waiver)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ConfigError(f"{len(problems)} problems in the waivers", file=file, problems=problems)
    return tuple(waivers)


def _read(path: Path) -> object:
    return read_yaml_file(path, key="waivers")


def _one(entry: object, index: int, file: str | None, known_rules: Collection[str]) -> Waiver:
    where = f"waivers[{index}]"

    def problem(key: str, message: str, fix: str | None = None) -> ConfigError:
        return ConfigError(message, file=file, key=f"{where}.{key}" if key else where, fix=fix)

    if not isinstance(entry, Mapping):
        raise problem("", "a waiver must be a mapping")
    problems = [
        problem(str(key), f"unknown key {key!r}", "allowed: " + ", ".join(_REQUIRED + _OPTIONAL))
        for key in entry
        if key not in _REQUIRED and key not in _OPTIONAL
    ]
    for key in _REQUIRED:
        if entry.get(key) in (None, "", {}, []):
            problems.append(problem(key, f"{key} is required", _FIXES[key]))
    for key in ("id", "reason", "approved_by", "ticket"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            problems.append(problem(key, f"{key} must be text"))
    rule = entry.get("rule")
    if rule and rule not in known_rules:
        problems.append(
            problem("rule", f"unknown rule {rule!r}", "rules: " + ", ".join(known_rules))
        )
    match = _match(entry.get("match"), problem, problems)
    approved_at = _instant(entry.get("approved_at"), "approved_at", problem, problems, end=False)
    expires = _instant(entry.get("expires"), "expires", problem, problems, end=True)
    if approved_at and expires:
        limit = _end_of_day(_add_year(approved_at.date()))
        if expires < approved_at:
            problems.append(problem("expires", "expires before it was approved"))
        elif expires > limit:
            problems.append(
                problem(
                    "expires",
                    f"expires {_label(entry['expires'], expires)}, more than one year after "
                    f"approval on {_label(entry['approved_at'], approved_at)}",
                    f"set expires to {limit.date().isoformat()} or earlier and renew it then",
                )
            )
    if problems:
        raise ConfigError("invalid waiver", problems=problems)
    assert match is not None and approved_at is not None and expires is not None
    return Waiver(
        id=entry.get("id") or f"waiver-{index + 1}",
        rule_id=str(rule),
        match=match,
        reason=entry["reason"],
        approved_by=entry["approved_by"],
        approved_at=approved_at,
        expires=expires,
        expires_label=_label(entry["expires"], expires),
        ticket=entry.get("ticket"),
        file=file,
    )


_FIXES = {
    "rule": "the id of the rule this waiver suspends",
    "match": "e.g. match: {tenant: acme-c1, credential_id: strange-hydra-68836}",
    "reason": "say why the exception is acceptable",
    "approved_by": "who approved the exception",
    "approved_at": "the approval date, e.g. 2026-10-01",
    "expires": "every waiver must expire, at most one year after approval",
}


def _match(raw: object, problem: Any, problems: list[ConfigError]) -> WaiverMatch | None:
    if raw in (None, "", {}, []):
        return None  # reported as required
    if not isinstance(raw, Mapping):
        problems.append(problem("match", "match must be a mapping", _FIXES["match"]))
        return None
    values: dict[str, str] = {}
    for key, value in raw.items():
        if key not in _MATCH_KEYS:
            problems.append(
                problem(
                    f"match.{key}",
                    f"unknown match key {key!r}",
                    "one of: " + ", ".join(_MATCH_KEYS),
                )
            )
        elif not isinstance(value, str) or not value:
            problems.append(problem(f"match.{key}", f"{key} must be non-empty text"))
        else:
            values[key] = value
    return WaiverMatch(**values)


def _instant(
    raw: object, key: str, problem: Any, problems: list[ConfigError], *, end: bool
) -> datetime | None:
    if raw in (None, ""):
        return None  # reported as required
    try:  # in range up front: a year-9999 approval must not overflow adding its one year
        return check_as_of(_parse_instant(raw, end=end))
    except TimestampError as exc:
        problems.append(problem(key, str(exc), "a date (2026-12-31) or 2026-12-31T18:00:00Z"))
        return None


def _parse_instant(raw: object, *, end: bool) -> datetime:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return _end_of_day(raw) if end else datetime.combine(raw, time(), UTC)
    if isinstance(raw, str) and len(raw.strip()) == 10:
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError:
            pass
        else:
            return _end_of_day(day) if end else datetime.combine(day, time(), UTC)
    parsed = parse_timestamp(raw)
    if parsed is None:
        raise TimestampError("empty value")
    return parsed


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, UTC)


def _add_year(day: date) -> date:
    year = day.year + 1
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def _label(raw: object, parsed: datetime) -> str:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw.isoformat()
    if isinstance(raw, str) and len(raw.strip()) == 10:
        return raw.strip()
    return format_timestamp(parsed) or ""
