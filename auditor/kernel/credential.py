"""The credential side of the normalised model (``auditor.kernel.model``): one personal
credential as an adapter normalised it, with its owner, what the vendor can express about it, its
effective privilege and the network allow lists that apply to it from outside its record."""

from __future__ import annotations

from typing import Literal

from auditor.kernel.modelbase import (
    Network,
    OptionalUtcDatetime,
    OwnerStatus,
    ProviderName,
    ScopeMode,
    _Frozen,
)


class Owner(_Frozen):
    """The person a credential belongs to, as far as the vendor told us."""

    id: str | None = None
    name: str | None = None
    email: str | None = None
    status: OwnerStatus = "unknown"
    roles: tuple[str, ...] = ()
    """What the owner holds, used by ``privileged-access``. ConductorOne: role names (empty for
    a known owner: no role). SailPoint: user levels (``AuthUser.capabilities``, ``USER`` for the
    base level); empty: the level was not read."""
    kind: str | None = None
    """The vendor's kind of user, shown in evidence (ConductorOne ``User.type``, e.g.
    ``USER_TYPE_SERVICE``: service and agent users own keys too); ``None``: not reported."""
    status_reason: str | None = None
    """Why ``status`` is what it is when the vendor's own status alone does not say it (an owner
    enabled in the vendor whose directory or HR record says the person left)."""


class Capabilities(_Frozen):
    """What the vendor can express. A rule whose fact is not expressible is ``not_applicable``."""

    network_restriction: bool
    expiry: bool
    last_used: bool
    last_used_granularity_seconds: int = 0
    """0: exact. SailPoint refreshes ``lastUsed`` at most daily (86400)."""
    last_used_since: OptionalUtcDatetime = None
    """When the vendor began recording last use (``None``: always). A credential created before
    it with no recorded use was not necessarily never used: it has been idle at least since this
    instant, which is ``stale``'s to judge, not ``never-used``'s."""


class EffectivePrivilege(_Frozen):
    """What a credential can do, computed by its adapter from the vendor's permission model
    (ConductorOne: the permissions of the owner's roles, AND'ed with those of the scoped roles).
    A credential holds a role when it holds every one of the role's permissions."""

    roles: tuple[str, ...] = ()
    """Roles it holds for certain."""
    max_roles: tuple[str, ...] | None = None
    """Roles it may hold at most; ``None``: no bound is known (an owner that could not be looked
    up, a role whose permissions are unknown), so any role may be held. Adapters include
    ``roles``; that is not enforced (a saved inventory may not), so rules test both."""
    permissions: int = 0
    """How many distinct permissions it holds for certain."""
    basis: str = ""
    """How it was computed, in words, for evidence."""


class InheritedRestriction(_Frozen):
    """Source-network allow lists that apply to a credential from outside its own record
    (ConductorOne: the tenant-wide allow lists for API keys). For a credential with its own list,
    the ones that may apply alongside it (``enforced``) or ``none``/``unknown``."""

    state: Literal["none", "enforced", "unknown"]
    """``none``: no such list applies; ``enforced``: ``cidrs`` restrict the credential (an empty
    tuple blocks every address); ``unknown``: whether one applies could not be determined."""
    cidrs: tuple[Network, ...] = ()
    origin: str = ""
    """Where the lists come from, for evidence (e.g. the vendor setting's name)."""
    reason: str = ""
    """Why the state is ``unknown`` (or what a reader should know about it)."""
    lists: tuple[tuple[str, tuple[Network, ...]], ...] = ()
    """Each list that may apply, by the vendor's name, with its networks (``cidrs`` is their
    union), so evidence can say where each network came from."""


class Credential(_Frozen):
    """One personal credential, normalised. Facts only, never a secret."""

    provider: ProviderName
    tenant: str
    id: str
    client_id: str | None = None
    name: str = ""
    owner: Owner = Owner()
    created_at: OptionalUtcDatetime = None
    updated_at: OptionalUtcDatetime = None
    last_used_at: OptionalUtcDatetime = None
    expires_at: OptionalUtcDatetime = None
    deleted_at: OptionalUtcDatetime = None
    scopes: tuple[str, ...] = ()
    scope_mode: ScopeMode = "unknown"
    allowed_cidrs: tuple[Network, ...] = ()
    managed: bool | None = None
    access_token_ttl_seconds: int | None = None
    capabilities: Capabilities
    notes: tuple[str, ...] = ()
    """Per-credential facts worth a reader's attention (an unresolved role id, …)."""
    unusable_scopes: tuple[str, ...] = ()
    """Scopes in ``scopes`` that the owner's known access level cannot exercise, by the vendor's
    documentation: granted, yet ineffective while the owner's level stays as it is."""
    unresolved_roles: tuple[str, ...] = ()
    """Role ids (in ``scopes`` or the owner's ``roles``) the vendor's role catalogue did not
    resolve to names: a rule judging role names cannot rule them out."""
    privilege: EffectivePrivilege | None = None
    """Effective privilege as the adapter computed it; ``None``: not computed (a vendor or a saved
    inventory without it), so rules judge ``scopes`` and the owner's ``roles``."""
    inherited_restriction: InheritedRestriction | None = None
    """Allow lists that apply from outside the record when ``allowed_cidrs`` is empty, and those
    that may apply alongside it when it is not (judged for breadth with it); ``None``: the vendor
    has none (the same as state ``none``)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant, self.id)
