"""The seeded generator of simulated tenants of any size (10 to 100,000 PATs)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from providers.sailpoint.records import LAST_USED_SINCE
from providers.sailpoint.tenantdata import (
    EXPIRY_ADDED,
    MANAGED_ADDED,
    NEVER_EXPIRES_ADDED,
    PRIVILEGED_SCOPES,
    Dataset,
    Identity,
    PatRecord,
    fmt,
    hex_id,
)

_SCOPES = (
    "idn:identity:read", "sp:search:read", "idn:access-request:manage", "idn:nelm:manage",
    "idn:sources:read", "idn:accounts:read", "idn:campaign:read", "sp:report:read",
    "sp:workflow:manage", "idn:role-checked:read", "sp:scopes:default", *PRIVILEGED_SCOPES,
)  # fmt: skip
_PURPOSES = ("CI pipeline", "Terraform", "ServiceNow sync", "Reporting", "Postman", "Backup",
             "Access review export", "Migration script", "Jenkins", "Power BI")  # fmt: skip
_FIRST = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi",
          "Lena", "Mateo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sami", "Tariq")  # fmt: skip
_LAST = ("Novak", "Okoro", "Silva", "Tanaka", "Ulrich", "Varga", "Weber", "Xu", "Yilmaz", "Zhou")


def generate(seed: int, size: int, anchor: datetime) -> Dataset:
    """``size`` PATs (10 to 100,000) with a realistic mix, fully determined by ``seed``.

    Mix: about one owner per three PATs (skewed: a few owners hold many), 5 % + 5 % inactive
    owners, 1 % owners without identityState, 2 % PATs of owners unknown to the tenant, 20 %
    never used, 18 % null scope, 10 % ``sp:scopes:all``, 1 % empty scope, 8 % managed, and field
    presence that follows each record's creation date (docs/vendors/sailpoint.md §2.6 field
    history).
    """
    if not 10 <= size <= 100_000:
        raise ValueError("size must be between 10 and 100000")
    rng = random.Random(seed)  # noqa: S311 - simulated data, not a secret
    states = (("ACTIVE", "Active"), ("INACTIVE_SHORT_TERM", "Inactive"),
              ("INACTIVE_LONG_TERM", "Terminated"), (None, None))  # fmt: skip
    identities: list[Identity] = []
    for i in range(max(3, size // 3)):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        state, status = rng.choices(states, weights=(89, 5, 5, 1))[0] if i else states[0]
        alias = f"{first}.{last}.{i}".lower()
        email = None if rng.random() < 0.03 else f"{alias}@example.com"
        identities.append(Identity(hex_id(f"{seed}:identity:{i}"), f"{first} {last}", alias,
                                   email, status, state, first, last))  # fmt: skip
    identities = _with_lifecycles(seed, identities)
    identities = _with_levels(seed, identities)
    ghosts = [
        (hex_id(f"{seed}:ghost:{i}"), f"Deleted user {i}") for i in range(max(1, size // 200))
    ]
    pats: list[PatRecord] = []
    for i in range(size):
        if rng.random() < 0.02:
            owner_id, owner_name = rng.choice(ghosts)
        else:
            owner = identities[int(len(identities) * rng.random() ** 2)]
            owner_id, owner_name = owner.id, owner.name
        digits = rng.choices((3, 0, 6), weights=(85, 5, 10))[0]
        created_at = anchor - timedelta(seconds=rng.randrange(1, 4 * 365 * 86400),
                                        microseconds=rng.randrange(1_000_000))  # fmt: skip
        last_used = None
        if rng.random() >= 0.2:
            span = (anchor - created_at).total_seconds()
            used_at = created_at + timedelta(seconds=span * rng.random())
            # lastUsed is recorded only since 2023-02-02: an earlier use left no trace
            if used_at >= LAST_USED_SINCE:
                last_used = fmt(used_at, digits)
        managed: bool | None = rng.random() < 0.08 if created_at >= MANAGED_ADDED else None
        roll = rng.random()
        scope: tuple[str, ...] | None
        if roll < 0.18:
            scope = None
        elif roll < 0.28:
            scope = ("sp:scopes:all",)
        elif roll < 0.29:
            scope = ()
        else:
            scope = tuple(rng.sample(_SCOPES, rng.randint(1, 4)))
        expiration, ttl, user_aware, has_expiry = None, None, None, created_at >= EXPIRY_ADDED
        if has_expiry:
            ttl = rng.choices((43200, 3600, 36900, 900), weights=(70, 15, 10, 5))[0]
            if created_at < NEVER_EXPIRES_ADDED:  # v3 rule then: at most 6 months
                expiration = fmt(created_at + timedelta(days=rng.randint(30, 182)), digits)
            elif rng.random() < 0.2:
                user_aware = True
            else:
                user_aware = False
                lifetime = rng.choice((30, 90, 180, 365, 730))
                expiration = fmt(created_at + timedelta(days=lifetime), digits)
        pats.append(PatRecord(
            id=hex_id(f"{seed}:pat:{i}"),
            name=f"{'Workflow: ' if managed else ''}{rng.choice(_PURPOSES)} #{i}",
            scope=scope, owner_id=owner_id, owner_name=owner_name,
            created=fmt(created_at, digits), last_used=last_used, managed=managed, ttl=ttl,
            has_expiry_fields=has_expiry, expiration=expiration, user_aware=user_aware,
        ))  # fmt: skip
    return Dataset(
        identities=tuple(identities),
        pats=tuple(_with_admin_scopes(seed, pats)),
        me=identities[0].id,
    )


def _with_admin_scopes(seed: int, pats: list[PatRecord]) -> list[PatRecord]:
    """2 % of scoped PATs also hold a scope the v3 spec reserves for administrative levels
    (``idn:sources:manage``: ORG_ADMIN, SOURCE_ADMIN, SOURCE_SUBADMIN), whatever their owner's
    level: SailPoint accepts any scope at creation (own random stream, as for lifecycles)."""
    rng = random.Random(f"{seed}:admin-scopes")  # noqa: S311 - simulated data
    out = []
    for pat in pats:
        if pat.scope and "sp:scopes:all" not in pat.scope and rng.random() < 0.02:
            pat = replace(pat, scope=(*pat.scope, "idn:sources:manage"))
        out.append(pat)
    return out


# Lifecycle states that disagree with identityState, as real tenants have them: a
# lifecycle state configured without an identity state leaves identityState ACTIVE (v3 spec
# LifecycleState.identityState "is generally 'null'"), tenants name their own states, and some
# identities have no lifecycle state. (identityState, lifecycle state, truth, weight in %)
_LIFECYCLE_VARIANTS = (
    ("ACTIVE", "Terminated", "disabled", 3),
    ("ACTIVE", "inactive", "disabled", 1),
    ("ACTIVE", "Leave of Absence", "unknown", 2),
    ("ACTIVE", "Prehire", "unknown", 1),
    ("ACTIVE", None, "active", 1),
)


def _with_lifecycles(seed: int, identities: list[Identity]) -> list[Identity]:
    """Turn some active identities into the inconsistent cases, from their own random stream
    (so the rest of a seed's tenant is what it was)."""
    rng = random.Random(f"{seed}:lifecycles")  # noqa: S311 - simulated data
    weights = [w for *_, w in _LIFECYCLE_VARIANTS]
    out = []
    for i, person in enumerate(identities):
        roll = rng.random() * 100
        if i and person.identity_state == "ACTIVE" and roll < sum(weights):
            index, edge = 0, weights[0]
            while roll >= edge:
                index += 1
                edge += weights[index]
            state, lifecycle, truth, _ = _LIFECYCLE_VARIANTS[index]
            person = replace(person, identity_state=state, status=lifecycle, truth=truth)
        out.append(person)
    return out


_LEVELS = (("ORG_ADMIN",), ("CERT_ADMIN",), ("REPORT_ADMIN",), ("HELPDESK",),
           ("SOURCE_ADMIN", "ROLE_ADMIN"))  # fmt: skip


def _with_levels(seed: int, identities: list[Identity]) -> list[Identity]:
    """User levels: 3 % ORG_ADMIN, 8 % another administrative level, 1 % without a login (no
    auth user), the rest the base level. A stream of its own, so the rest of the data is the same
    for a seed as before levels existed; the first identity (the auditor) is ORG_ADMIN."""
    rng = random.Random(f"{seed}:levels")  # noqa: S311 - simulated data, not a secret
    out = []
    for i, identity in enumerate(identities):
        roll = rng.random()
        if i == 0 or roll < 0.03:
            levels: tuple[str, ...] | None = _LEVELS[0]
        elif roll < 0.11:
            levels = rng.choice(_LEVELS[1:])
        else:  # the base level: served as null or as [] (both occur: the list is nullable)
            levels = () if rng.random() < 0.5 else None
        out.append(replace(identity, capabilities=levels, login=i == 0 or roll < 0.99))
    return out
