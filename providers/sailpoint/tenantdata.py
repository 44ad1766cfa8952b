"""The simulated tenant's stored data, and how each API version renders it.

Records are kept version-neutral; ``render_pat`` produces the JSON one API version serves, so
the same tenant answers every version with that version's documented shape (see ``versions``).
Timestamps are stored as the exact text the tenant serves, so fractional-digit variety (0, 3 or
6 digits, docs/vendors/sailpoint.md §2.3 and §8.5) survives unchanged into the ground truth.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from providers.sailpoint.versions import ApiVersion

# Field history of GetPersonalAccessTokenResponse (docs/vendors/sailpoint.md §2.6, `git log -S`):
MANAGED_ADDED = datetime(2024, 2, 20, tzinfo=UTC)  # `managed`
EXPIRY_ADDED = datetime(2025, 7, 15, tzinfo=UTC)  # `expirationDate`, `accessTokenValiditySeconds`
NEVER_EXPIRES_ADDED = datetime(2026, 2, 19, tzinfo=UTC)  # `userAwareTokenNeverExpires`


# High-privilege scopes the simulated data uses (real v3 scope names, docs/vendors/sailpoint.md §3):
# the curated set's privileged-access records carry them, and the generator mixes them in.
PRIVILEGED_SCOPES = (
    "sp:all-personal-access-tokens:manage",
    "sp:oauth-client:manage",
    "sp:auth-user:manage",
    "sp:auth-org:manage",
)


LIFECYCLE_TRUTH = {"active": "active", "inactive": "disabled", "terminated": "disabled"}
"""ISC's default lifecycle states ("active", "inactive") and the common leaver state; tenants
define their own names (v3 spec PublicIdentity.status: "The lifecycle status for the identity")."""


def truth_of(identity_state: str | None, lifecycle: str | None) -> str:
    """A person's real status from the lifecycle state that HR processes set. identityState goes
    inactive only where a lifecycle state was configured with one (LifecycleState.identityState
    "is generally 'null'"), so it is the weaker signal: the lifecycle state decides when present."""
    if identity_state in ("INACTIVE_SHORT_TERM", "INACTIVE_LONG_TERM"):
        return "disabled"
    if lifecycle is None:
        return "active" if identity_state == "ACTIVE" else "unknown"
    return LIFECYCLE_TRUTH.get(lifecycle.strip().lower(), "unknown")


@dataclass(frozen=True)
class Identity:
    """One identity as ``/v3/public-identities`` knows it (v3 spec
    ``components.schemas.PublicIdentity``)."""

    id: str
    name: str
    alias: str
    email: str | None
    status: str | None  # lifecycle status text, e.g. "Active" (tenant-defined)
    identity_state: str | None  # ACTIVE | INACTIVE_SHORT_TERM | INACTIVE_LONG_TERM | None
    firstname: str = ""
    lastname: str = ""
    manager: tuple[str, str] | None = None  # (id, name)
    capabilities: tuple[str, ...] | None = None
    """The user level (``AuthUser.capabilities``); ``None`` or ``()``: the base level, served as
    null or ``[]``."""
    login: bool = True
    """False: no auth user (``GET /v3/auth-users/{id}`` answers 404)."""
    truth: str = ""
    """What the person's record really says, as a default configuration can know it: ``active``,
    ``disabled`` (left or suspended) or ``unknown`` (a custom lifecycle state). Derived from the
    two served fields by ``truth_of`` unless the generator set it; the tests compare the adapter's
    status with this, not with their own reading of the fields."""

    def __post_init__(self) -> None:
        if not self.truth:
            object.__setattr__(self, "truth", truth_of(self.identity_state, self.status))


@dataclass(frozen=True)
class PatRecord:
    """One PAT, version-neutral. ``None`` in an optional field means the field is absent."""

    id: str
    name: str
    scope: tuple[str, ...] | None
    owner_id: str
    owner_name: str
    created: str
    last_used: str | None
    managed: bool | None = False
    ttl: int | None = 43200
    has_expiry_fields: bool = True
    """False for records older than the expiry fields: no expirationDate, no TTL in any version."""
    expiration: str | None = None
    """None with ``has_expiry_fields``: never expires (null where nullable, absent in v3/v2024)."""
    user_aware: bool | None = None
    rules: tuple[str, ...] = field(default=(), compare=False)
    """Curated set only: the rules this record is meant to trigger (documentation, tests)."""


@dataclass(frozen=True)
class Dataset:
    identities: tuple[Identity, ...]
    pats: tuple[PatRecord, ...]
    me: str
    """The identity the simulator's minted clients act as (``owner-id=me``)."""


def hex_id(label: str) -> str:
    """A stable 32-hex id (the shape of PAT and identity ids, docs/vendors/sailpoint.md §2.6) from a
    label."""
    return hashlib.sha256(label.encode()).hexdigest()[:32]


def fmt(instant: datetime, digits: int = 3) -> str:
    """RFC 3339 UTC with exactly ``digits`` (0, 3 or 6) fractional digits and ``Z``."""
    base = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if digits == 0:
        return base + "Z"
    frac = f"{instant.microsecond:06d}"[:digits]
    return f"{base}.{frac}Z"


def render_pat(record: PatRecord, version: ApiVersion) -> dict[str, Any]:
    """The list item exactly as ``version`` serves it; keys in schema order."""
    out: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "scope": list(record.scope) if record.scope is not None else None,
        "owner": {"type": "IDENTITY", "id": record.owner_id, "name": record.owner_name},
        "created": record.created,
        "lastUsed": record.last_used,
    }
    if record.managed is not None:
        out["managed"] = record.managed
    if record.ttl is not None:
        out["accessTokenValiditySeconds"] = record.ttl
    if record.has_expiry_fields:
        if record.expiration is not None:
            out["expirationDate"] = record.expiration
        elif version.expiration_nullable:
            out["expirationDate"] = None
        # v3/v2024 declare expirationDate non-nullable: a never-expiring token omits it there
    if version.has_user_aware_flag and record.user_aware is not None:
        out["userAwareTokenNeverExpires"] = record.user_aware
    return out


def render_identity(identity: Identity) -> dict[str, Any]:
    """A ``PublicIdentity`` (v3 spec ``components.schemas.PublicIdentity``)."""
    manager = (
        {"type": "IDENTITY", "id": identity.manager[0], "name": identity.manager[1]}
        if identity.manager
        else None
    )
    return {
        "id": identity.id,
        "name": identity.name,
        "alias": identity.alias,
        "email": identity.email,
        "status": identity.status,
        "identityState": identity.identity_state,
        "manager": manager,
        "attributes": [],
    }


def render_auth_user(identity: Identity, tenant: str) -> dict[str, Any]:
    """An ``AuthUser`` (v3 spec ``components.schemas.AuthUser``), keys in
    schema order; the login timestamps are epoch milliseconds (``int64``), as specified."""
    seconds = int(identity.id[:8], 16) % 10_000_000  # stable per identity, any value will do
    return {
        "tenant": tenant,
        "id": identity.id,
        "uid": identity.alias,
        "profile": hex_id(f"auth-profile:{tenant}"),
        "identificationNumber": None,
        "email": identity.email,
        "phone": None,
        "workPhone": None,
        "personalEmail": None,
        "firstname": identity.firstname or None,
        "lastname": identity.lastname or None,
        "displayName": identity.name,
        "alias": identity.alias,
        "lastPasswordChangeDate": None,
        "lastLoginTimestamp": (1_750_000_000 + seconds) * 1000,
        "currentLoginTimestamp": (1_760_000_000 + seconds) * 1000,
        "lastUnlockTimestamp": None,
        "capabilities": list(identity.capabilities) if identity.capabilities is not None else None,
    }
