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

The comparison tests per field kind are in ``policies.condition_comparisons``;
``ConditionError`` and the checks of operator values are in ``policies.condition_values``. Both
are re-exported here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from auditor.kernel.errors import ConfigError
from auditor.kernel.model import Credential
from auditor.kernel.timestamps import format_timestamp
from policies.condition_comparisons import (
    _BUILDERS,
    _ORDER,
    DAY,
    Test,
    _bool_test,
    _build,
    _inside,
    _int_test,
    _nets_test,
    _str_test,
    _strs_test,
    _time_test,
)
from policies.condition_values import (
    MAX_DAYS,
    MAX_NUMBER,
    ConditionError,
    Pattern,
    _bool,
    _instant,
    _list,
    _network,
    _number,
    _regex,
    _str,
    _str_list,
)
from policies.fields import FIELDS

__all__ = [
    "DAY",
    "MAX_DAYS",
    "MAX_NUMBER",
    "OPERATORS",
    "_BUILDERS",
    "_NODE_FIX",
    "_ORDER",
    "ConditionError",
    "Pattern",
    "Predicate",
    "Test",
    "_bool",
    "_bool_test",
    "_build",
    "_comparison",
    "_inside",
    "_instant",
    "_int_test",
    "_list",
    "_nets_test",
    "_network",
    "_number",
    "_regex",
    "_str",
    "_str_list",
    "_str_test",
    "_strs_test",
    "_time_test",
    "compile_condition",
    "evidence_value",
    "to_config_error",
]

Predicate = Callable[[Credential, datetime], bool]

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
