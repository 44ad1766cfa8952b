"""Checked values for declarative conditions (``policies.conditions``): ``ConditionError``, the
located error a malformed node raises, and the checks that turn an operator's value into a
string, list, flag, bounded number, RE2 pattern, timestamp or network."""

from __future__ import annotations

import math
from datetime import date, datetime
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any, Protocol

import re2

from auditor.kernel.timestamps import TimestampError, parse_timestamp

__all__ = [
    "MAX_DAYS",
    "MAX_NUMBER",
    "ConditionError",
    "Pattern",
    "_bool",
    "_instant",
    "_list",
    "_network",
    "_number",
    "_regex",
    "_str",
    "_str_list",
]


class ConditionError(ValueError):
    """A malformed node; ``path`` is relative to the condition root."""

    def __init__(self, path: str, message: str, fix: str | None = None) -> None:
        self.path = path
        self.message = message
        self.fix = fix
        super().__init__(f"{path}: {message}")


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise ConditionError(path, f"expected a string, got {type(value).__name__}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise ConditionError(path, "expected a non-empty list")
    return value


def _str_list(value: Any, path: str) -> list[str]:
    return [_str(x, f"{path}[{i}]") for i, x in enumerate(_list(value, path))]


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConditionError(path, f"expected true or false, got {value!r}")
    return value


MAX_NUMBER = 1e12
"""Large enough for any count or seconds value a credential field holds."""
MAX_DAYS = 36_500
"""A century: day spans beyond it would overflow date arithmetic near the calendar's ends."""


def _number(
    value: Any, path: str, minimum: float | None = None, maximum: float = MAX_NUMBER
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConditionError(path, f"expected a number, got {value!r}")
    if not math.isfinite(value) or abs(value) > maximum:
        # .inf or 1e308 days would overflow the date arithmetic at evaluation time
        raise ConditionError(path, f"expected a finite number of at most {maximum:g}, got {value}")
    if minimum is not None and value < minimum:
        raise ConditionError(path, f"must be at least {minimum:g}, got {value}")
    return value


class Pattern(Protocol):
    def search(self, text: str) -> object | None: ...


def _regex(value: Any, path: str) -> Pattern:
    """A ``matches`` pattern, compiled by RE2: matching takes time linear in the text whatever the
    pattern (no backtracking), so no custom rule can hang a scan. RE2 refuses what needs
    backtracking (backreferences, lookaround): such a pattern is a located error here.
    https://github.com/google/re2/wiki/Syntax lists the syntax."""
    text = _str(value, path)
    options = re2.Options()
    options.log_errors = False  # the reason is in our error, not on stderr
    try:
        compiled: Pattern = re2.compile(text, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ConditionError(
            path, f"invalid or unsupported regular expression (RE2 syntax): {reason}"
        ) from None
    return compiled


def _instant(value: Any, path: str) -> datetime:
    if isinstance(value, date) and not isinstance(value, datetime):
        value = f"{value.isoformat()}T00:00:00Z"
    try:
        parsed = parse_timestamp(value)
    except TimestampError as exc:
        raise ConditionError(path, str(exc), "write e.g. 2026-01-31T00:00:00Z") from exc
    if parsed is None:
        raise ConditionError(path, "expected a timestamp")
    return parsed


def _network(value: Any, path: str) -> IPv4Network | IPv6Network:
    text = _str(value, path)
    try:
        return ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise ConditionError(path, f"invalid network: {exc}") from exc
