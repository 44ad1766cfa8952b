"""Effective privilege from role permissions: full, scoped, and what is unknown (table-driven)."""

from __future__ import annotations

import pytest

from providers.conductorone.privilege import Catalogue, Role, read_role

# Super Administrator ⊇ Read-Only Administrator ⊇ Logs; Basic User writes its own keys;
# BreakGlass holds Super Administrator's permissions under another id; Helpdesk intersects Basic
# and Apps without containing either; Empty lists no permission at all.
SA = frozenset({"read.a", "read.b", "read.logs", "write.keys", "write.apps", "admin.roles"})
ROLES = [
    Role("SA", "system:owner", SA),
    Role("RO", "system:viewer", frozenset({"read.a", "read.b", "read.logs"})),
    Role("LOG", "system:api-logs-viewer", frozenset({"read.logs"})),
    Role("BU", "system:user", frozenset({"read.a", "write.keys"})),
    Role("APP", "system:application-admin", frozenset({"read.b", "write.apps"})),
    Role("HD", "custom:helpdesk", frozenset({"read.a", "write.apps"})),
    Role("BG", "custom:break-glass", SA),
    Role("EMPTY", "custom:empty", frozenset()),
]
ALL: tuple[str, ...] = ("system:owner", "system:viewer", "system:api-logs-viewer", "system:user")
ALL += ("system:application-admin", "custom:helpdesk", "custom:break-glass")


def catalogue() -> Catalogue:
    return Catalogue({r.id: r for r in ROLES})


CASES = [
    # name, scoped ids (None = full), owner role ids (None = unknown), roles, max_roles
    ("full key of a Super Administrator holds every role", None, ["SA"], ALL, ALL),
    (
        # the case: role ids do not intersect, permissions do
        "Super Administrator scoped to Read-Only Administrator",
        ["RO"],
        ["SA", "BU"],
        ("system:viewer", "system:api-logs-viewer"),
        ("system:viewer", "system:api-logs-viewer"),
    ),
    (
        "Basic User scoped to Super Administrator",
        ["SA"],
        ["BU"],
        ("system:user",),
        ("system:user",),
    ),
    ("full key of a break-glass owner holds Super Administrator", None, ["BG"], ALL, ALL),
    (
        "scoped to Read-Only of a Helpdesk owner: only the overlap",
        ["RO"],
        ["HD"],
        (),
        (),
    ),
    (
        "scoped to two roles whose union holds a third",
        ["BU", "APP"],
        ["SA"],
        ("system:user", "system:application-admin", "custom:helpdesk"),
        ("system:user", "system:application-admin", "custom:helpdesk"),
    ),
    # unknowns give bounds, not values
    ("full key, owner unknown: nothing certain, no bound", None, None, (), None),
    (
        "scoped to Read-Only, owner unknown: at most Read-Only's roles",
        ["RO"],
        None,
        (),
        ("system:viewer", "system:api-logs-viewer"),
    ),
    (
        "scoped to an id missing from the catalogue: bounded by the owner",
        ["GONE"],
        ["BU"],
        (),
        ("system:user",),
    ),
    (
        "owner holds an id missing from the catalogue: full key unbounded",
        None,
        ["BU", "GONE"],
        ("system:user",),
        None,
    ),
    (
        "scoped to Read-Only plus a missing id, owner Super Administrator",
        ["RO", "GONE"],
        ["SA"],
        ("system:viewer", "system:api-logs-viewer"),
        ALL,
    ),
    # a role listing no permission is held by id only, never by every key
    ("empty role: not held without its id", ["BU"], ["BU"], ("system:user",), ("system:user",)),
    # ... and, while other roles list theirs, leaves what its holder may hold unbounded
    (
        "empty role: held when scoped to it and the owner has it, nothing bounded",
        ["EMPTY", "BU"],
        ["EMPTY", "BU"],
        ("system:user", "custom:empty"),
        None,
    ),
    ("empty role: a full key of its holder, unbounded", None, ["EMPTY"], ("custom:empty",), None),
    (
        "empty role: scoped to it, the owner bounds nothing",
        ["EMPTY"],
        ["BU"],
        (),
        None,
    ),
    (
        "empty role held by the owner: a key scoped below it is unbounded",
        ["BU"],
        ["BU", "EMPTY"],
        ("system:user",),
        None,
    ),
    (
        "empty role: possibly held by a full key of an unknown owner",
        None,
        None,
        (),
        None,
    ),
]


@pytest.mark.parametrize(
    ("scoped", "owner", "roles", "max_roles"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_effective_roles(
    scoped: list[str] | None,
    owner: list[str] | None,
    roles: tuple[str, ...],
    max_roles: tuple[str, ...] | None,
) -> None:
    privilege = catalogue().effective(scoped, owner)
    assert set(privilege.roles) == set(roles)
    if max_roles is None:
        assert privilege.max_roles is None
    else:
        assert privilege.max_roles is not None
        assert set(privilege.max_roles) == set(max_roles)
        assert set(privilege.roles) <= set(max_roles)


BLANK_SA = [Role("SA", "system:owner", frozenset()), *ROLES[1:]]
"""The review's case: Super Administrator lists no permissions while every other role does."""
BLANK_CASES = [
    # name, scoped ids, owner role ids, roles, max_roles
    ("scoped to break-glass, owner a blank Super Administrator", ["BG"], ["SA"], (), None),
    ("full key of a blank Super Administrator", None, ["SA"], ("system:owner",), None),
    ("scoped to the blank role", ["SA"], ["BU"], (), None),
    # the boundary: a blank role that neither the owner holds nor the key is scoped to
    ("a blank role nobody here holds bounds nothing away", ["BU"], ["BU"], ("system:user",),
     ("system:user",)),
    ("full key of a Basic User, blank role elsewhere", None, ["BU", "HD"],
     ("system:user", "custom:helpdesk"), ("system:user", "custom:helpdesk")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("scoped", "owner", "roles", "max_roles"),
    [c[1:] for c in BLANK_CASES],
    ids=[c[0] for c in BLANK_CASES],
)
def test_a_held_role_listing_no_permissions_bounds_nothing(
    scoped: list[str] | None,
    owner: list[str],
    roles: tuple[str, ...],
    max_roles: tuple[str, ...] | None,
) -> None:
    privilege = Catalogue({r.id: r for r in BLANK_SA}).effective(scoped, owner)
    assert set(privilege.roles) == set(roles)
    assert privilege.max_roles == max_roles
    if max_roles is None:
        assert "system:owner (SA) lists no permissions while other roles list theirs" in (
            privilege.basis
        )


def test_permission_count_and_basis() -> None:
    cat = catalogue()
    scoped = cat.effective(["RO"], ["SA"])
    assert scoped.permissions == 3
    assert scoped.basis == (
        "scoped: the scoped roles' permissions AND'ed with the owner's permissions"
    )
    unknown = cat.effective(["RO"], None)
    assert unknown.permissions == 0
    assert "the owner's roles are unknown" in unknown.basis
    gone = cat.effective(["GONE"], ["BU"])
    assert "scoped role id GONE is not in the role catalogue" in gone.basis
    assert cat.effective(["RO"], ["SA"]) is scoped  # shared for equal inputs


def test_unreadable_catalogue_bounds_nothing() -> None:
    cat = Catalogue(readable=False)
    privilege = cat.effective(None, ["SA"])
    assert (privilege.roles, privilege.max_roles) == ((), None)
    assert "could not be read" in privilege.basis


def test_a_catalogue_without_permissions_bounds_nothing() -> None:
    """The server sent no permissions at all: roles are held by id, nothing is ruled out."""
    cat = Catalogue({r.id: Role(r.id, r.name, frozenset()) for r in ROLES})
    full = cat.effective(None, ["SA"])
    assert full.roles == ("system:owner",)
    assert full.max_roles is None
    scoped = cat.effective(["RO"], ["SA"])
    assert scoped.roles == ()
    assert scoped.max_roles is None  # Read-Only's permissions may be Super Administrator's
    assert "lists no permissions" in scoped.basis


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"id": "R1", "name": "n", "permissions": ["a", "b"]}, Role("R1", "n", frozenset("ab"))),
        ({"id": "R1", "displayName": "d", "permissions": None}, Role("R1", "d", frozenset())),
        ({"id": "R1"}, Role("R1", "R1", frozenset())),
        ({"id": "R1", "permissions": "a"}, None),  # wrong type: unknown, like a missing id
        ({"id": "R1", "permissions": [1]}, None),
        ({"name": "no id"}, None),
        ({"id": ""}, None),
    ],
)
def test_read_role(raw: dict[str, object], expected: Role | None) -> None:
    assert read_role(raw) == expected
