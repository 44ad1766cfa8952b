"""What the v3 spec says about scopes: the operations each secures and the user levels those
operations list (``x-sailpoint-userLevels``). Shared by the scope tests; reads the dereferenced v3
spec (``specs/sailpoint/dereferenced/deref-sailpoint-api.v3.yaml``)."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

import yaml

from tests.specs import require, specs_dir

METHODS = ("get", "post", "put", "patch", "delete")


@cache
def v3_spec() -> dict[str, Any]:
    path = specs_dir() / "sailpoint" / "dereferenced" / "deref-sailpoint-api.v3.yaml"
    require(path)
    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
    return spec


def operations_by_scope() -> dict[str, list[tuple[str, str, tuple[str, ...] | None]]]:
    """scope -> [(METHOD, path, user levels or None where the operation lists none)]."""
    out: dict[str, list[tuple[str, str, tuple[str, ...] | None]]] = defaultdict(list)
    for path, item in v3_spec()["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            levels = op.get("x-sailpoint-userLevels")
            for requirement in op.get("security") or ():
                for scopes in requirement.values():
                    for scope in scopes:
                        out[scope].append(
                            (method.upper(), f"/v3{path}", tuple(levels) if levels else None)
                        )
    return dict(out)


def scope_levels() -> dict[str, list[str] | None]:
    """scope -> the user levels listed on the operations through which it changes something
    (POST, PUT, PATCH, DELETE; all of its operations if it has none of those), or None when one
    of them lists no level (then the spec does not say who may use the scope)."""
    table: dict[str, list[str] | None] = {}
    for scope, every in sorted(operations_by_scope().items()):
        ops = [op for op in every if op[0] != "GET"] or every
        if any(levels is None for _, _, levels in ops):
            table[scope] = None
        else:
            table[scope] = sorted({level for _, _, levels in ops for level in levels or ()})
    return table
