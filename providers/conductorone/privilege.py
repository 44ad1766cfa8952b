"""A personal client's effective privilege, from the permissions of roles (ConductorOne).

Vendor facts this rests on:

- ``Role.permissions`` is "The list of permissions this role has" (openapi.yaml
  ``components.schemas.c1.api.iam.v1.Role``); roles come from ``GET /api/v1/iam/roles``
  (``paths./api/v1/iam/roles.get``), owners' role ids from ``User.roleIds``
  (``components.schemas.c1.api.user.v1.User``).
- ``PersonalClient.scopedRoles`` is the "list of IAM Roles that this OAuth2 Client's API
  permissions are reduced to … AND'ed against the owning User's own permissions"
  (``components.schemas.c1.api.iam.v1.PersonalClient``); empty = the owner's full permissions
  (docs/vendors/conductorone.md §5, DOCS ``conductorone-api/api.mdx`` "Full Permissions").

So a full key holds the union of its owner's roles' permissions, and a scoped key holds
(union of the scoped roles' permissions) ∩ (union of the owner's roles' permissions). Intersecting
role *ids* instead is wrong: a Super Administrator's key scoped to Read-Only Administrator holds
every Read-Only Administrator permission although the owner does not hold that role's id.

A credential *holds a role* when it holds every one of the role's permissions. What is not
known (an owner whose lookup failed, a role id missing from the catalogue) gives two bounds
instead of one value: ``roles`` (held for certain, from the permissions known to be held) and
``max_roles`` (held at most; ``None`` when nothing bounds it), so a rule can fail on the first,
pass only outside the second and say ``manual`` in between.

A role with an empty permission list grants nothing by the spec's own description; taken
literally, the empty set is a subset of every set, so every key would "hold" it. Such a role is
held only by id instead: by a full key whose owner has it, by a scoped key scoped to it whose
owner has it (the reading used before permissions were read). But an empty list may as well be
one the server left out (nothing documents either), so what its holder holds is not bounded:
when the owner holds such a role, or the key is scoped to one, ``max_roles`` is ``None`` and
privileged roles not held for certain are ``manual``, never a pass (a key scoped to a
break-glass role whose owner's Super Administrator role lists nothing may hold Super
Administrator). When the catalogue lists no permissions for any role, the server evidently did
not send them: nothing is bounded then either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from auditor.kernel.model import EffectivePrivilege

SUPER_ADMIN = "system:owner"
"""Super Administrator's ``Role.name`` (docs/vendors/conductorone.md §2.5, c1i
``cmd/auth_login_roles.go``)."""


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    permissions: frozenset[str]


@dataclass
class Catalogue:
    """The tenant's roles by id, in catalogue order; ``readable`` False if it could not be read."""

    roles: dict[str, Role] = field(default_factory=dict)
    readable: bool = True
    _cache: dict[tuple[tuple[str, ...] | None, tuple[str, ...] | None], EffectivePrivilege] = field(
        default_factory=dict
    )

    @property
    def names(self) -> dict[str, str]:
        return {role_id: role.name for role_id, role in self.roles.items()}

    @property
    def has_permissions(self) -> bool:
        return any(role.permissions for role in self.roles.values())

    def effective(
        self, scoped: Sequence[str] | None, owner_roles: Sequence[str] | None
    ) -> EffectivePrivilege:
        """``scoped``: the key's scoped role ids (``None`` or empty: full); ``owner_roles``: the
        owner's role ids, ``None`` when the owner could not be looked up. Shared instances for
        equal inputs (there are few distinct role combinations in a tenant)."""
        key = (
            tuple(scoped) if scoped else None,
            None if owner_roles is None else tuple(owner_roles),
        )
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._compute(*key)
        return cached

    def _compute(
        self, scoped: tuple[str, ...] | None, owner: tuple[str, ...] | None
    ) -> EffectivePrivilege:
        if not self.readable:
            return EffectivePrivilege(
                basis="the role catalogue could not be read, so no permission is known"
            )
        bounded = self.has_permissions
        owner_low, owner_high = self._bounds(owner)
        if scoped is None:
            low, high = owner_low, owner_high
            basis = "full: every permission of the owner's roles"
        else:
            scoped_low, scoped_high = self._bounds(scoped)
            low = scoped_low & owner_low
            high = _meet(scoped_high, owner_high)
            basis = "scoped: the scoped roles' permissions AND'ed with the owner's permissions"
        by_id = self._held_by_id(scoped, owner)
        maybe_by_id = self._maybe_by_id(scoped, owner)
        blank = self._blank(scoped, owner) if bounded else []
        roles = tuple(
            r.name
            for r in self.roles.values()
            if (r.permissions and r.permissions <= low) or r.id in by_id
        )
        max_roles: tuple[str, ...] | None = None
        if high is not None and bounded and not blank:
            max_roles = tuple(
                r.name
                for r in self.roles.values()
                if (r.permissions and r.permissions <= high) or r.id in maybe_by_id
            )
        if high != low or not bounded or blank:
            basis += f"; at least {len(low)} permission(s) are certain, the rest are unknown"
            gaps = self._gaps(scoped, owner, bounded) + [
                f"role {self.roles[r].name} ({r}) lists no permissions while other roles list "
                "theirs, so what it grants is unknown"
                for r in blank
            ]
            basis += " (" + "; ".join(gaps) + ")"
        return EffectivePrivilege(
            roles=roles, max_roles=max_roles, permissions=len(low), basis=basis
        )

    def _bounds(self, ids: Iterable[str] | None) -> tuple[frozenset[str], frozenset[str] | None]:
        """The permissions of ``ids`` known for certain, and at most (``None``: unbounded)."""
        if ids is None:
            return frozenset(), None
        known: set[str] = set()
        complete = True
        for role_id in ids:
            role = self.roles.get(role_id)
            if role is None:
                complete = False
            else:
                known |= role.permissions
        low = frozenset(known)
        return low, (low if complete else None)

    def _held_by_id(
        self, scoped: tuple[str, ...] | None, owner: tuple[str, ...] | None
    ) -> set[str]:
        empty = {r.id for r in self.roles.values() if not r.permissions}
        if owner is None:
            return set()
        held = empty & set(owner)
        return held if scoped is None else held & set(scoped)

    def _maybe_by_id(
        self, scoped: tuple[str, ...] | None, owner: tuple[str, ...] | None
    ) -> set[str]:
        empty = {r.id for r in self.roles.values() if not r.permissions}
        maybe = empty if owner is None else empty & set(owner)
        return maybe if scoped is None else maybe & set(scoped)

    def _blank(self, scoped: tuple[str, ...] | None, owner: tuple[str, ...] | None) -> list[str]:
        """Ids of roles the owner holds or the key is scoped to that list no permissions (the
        caller asks only when other roles list theirs)."""
        ids = dict.fromkeys((*(owner or ()), *(scoped or ())))
        return [r for r in ids if r in self.roles and not self.roles[r].permissions]

    def _gaps(
        self, scoped: tuple[str, ...] | None, owner: tuple[str, ...] | None, bounded: bool
    ) -> list[str]:
        gaps = []
        if not bounded:
            gaps.append("the role catalogue lists no permissions")
        if owner is None:
            gaps.append("the owner's roles are unknown")
        else:
            gaps += [
                f"owner role id {r} is not in the role catalogue"
                for r in owner
                if r not in self.roles
            ]
        gaps += [
            f"scoped role id {r} is not in the role catalogue"
            for r in scoped or ()
            if r not in self.roles
        ]
        return gaps


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def read_role(raw: Mapping[str, object]) -> Role | None:
    """A ``Role`` from the catalogue, or ``None`` when it has no usable id. ``permissions`` absent,
    ``null`` or ``[]`` all mean none (docs/vendors/conductorone.md §2); a wrong type means unknown,
    which the caller treats like an id missing from the catalogue."""
    role_id = raw.get("id")
    if not isinstance(role_id, str) or not role_id:
        return None
    name = raw.get("name") or raw.get("displayName") or role_id
    permissions = raw.get("permissions")
    if permissions is None:
        permissions = []
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        return None
    return Role(role_id, str(name), frozenset(p for p in permissions if p))
