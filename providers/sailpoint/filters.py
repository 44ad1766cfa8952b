"""SailPoint's ``filters`` query syntax: a small parser and evaluator.

The simulated tenant needs it to answer ``lastUsed le …``/``lastUsed isnull`` on the PAT list and
``id eq``/``id in (…)`` on public identities, and to reject everything else with a 400 the way
the real service does; the adapter needs ``quote`` to build ``id in (…)`` safely from untrusted ids.

Grammar (docs/vendors/sailpoint.md §5.2, developer docs "standard collection parameters"):
comparisons ``field op value``, postfix ``field isnull`` / ``field pr``, ``field in (v1, v2)``,
composites ``and``/``or``/``not`` with parentheses. Operators are lowercase only ("EQ" is not
allowed). Strings are double-quoted with ``\\"`` and ``\\\\`` escapes; date-times are unquoted
RFC 3339.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from auditor.kernel.timestamps import TimestampError, parse_timestamp

OPERATORS = frozenset({"ca", "co", "eq", "ge", "gt", "in", "le", "lt", "ne", "pr", "isnull", "sw"})
Kind = Literal["string", "datetime"]
Value = str | datetime


class FilterError(ValueError):
    """The filter is malformed or uses a field/operator the endpoint does not support (→ 400)."""


@dataclass(frozen=True)
class FieldSpec:
    """What one endpoint allows for one field."""

    kind: Kind
    operators: frozenset[str]


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    inner: Node


Node = Compare | BoolOp | Not

# spec idn/v3/paths/personal-access-tokens.yaml, parameter filters: "lastUsed: le, isnull"
PAT_FILTERS: Mapping[str, FieldSpec] = {
    "lastUsed": FieldSpec("datetime", frozenset({"le", "isnull"})),
}
# v3 spec paths./public-identities.get (getPublicIdentities), parameter filters: id eq/in; alias,
# email, firstname, lastname eq/sw
PUBLIC_IDENTITY_FILTERS: Mapping[str, FieldSpec] = {
    "id": FieldSpec("string", frozenset({"eq", "in"})),
    "alias": FieldSpec("string", frozenset({"eq", "sw"})),
    "email": FieldSpec("string", frozenset({"eq", "sw"})),
    "firstname": FieldSpec("string", frozenset({"eq", "sw"})),
    "lastname": FieldSpec("string", frozenset({"eq", "sw"})),
}

_TOKEN = re.compile(r'\s*(?:(?P<punct>[(),])|(?P<str>"(?:[^"\\]|\\.)*")|(?P<word>[^\s(),"]+))')


def quote(value: str) -> str:
    """A filter string literal: double-quoted, ``\\`` and ``"`` escaped (docs/vendors/sailpoint.md
    §5.2)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"unexpected character at position {pos}")
        pos = match.end()
        if match["punct"]:
            out.append(("punct", match["punct"]))
        elif match["str"]:
            raw = match["str"][1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", raw)))
        else:
            out.append(("word", match["word"]))
    return out


class _Parser:
    def __init__(self, text: str, fields: Mapping[str, FieldSpec]) -> None:
        self.toks = _tokens(text)
        self.pos = 0
        self.fields = fields

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FilterError("the filter ends unexpectedly")
        self.pos += 1
        return tok

    def expect(self, punct: str) -> None:
        if self.take() != ("punct", punct):
            raise FilterError(f"expected {punct!r}")

    def parse(self) -> Node:
        if not self.toks:
            raise FilterError("the filter is empty")
        node = self.expr()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def expr(self) -> Node:
        parts = [self.conj()]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def conj(self) -> Node:
        parts = [self.unary()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def unary(self) -> Node:
        tok = self.peek()
        if tok == ("word", "not"):
            self.take()
            return Not(self.unary())
        if tok == ("punct", "("):
            self.take()
            node = self.expr()
            self.expect(")")
            return node
        return self.comparison()

    def comparison(self) -> Node:
        kind, name = self.take()
        if kind != "word":
            raise FilterError(f"expected a field name, got {name!r}")
        kind, op = self.take()
        if kind != "word" or op not in OPERATORS:
            hint = " (operators are lowercase)" if op.lower() in OPERATORS else ""
            raise FilterError(f"{op!r} is not a filter operator{hint}")
        spec = self.fields.get(name)
        if spec is None:
            raise FilterError(f"filtering on {name!r} is not supported")
        if op not in spec.operators:
            raise FilterError(f"operator {op!r} is not supported for {name!r}")
        if op in ("isnull", "pr"):
            return Compare(name, op)
        if op == "in":
            self.expect("(")
            values = [self.value(spec)]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.value(spec))
            self.expect(")")
            return Compare(name, op, tuple(values))
        return Compare(name, op, (self.value(spec),))

    def value(self, spec: FieldSpec) -> Value:
        kind, text = self.take()
        if kind == "punct":
            raise FilterError(f"expected a value, got {text!r}")
        if spec.kind == "string":
            if kind != "str":
                raise FilterError(f"string values must be double-quoted: {text!r}")
            return text
        try:
            parsed = parse_timestamp(text)
        except TimestampError as exc:
            raise FilterError(str(exc)) from exc
        if parsed is None:
            raise FilterError("a date-time value is empty")
        return parsed


def parse_filter(text: str, fields: Mapping[str, FieldSpec]) -> Node:
    """Parse ``text``; raises ``FilterError`` for syntax errors and unsupported fields/operators."""
    return _Parser(text, fields).parse()


def evaluate(node: Node, get: Callable[[str], Value | None]) -> bool:
    """Whether a record matches; ``get(field)`` returns the record's value (None when null)."""
    if isinstance(node, BoolOp):
        results = (evaluate(part, get) for part in node.parts)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not evaluate(node.inner, get)
    actual = get(node.field)
    if node.op == "isnull":
        return actual is None
    if node.op == "pr":
        return actual is not None
    if actual is None:
        return False
    if isinstance(actual, str) and isinstance(node.values[0], str):
        return _compare_str(actual, node.op, node.values)
    if isinstance(actual, datetime) and isinstance(node.values[0], datetime):
        return _compare_datetime(actual, node.op, node.values)
    return False


def _compare_str(actual: str, op: str, values: tuple[Value, ...]) -> bool:
    # SailPoint compares strings case-insensitively for eq/sw on identity attributes [inference]
    low = actual.lower()
    wanted = [v.lower() for v in values if isinstance(v, str)]
    if op == "eq":
        return low == wanted[0]
    if op == "ne":
        return low != wanted[0]
    if op == "in":
        return low in wanted
    if op == "sw":
        return low.startswith(wanted[0])
    if op == "co":
        return wanted[0] in low
    return False


def _compare_datetime(actual: datetime, op: str, values: tuple[Value, ...]) -> bool:
    other = values[0]
    assert isinstance(other, datetime)
    table: dict[str, Callable[[], bool]] = {
        "eq": lambda: actual == other,
        "ne": lambda: actual != other,
        "le": lambda: actual <= other,
        "lt": lambda: actual < other,
        "ge": lambda: actual >= other,
        "gt": lambda: actual > other,
    }
    check = table.get(op)
    return bool(check and check())


def exact_ids(node: Node) -> tuple[str, ...] | None:
    """``id eq``/``id in`` (or an ``or`` of them): the ids, so a server can index, not scan."""
    if isinstance(node, Compare) and node.field == "id" and node.op in ("eq", "in"):
        return tuple(v for v in node.values if isinstance(v, str))
    if isinstance(node, BoolOp) and node.op == "or":
        out: list[str] = []
        for part in node.parts:
            ids = exact_ids(part)
            if ids is None:
                return None
            out.extend(ids)
        return tuple(out)
    return None
