"""Comparison tests for declarative conditions (``policies.conditions``): one builder per field
kind turns an operator and its checked value into a ``Test`` closure over (field value, as-of)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime, timedelta
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from policies.condition_values import (
    MAX_DAYS,
    _bool,
    _instant,
    _list,
    _network,
    _number,
    _regex,
    _str,
    _str_list,
)

__all__ = [
    "DAY",
    "_BUILDERS",
    "_ORDER",
    "Test",
    "_bool_test",
    "_build",
    "_inside",
    "_int_test",
    "_nets_test",
    "_str_test",
    "_strs_test",
    "_time_test",
]

DAY = timedelta(days=1)

_ORDER = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


Test = Callable[[Any, datetime], bool]


def _build(kind: str, op: str, value: Any, path: str) -> Test:
    if op == "is_null":
        flag = _bool(value, path)
        if kind in ("strs", "nets"):
            return lambda v, t: (not v) == flag
        return lambda v, t: (v is None) == flag
    builder = _BUILDERS[kind]
    return builder(op, value, path)


def _str_test(op: str, value: Any, path: str) -> Test:
    if op in ("eq", "ne"):
        text = _str(value, path)
        return (lambda v, t: v == text) if op == "eq" else (lambda v, t: v != text)
    if op in ("in", "not_in"):
        choices = frozenset(_str_list(value, path))
        if op == "in":
            return lambda v, t: v is not None and v in choices
        return lambda v, t: v is not None and v not in choices
    pattern = _regex(value, path)
    return lambda v, t: v is not None and pattern.search(v) is not None


def _strs_test(op: str, value: Any, path: str) -> Test:
    if op in ("eq", "ne"):
        items = tuple(_str_list(value, path))
        return (lambda v, t: tuple(v) == items) if op == "eq" else (lambda v, t: tuple(v) != items)
    if op == "contains":
        item = _str(value, path)
        return lambda v, t: item in v
    if op == "contains_any":
        choices = frozenset(_str_list(value, path))
        return lambda v, t: any(x in choices for x in v)
    pattern = _regex(value, path)
    return lambda v, t: any(pattern.search(x) is not None for x in v)


def _int_test(op: str, value: Any, path: str) -> Test:
    if op == "in":
        choices = frozenset(_number(x, f"{path}[{i}]") for i, x in enumerate(_list(value, path)))
        return lambda v, t: v is not None and v in choices
    number = _number(value, path)
    if op == "eq":
        return lambda v, t: v == number
    if op == "ne":
        return lambda v, t: v != number
    compare = _ORDER[op]
    return lambda v, t: v is not None and bool(compare(v, number))


def _bool_test(op: str, value: Any, path: str) -> Test:
    flag = _bool(value, path)
    return (lambda v, t: v is flag) if op == "eq" else (lambda v, t: v is not flag)


def _time_test(op: str, value: Any, path: str) -> Test:
    if op in _ORDER:
        instant = _instant(value, path)
        compare = _ORDER[op]
        return lambda v, t: v is not None and bool(compare(v, instant))
    span = _number(value, path, minimum=0, maximum=MAX_DAYS) * DAY
    if op == "older_than_days":  # strictly more than N x 24 h before as-of (docs/architecture.md)
        return lambda v, t: v is not None and t - v > span
    if op == "newer_than_days":  # at most N x 24 h before as-of (or later)
        return lambda v, t: v is not None and t - v <= span
    if op == "beyond_days":  # strictly more than N x 24 h after as-of
        return lambda v, t: v is not None and v - t > span
    return lambda v, t: v is not None and t < v <= t + span  # within_days: due within N days


def _nets_test(op: str, value: Any, path: str) -> Test:
    if op == "within_cidr":
        outer = [_network(x, f"{path}[{i}]") for i, x in enumerate(_list(value, path))]
        return lambda v, t: bool(v) and all(_inside(net, outer) for net in v)
    target = _network(value, path)
    return lambda v, t: any(_inside(target, [net]) for net in v)


def _inside(net: IPv4Network | IPv6Network, outer: list[IPv4Network | IPv6Network]) -> bool:
    return any(
        net.version == candidate.version and net.subnet_of(candidate)  # type: ignore[arg-type]
        for candidate in outer
    )


_BUILDERS: dict[str, Callable[[str, Any, str], Test]] = {
    "str": _str_test,
    "strs": _strs_test,
    "int": _int_test,
    "bool": _bool_test,
    "time": _time_test,
    "nets": _nets_test,
}
