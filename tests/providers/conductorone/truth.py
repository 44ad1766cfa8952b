"""Compare a collected inventory with the simulator's ground truth, field by field."""

from __future__ import annotations

import re
from collections import Counter
from ipaddress import ip_network
from typing import Any

from auditor.kernel.model import Credential, TenantInventory
from auditor.kernel.timestamps import parse_timestamp
from providers.conductorone import ConductorOneSimulator

LEFT = re.compile(
    r"(terminated|inactive|former employee|retired|resigned|separated|deceased)(?![^\W\d_])",
    re.IGNORECASE,
)
"""The default ``inactive_employment_statuses``, written as a pattern: one of them, then the end
or a non-letter ("Terminated - Voluntary")."""


def expected_owner_status(user: dict[str, Any]) -> str:
    """The owner's status read from the served ``User`` apart from the adapter: the worst of
    ``status``, ``directoryStatus`` and HR's ``employmentStatus``; an ``employmentStatus`` that
    is not a string cannot be read, so the owner is ambiguous ("unknown", the rules' manual)."""
    states = (user.get("status"), user.get("directoryStatus"))
    employment = user.get("employmentStatus")
    if "DELETED" in states or user.get("deletedAt"):
        return "deleted"
    if "DISABLED" in states:
        return "disabled"
    if employment is not None and not isinstance(employment, str):
        return "unknown"
    if isinstance(employment, str) and LEFT.match(employment.strip()):
        return "disabled"
    return "active" if states[0] == "ENABLED" else "unknown"


def _held(
    perms: dict[str, frozenset[str]], names: dict[str, str], have: frozenset[str]
) -> list[str]:
    return [names[r] for r, p in perms.items() if p and p <= have]


def expected_privilege(sim: ConductorOneSimulator, record: dict[str, Any]) -> dict[str, Any]:
    """Effective privilege from the served JSON, written apart from the adapter: the key holds
    (scoped roles' permissions) ∩ (owner's permissions), or the owner's when not scoped
    (openapi.yaml PersonalClient.scopedRoles), and a role when it holds all its permissions."""
    names = {r["id"]: r["name"] for r in sim.data.roles}
    perms = {r["id"]: frozenset(r.get("permissions") or []) for r in sim.data.roles}
    owner = sim.users.get(record["userId"])
    owner_perms = (
        frozenset().union(*(perms[r] for r in owner.get("roleIds") or [])) if owner else None
    )
    scoped = record.get("scopedRoles") or []
    if not scoped:
        low, high = owner_perms or frozenset(), owner_perms
    else:
        scoped_perms = frozenset().union(*(perms[r] for r in scoped if r in perms))
        complete = all(r in perms for r in scoped)
        low = scoped_perms & (owner_perms or frozenset())
        high = scoped_perms if complete else None
        if owner_perms is not None:
            high = owner_perms if high is None else high & owner_perms
    # A role listing no permissions while others list theirs is ambiguous (grants nothing, or
    # its list was left out): held only when the key carries its id, and its holder's bound is
    # unknown (None), so the rules cannot pass it.
    blank = {r for r, p in perms.items() if not p} if any(perms.values()) else set()
    carried = set(owner.get("roleIds") or []) if owner else set()
    if scoped:
        carried &= set(scoped)
    by_id = blank & carried
    if blank & {*(owner.get("roleIds") or [] if owner else []), *scoped}:
        high = None
    held = [n for r, n in names.items() if r in by_id or n in _held(perms, names, low)]
    sa_id = sim.data.role_ids["system:owner"]

    def may_hold_sa(have: frozenset[str] | None, ids: set[str]) -> bool:
        if have is None or blank & ids:
            return True
        return sa_id in ids if sa_id in blank else perms[sa_id] <= have

    key_admin = "system:owner" in held
    owner_ids = set(owner.get("roleIds") or []) if owner else set()
    maybe_admin = (
        key_admin
        or may_hold_sa(high, owner_ids & set(scoped) if scoped else owner_ids)
        or may_hold_sa(owner_perms, owner_ids)
    )
    return {
        "effective_roles": held,
        "max_roles": None if high is None else _held(perms, names, high),
        "permissions": len(low),
        "inherited": expected_inherited(
            sim.data.session_settings, bool(record.get("allowSourceCidr")), key_admin, maybe_admin
        ),
    }


def expected_inherited(
    settings: dict[str, Any], own: bool, key_admin: bool, maybe_admin: bool
) -> tuple[str, list[str]]:
    """Tenant allow lists (DOCS product/admin/global-settings.mdx; openapi.yaml SessionSettings,
    "per-role IP restrictions") under every reading the docs allow: (A) the all-users list
    applies to every key and the Super Administrator-level list to those keys as well, or (B)
    Super Administrator-level keys are governed by their list alone. A key is restricted only if
    an enforced list applies under every reading and whichever level it may have ("unknown" when
    only some do: ambiguous); its networks are every list that may apply. A key with its own list
    carries the lists that may apply alongside it ("evaluated first" does not say the tenant lists
    are then ignored)."""
    enforced = {
        name: [
            str(ip_network(c, strict=False))
            for c in (settings.get(name) or {}).get("sourceCidr") or []
        ]
        for name in ("pccUserSource", "pccAdminSource")
        if (settings.get(name) or {}).get("enabled")
    }
    levels = [True] if key_admin else [True, False] if maybe_admin else [False]
    cases = [
        {
            name
            for name in enforced
            if (name == "pccAdminSource" and admin)
            or (name == "pccUserSource" and (reading == "A" or not admin))
        }
        for admin in levels
        for reading in ("A", "B")
    ]
    cidrs = sorted({c for case in cases for name in case for c in enforced[name]})
    if all(cases) or (own and any(cases)):
        return ("enforced", cidrs)
    return ("unknown", []) if any(cases) and not own else ("none", [])


def actual_privilege(credential: Credential) -> dict[str, Any]:
    p, r = credential.privilege, credential.inherited_restriction
    assert p is not None
    return {
        "effective_roles": list(p.roles),
        "max_roles": None if p.max_roles is None else list(p.max_roles),
        "permissions": p.permissions,
        "inherited": None if r is None else (r.state, sorted(str(c) for c in r.cidrs)),
    }


def expected_facts(sim: ConductorOneSimulator, record: dict[str, Any]) -> dict[str, Any]:
    names = {r["id"]: r["name"] for r in sim.data.roles}
    scoped = record.get("scopedRoles") or []
    owner = sim.users.get(record["userId"])
    return {
        "privilege": expected_privilege(sim, record),
        "id": record["id"],
        "client_id": record["clientId"],
        "name": record["displayName"],
        "owner_id": record["userId"],
        "owner_status": expected_owner_status(owner) if owner else "not_found",
        "owner_kind": owner.get("type") if owner else None,
        "owner_roles": tuple(names[r] for r in owner.get("roleIds") or []) if owner else (),
        "created_at": parse_timestamp(record.get("createdAt")),
        "updated_at": parse_timestamp(record.get("updatedAt")),
        "last_used_at": parse_timestamp(record.get("lastUsedAt")),
        "expires_at": parse_timestamp(record.get("expiresTime")),
        "scopes": tuple(names.get(r, r) for r in scoped),
        "scope_mode": "scoped" if scoped else "full",
        "allowed_cidrs": tuple(
            ip_network(c, strict=False) for c in record.get("allowSourceCidr") or []
        ),
    }


def actual_facts(credential: Credential) -> dict[str, Any]:
    return {
        "privilege": actual_privilege(credential),
        "id": credential.id,
        "client_id": credential.client_id,
        "name": credential.name,
        "owner_id": credential.owner.id,
        "owner_status": credential.owner.status,
        "owner_kind": credential.owner.kind,
        "owner_roles": credential.owner.roles,
        "created_at": credential.created_at,
        "updated_at": credential.updated_at,
        "last_used_at": credential.last_used_at,
        "expires_at": credential.expires_at,
        "scopes": credential.scopes,
        "scope_mode": credential.scope_mode,
        "allowed_cidrs": credential.allowed_cidrs,
    }


def assert_matches_ground_truth(sim: ConductorOneSimulator, inventory: TenantInventory) -> None:
    truth = sim.ground_truth()
    ids = [c.id for c in inventory.credentials]
    assert not [i for i, n in Counter(ids).items() if n > 1], "duplicated credentials"
    assert ids == [r["id"] for r in truth], "lost or extra credentials"
    assert [actual_facts(c) for c in inventory.credentials] == [
        expected_facts(sim, r) for r in truth
    ]
    deleted = sum(1 for c in sim.data.clients if c.get("deletedAt"))
    assert inventory.coverage.excluded_deleted == deleted
    assert inventory.coverage.credential_count == len(truth)
