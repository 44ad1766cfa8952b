"""Compare a collected inventory with the simulator's ground truth, field by field."""

from __future__ import annotations

from collections import Counter
from ipaddress import ip_network
from typing import Any

from auditor.model import Credential, TenantInventory
from auditor.timestamps import parse_timestamp
from providers.conductorone import ConductorOneSimulator
from providers.conductorone.normalise import map_owner_status


def expected_facts(sim: ConductorOneSimulator, record: dict[str, Any]) -> dict[str, Any]:
    names = {r["id"]: r["name"] for r in sim.data.roles}
    scoped = record.get("scopedRoles") or []
    owner = sim.users.get(record["userId"])
    return {
        "id": record["id"],
        "client_id": record["clientId"],
        "name": record["displayName"],
        "owner_id": record["userId"],
        "owner_status": map_owner_status(owner)[0] if owner else "not_found",
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
        "id": credential.id,
        "client_id": credential.client_id,
        "name": credential.name,
        "owner_id": credential.owner.id,
        "owner_status": credential.owner.status,
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
