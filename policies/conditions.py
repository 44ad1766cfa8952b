"""Declarative conditions over ``Credential`` fields for custom rules (docs/architecture.md: "no
code").

A condition is a tree: ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}`` or a comparison
``{field: <name>, <operator>: <value>}`` with exactly one operator. Each node is validated and
compiled into a closure once, at load time, so a typo is a configuration error that points at the
node (``policy.custom_rules[2].condition.all[1].older_than_days``) and evaluation is a few
function calls per credential.

Null semantics: a comparison on a null (or, for lists, empty) field is false, except ``ne``
(true) and ``is_null``; write ``is_null`` explicitly when "unknown" matters.

Which fields a condition may name, and their kinds, come from ``policies.fields`` (read from the
``Credential`` model); ``OPERATORS`` says what each kind allows.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any, Protocol

import re2

from auditor.kernel.errors import ConfigError
from auditor.kernel.model import Credential
from auditor.kernel.timestamps import TimestampError, format_timestamp, parse_timestamp
from policies.fields import FIELDS

Predicate = Callable[[Credential, datetime], bool]
DAY = timedelta(days=1)

OPERATORS: dict[str, tuple[str, ...]] = {
    "str": ("eq", "ne", "in", "not_in", "matches", "is_null"),
    "strs": ("eq", "ne", "contains", "contains_any", "matches", "is_null"),
    "int": ("eq", "ne", "in", "gt", "ge", "lt", "le", "is_null"),
    "bool": ("eq", "ne", "is_null"),
    "time": (
        "is_null",
        "older_than_days",
        "newer_than_days",
        "beyond_days",
        "within_days",
        "gt",
        "ge",
        "lt",
        "le",
    ),
    "nets": ("is_null", "within_cidr", "contains_cidr"),
}

_ORDER = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


class ConditionError(ValueError):
    """A malformed node; ``path`` is relative to the condition root."""

    def __init__(self, path: str, message: str, fix: str | None = None) -> None:
        self.path = path
        self.message = message
        self.fix = fix
        super().__init__(f"{path}: {message}")


def compile_condition(node: object, path: str) -> tuple[Predicate, tuple[str, ...]]:
    """Compile one node; returns the predicate and the fields it reads (for evidence)."""
    if not isinstance(node, Mapping):
        raise ConditionError(path, "a condition must be a mapping", _NODE_FIX)
    groups = [key for key in ("all", "any", "not") if key in node]
    if groups:
        if len(node) != 1:
            raise ConditionError(path, f"'{groups[0]}' must be the only key of its node", _NODE_FIX)
        key = groups[0]
        if key == "not":
            inner, fields = compile_condition(node["not"], f"{path}.not")
            return (lambda c, t: not inner(c, t)), fields
        children = node[key]
        if not isinstance(children, list) or not children:
            raise ConditionError(f"{path}.{key}", f"'{key}' needs a non-empty list of conditions")
        compiled = [
            compile_condition(child, f"{path}.{key}[{i}]") for i, child in enumerate(children)
        ]
        preds = [pred for pred, _ in compiled]
        fields = tuple(dict.fromkeys(f for _, fs in compiled for f in fs))
        if key == "all":
            return (lambda c, t: all(p(c, t) for p in preds)), fields
        return (lambda c, t: any(p(c, t) for p in preds)), fields
    return _comparison(node, path)


_NODE_FIX = "use {all: [...]}, {any: [...]}, {not: {...}} or {field: <name>, <operator>: <value>}"


def _comparison(node: Mapping[Any, Any], path: str) -> tuple[Predicate, tuple[str, ...]]:
    if "field" not in node:
        raise ConditionError(path, "a comparison needs 'field'", _NODE_FIX)
    name = node["field"]
    if not isinstance(name, str) or name not in FIELDS:
        raise ConditionError(
            f"{path}.field", f"unknown field {name!r}", "one of: " + ", ".join(FIELDS)
        )
    kind = FIELDS[name]
    ops = [key for key in node if key != "field"]
    allowed = OPERATORS[kind]
    if len(ops) != 1:
        raise ConditionError(
            path,
            f"a comparison needs exactly one operator, found {len(ops)}",
            f"operators for {name}: " + ", ".join(allowed),
        )
    op = str(ops[0])
    if op not in allowed:
        raise ConditionError(
            f"{path}.{op}",
            f"operator {op!r} does not apply to {name} ({kind})",
            f"operators for {name}: " + ", ".join(allowed),
        )
    get = operator.attrgetter(name)
    test = _build(kind, op, node[op], f"{path}.{op}")
    return (lambda c, t: test(get(c), t)), (name,)


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


def evidence_value(credential: Credential, name: str) -> Any:
    """A JSON-able rendering of one field for a custom finding's evidence."""
    value = operator.attrgetter(name)(credential)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, tuple):
        return [str(x) for x in value]
    return value


def to_config_error(err: ConditionError, prefix: str, file: str | None) -> ConfigError:
    return ConfigError(err.message, file=file, key=f"{prefix}.{err.path}", fix=err.fix)
