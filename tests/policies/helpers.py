"""Builders for policy tests: credentials with sensible defaults and an injected as-of."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.kernel.model import Capabilities, Credential, Owner, TenantCoverage, TenantInventory

AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAYS = timedelta(days=1)

C1_CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)
SP_CAPS = Capabilities(
    network_restriction=False,
    expiry=True,
    last_used=True,
    last_used_granularity_seconds=86400,
    last_used_since=datetime(2023, 2, 2, tzinfo=UTC),
)
NO_CAPS = Capabilities(network_restriction=False, expiry=False, last_used=False)


def cred(
    *,
    provider: str = "conductorone",
    tenant: str = "acme-c1",
    id: str = "cred-1",
    owner: dict[str, Any] | Owner | None = None,
    **fields: Any,
) -> Credential:
    """A healthy ConductorOne credential unless ``fields`` say otherwise."""
    if isinstance(owner, Owner):
        owner_model = owner
    else:
        owner_data = {"id": "u1", "name": "Jane", "status": "active", "roles": ["system:user"]}
        owner_data.update(owner or {})
        owner_model = Owner.model_validate(owner_data)
    data: dict[str, Any] = {
        "provider": provider,
        "tenant": tenant,
        "id": id,
        "name": f"key {id}",
        "owner": owner_model,
        "created_at": AS_OF - 30 * DAYS,
        "last_used_at": AS_OF - 1 * DAYS,
        "expires_at": AS_OF + 60 * DAYS,
        "scopes": ("system:user",),
        "scope_mode": "scoped",
        "allowed_cidrs": ("10.1.2.0/24",),
        "capabilities": C1_CAPS if provider == "conductorone" else SP_CAPS,
    }
    if provider == "sailpoint":
        data["allowed_cidrs"] = ()
        data["scopes"] = ("sp:search:read",)
    data.update(fields)
    return Credential.model_validate(data)


def inventory(
    tenant: str, *credentials: Credential, status: str = "complete", provider: str = "conductorone"
) -> TenantInventory:
    return TenantInventory(
        coverage=TenantCoverage.model_validate(
            {
                "tenant": tenant,
                "provider": provider,
                "status": status,
                "credential_count": len(credentials),
            }
        ),
        credentials=credentials,
    )
