"""The scope → user level table the adapter ships is the v3 spec's, and ``unusable`` reads it
conservatively. ``UPDATE_SCOPE_LEVELS=1`` rewrites the table from the spec."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import providers.sailpoint.scopes as scopes_module
from providers.sailpoint.privileged_defaults import (
    DEFAULT_SAILPOINT_LEVELS,
    DEFAULT_SAILPOINT_SCOPES,
    OUTSIDE_V3,
)
from providers.sailpoint.scopes import admin_only, unusable
from tests.providers.sailpoint.scope_spec import operations_by_scope, scope_levels

TABLE = Path(scopes_module.__file__).with_name("scope_levels.json")


def test_the_shipped_table_is_derived_from_the_v3_spec() -> None:
    derived = scope_levels()
    text = json.dumps(derived, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SCOPE_LEVELS") == "1":
        TABLE.write_text(text, encoding="utf-8")
    assert TABLE.read_text(encoding="utf-8") == text, "UPDATE_SCOPE_LEVELS=1 regenerates it"


def test_spec_facts_the_table_rests_on() -> None:
    table = scope_levels()
    # v3 spec: POST /sources, PUT/PATCH/DELETE /sources/{id} list ORG_ADMIN, SOURCE_ADMIN and
    # SOURCE_SUBADMIN (the GET /sources/{sourceId}/source-health beside them lists none: a read)
    assert table["idn:sources:manage"] == ["ORG_ADMIN", "SOURCE_ADMIN", "SOURCE_SUBADMIN"]
    assert table["sp:oauth-client:manage"] is None  # its operations list no levels
    assert "USER" in (table["idn:access-request:manage"] or [])


UNUSABLE_CASES = [
    # (scopes, owner levels, unusable)
    (["idn:sources:manage"], ["USER"], ["idn:sources:manage"]),
    (["idn:sources:manage"], ["SOURCE_SUBADMIN"], []),
    (["idn:sources:manage"], ["CERT_ADMIN"], ["idn:sources:manage"]),
    (["idn:sources:manage"], ["CERT_ADMIN", "SOURCE_ADMIN"], []),
    (["idn:sources:manage"], ["ORG_ADMIN"], []),
    (["idn:sources:manage"], [], []),  # level not read: nothing is ruled out
    (["idn:sources:manage"], ["CLOUD_GOV_ADMIN"], []),  # reach not in the spec: unknown
    (["idn:sources:manage"], ["USER", "custom-level"], []),  # a custom level: unknown
    (["sp:oauth-client:manage"], ["USER"], []),  # the spec names no level: unknown
    (["not:in:the:spec"], ["USER"], []),
    (["idn:access-request:manage"], ["USER"], []),  # USER may use it
    (
        ["idn:sources:manage", "idn:role-unchecked:manage", "sp:oauth-client:manage"],
        ["SOURCE_ADMIN"],
        ["idn:role-unchecked:manage"],
    ),
]


@pytest.mark.parametrize(("scopes", "levels", "expected"), UNUSABLE_CASES)
def test_unusable(scopes: list[str], levels: list[str], expected: list[str]) -> None:
    assert list(unusable(scopes, levels)) == expected


def test_admin_only() -> None:
    assert admin_only("idn:sources:manage")
    assert not admin_only("idn:access-request:manage")  # USER may use it
    assert not admin_only("sp:oauth-client:manage")  # undocumented: not known to be admin-only
    assert not admin_only("not:in:the:spec")


@pytest.mark.parametrize(("scope", "operation"), sorted(DEFAULT_SAILPOINT_SCOPES.items()))
def test_every_default_privileged_scope_secures_the_operation_it_cites(
    scope: str, operation: str
) -> None:
    """No default privileged scope may be one no spec has (the old defaults had six such)."""
    ops = operations_by_scope()
    if scope in OUTSIDE_V3:  # cited from a newer API; it must not be hiding in v3 instead
        assert scope not in ops and "api-specs idn/apis/" in operation
        return
    assert scope in ops, f"{scope} secures no operation of the v3 spec"
    method, path = operation.split(" ", 1)
    assert (method, path) in {(m, p) for m, p, _ in ops[scope]}, operation
    assert method != "GET", "a privileged scope is cited by an operation that changes something"


def test_default_privileged_levels_are_named_on_privileged_operations() -> None:
    ops = operations_by_scope()
    v3_scopes = DEFAULT_SAILPOINT_SCOPES.keys() - OUTSIDE_V3
    named = {level for scope in v3_scopes for *_, lv in ops[scope] for level in lv or ()}
    assert set(DEFAULT_SAILPOINT_LEVELS) <= named
