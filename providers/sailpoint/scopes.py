"""Which user levels can exercise which scope, from the v3 spec, so that a PAT's listed scopes can
be told apart from what it can really do.

SailPoint: a PAT's effective rights are its scopes *intersected with* its owner's user level;
scopes outside the level "are accepted at creation and silently ineffective", and ``sp:scopes:all``
"grants access to all the rights appropriate for the user level" (an administrator owner: all
APIs) (https://developer.sailpoint.com/docs/api/authorization). The v3 spec lists, on each
operation, the scopes that secure it (``security``) and the user levels that may call it
(``x-sailpoint-userLevels``). ``scope_levels.json`` is that table, derived from
``deref-sailpoint-api.v3.yaml`` (``tests/providers/sailpoint/test_scopes.py`` re-derives it and
fails on any difference): scope → the levels listed on the operations through which it changes
something (POST, PUT, PATCH, DELETE: what makes a ``:manage`` scope privileged; all its operations
for a scope without any), or ``null`` where one of them lists none (then the spec does not say who
may use it).

``unusable`` is deliberately conservative; a scope is reported unusable only when all of these
hold, so a latent scope is never mistaken for a harmless one the other way round:

- the owner's levels were read (``levels``), and every one is a level the spec documents (one it
  names in ``x-sailpoint-userLevels``); a custom or undocumented level (``CLOUD_GOV_ADMIN``,
  ``sp:ui-config-hub-admin``, a tenant's own) has unknown reach;
- the owner is not ``ORG_ADMIN`` (the tenant administrator: all APIs);
- every operation the scope secures lists its levels, none of them ``USER`` (the base level every
  user holds), and none of the owner's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib.resources import files

ADMIN_LEVEL = "ORG_ADMIN"
BASE_LEVEL = "USER"


@cache
def scope_levels() -> dict[str, frozenset[str] | None]:
    raw = json.loads(files(__package__).joinpath("scope_levels.json").read_text("utf-8"))
    return {scope: None if levels is None else frozenset(levels) for scope, levels in raw.items()}


@cache
def documented_levels() -> frozenset[str]:
    """Every level the spec names on an operation, plus the base level."""
    found = {level for levels in scope_levels().values() for level in levels or ()}
    return frozenset(found | {BASE_LEVEL, ADMIN_LEVEL})


def admin_only(scope: str) -> bool:
    """The spec restricts every operation of ``scope`` to levels other than the base level."""
    levels = scope_levels().get(scope)
    return levels is not None and BASE_LEVEL not in levels


def unusable(scopes: Iterable[str], levels: Iterable[str]) -> tuple[str, ...]:
    """The ``scopes`` none of the owner's ``levels`` can exercise (see the module docstring)."""
    held = frozenset(levels)
    if not held or ADMIN_LEVEL in held or not held <= documented_levels():
        return ()
    table = scope_levels()
    out = []
    for scope in scopes:
        allowed = table.get(scope)
        if allowed is not None and BASE_LEVEL not in allowed and allowed.isdisjoint(held):
            out.append(scope)
    return tuple(out)
