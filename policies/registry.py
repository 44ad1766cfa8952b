"""The explicit registry of built-in rules (no import-time discovery, docs/architecture.md
"Registries")."""

from __future__ import annotations

from typing import Any

from policies.base import Rule
from policies.rules.broad_source_restriction import BroadSourceRestriction
from policies.rules.expired import Expired
from policies.rules.expiring_soon import ExpiringSoon
from policies.rules.full_owner_access import FullOwnerAccess
from policies.rules.inactive_owner import InactiveOwner
from policies.rules.long_lifetime import LongLifetime
from policies.rules.never_used import NeverUsed
from policies.rules.no_expiry import NoExpiry
from policies.rules.no_source_restriction import NoSourceRestriction
from policies.rules.owner_unverified import OwnerUnverified
from policies.rules.privileged_access import PrivilegedAccess
from policies.rules.stale import Stale
from policies.rules.too_many_per_owner import TooManyPerOwner

_BUILTIN: tuple[Rule[Any], ...] = (
    Stale(),
    NeverUsed(),
    NoExpiry(),
    LongLifetime(),
    Expired(),
    ExpiringSoon(),
    NoSourceRestriction(),
    BroadSourceRestriction(),
    FullOwnerAccess(),
    PrivilegedAccess(),
    InactiveOwner(),
    OwnerUnverified(),
    TooManyPerOwner(),
)

RULES: dict[str, Rule[Any]] = {rule.id: rule for rule in _BUILTIN}
"""rule id → rule, in catalogue order (docs/architecture.md, "Rule catalogue")."""
