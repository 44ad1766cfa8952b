from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from auditor.kernel.model import Credential
from auditor.kernel.timestamps import parse_timestamp
from providers.sailpoint.dataset import curated, generate
from providers.sailpoint.privileged_defaults import DEFAULT_SAILPOINT_SCOPES
from providers.sailpoint.records import parse_pat
from providers.sailpoint.tenantdata import (
    EXPIRY_ADDED,
    MANAGED_ADDED,
    NEVER_EXPIRES_ADDED,
    Dataset,
    PatRecord,
    hex_id,
    render_pat,
)
from providers.sailpoint.versions import VERSIONS
from tests.providers.sailpoint.conftest import ANCHOR
from tests.providers.sailpoint.scope_spec import scope_levels

DAY = timedelta(days=1)


def _facts(data: Dataset) -> dict[str, set[str]]:
    """Which catalogue rules each curated record triggers, computed from the rendered payload."""
    truth = {i.id: i.truth for i in data.identities}  # the person's real status
    levels = {i.id: i.capabilities or ("USER",) for i in data.identities}
    spec_levels = scope_levels()  # from the v3 spec, not the adapter's table
    creds = {p.id: parse_pat(render_pat(p, VERSIONS["v2025"]), tenant="t") for p in data.pats}
    unexpired: Counter[str] = Counter(
        c.owner.id or "" for c in creds.values() if c.expires_at is None or c.expires_at > ANCHOR
    )
    out: dict[str, set[str]] = {}
    for pat in data.pats:
        c: Credential = creds[pat.id]
        hit: set[str] = set()
        assert c.created_at is not None
        if c.last_used_at is not None and c.last_used_at < ANCHOR - 90 * DAY:
            hit.add("stale")
        # lastUsed exists since 2023-02-02 (api-specs commit 32f00354): before, use left no trace
        recording = datetime(2023, 2, 2, tzinfo=UTC)
        if c.last_used_at is None and c.created_at < recording:
            hit.add("stale")
        elif c.last_used_at is None and c.created_at < ANCHOR - 14 * DAY:
            hit.add("never-used")
        if c.expires_at is None:
            hit.add("no-expiry")
        elif c.expires_at <= ANCHOR:
            hit.add("expired")
        else:
            if c.expires_at - c.created_at > 365 * DAY:
                hit.add("long-lifetime")
            if c.expires_at <= ANCHOR + 14 * DAY:
                hit.add("expiring-soon")
        if c.scope_mode == "full":
            hit.add("full-owner-access")
        if c.scope_mode == "unknown":
            hit.add("scope-unknown")
        granted = set(c.scopes) & set(DEFAULT_SAILPOINT_SCOPES)
        owner_levels = set(levels.get(pat.owner_id, ()))
        usable = {
            s
            for s in granted
            if spec_levels.get(s) is None or "ORG_ADMIN" in owner_levels
            or (owner_levels | {"USER"}) & set(spec_levels[s] or ())
        }  # fmt: skip
        if usable:
            hit.add("privileged-access")
        elif granted:
            hit.add("latent-privileged")
        if c.scope_mode == "full" and "ORG_ADMIN" in levels.get(pat.owner_id, ()):
            hit.add("privileged-access")  # full scope: every right of an ORG_ADMIN owner
        state = truth.get(pat.owner_id, "missing")
        if state in ("disabled", "missing"):
            hit.add("inactive-owner")
        if state == "unknown":
            hit.add("owner-unverified")
        if unexpired[pat.owner_id] > 5:
            hit.add("too-many-per-owner")
        if c.managed:
            hit.add("managed")
        out[pat.id] = hit
    return out


def test_every_curated_record_triggers_exactly_its_documented_rules() -> None:
    data = curated(ANCHOR)
    facts = _facts(data)
    for pat in data.pats:
        assert facts[pat.id] == set(pat.rules), pat.name


def test_the_curated_set_covers_every_applicable_rule_and_has_clean_records() -> None:
    data = curated(ANCHOR)
    covered = {rule for pat in data.pats for rule in pat.rules}
    assert covered == {
        "stale",
        "never-used",
        "no-expiry",
        "long-lifetime",
        "expired",
        "expiring-soon",
        "full-owner-access",
        "privileged-access",
        "inactive-owner",
        "owner-unverified",
        "too-many-per-owner",
        "scope-unknown",
        "managed",
        "latent-privileged",
    }
    clean = [p for p in data.pats if not p.rules]
    assert len(clean) == 6
    names = {p.name for p in data.pats}
    assert '<script>alert("pat")</script>' in names
    assert any(n.startswith("=") for n in names)
    fractions = [re.search(r"(?:\.(\d+))?Z$", p.created) for p in data.pats]
    digits = {len(m.group(1) or "") for m in fractions if m is not None}
    assert digits == {0, 3, 6}
    by_label = {p.id: p for p in data.pats}
    assert by_label[hex_id("pat:no-expiry-legacy")].managed is None
    assert by_label[hex_id("pat:no-expiry-mid")].managed is False
    assert by_label[hex_id("pat:no-expiry-mid")].has_expiry_fields is False
    assert by_label[hex_id("pat:orphan")].owner_id not in {i.id for i in data.identities}


def test_generation_is_deterministic_and_seed_dependent() -> None:
    assert generate(7, 500, ANCHOR) == generate(7, 500, ANCHOR)
    assert generate(7, 500, ANCHOR).pats != generate(8, 500, ANCHOR).pats


@pytest.mark.parametrize("size", [9, 100_001])
def test_size_bounds(size: int) -> None:
    with pytest.raises(ValueError, match="between 10 and 100000"):
        generate(0, size, ANCHOR)


def test_generated_mix_and_field_history() -> None:
    data = generate(42, 5000, ANCHOR)
    pats = data.pats
    assert len(pats) == 5000 and len({p.id for p in pats}) == 5000

    def share(pred: Callable[[PatRecord], bool]) -> float:
        return sum(1 for p in pats if pred(p)) / len(pats)

    assert 0.15 < share(lambda p: p.last_used is None) < 0.25
    assert 0.14 < share(lambda p: p.scope is None) < 0.22
    assert 0.0 < share(lambda p: p.scope == ()) < 0.03
    assert 0.01 < share(lambda p: p.owner_id not in {i.id for i in data.identities}) < 0.04
    for p in pats:
        created = parse_timestamp(p.created)
        assert created is not None and created <= ANCHOR
        assert (p.managed is None) == (created < MANAGED_ADDED)
        assert p.has_expiry_fields == (created >= EXPIRY_ADDED)
        assert (p.user_aware is not None) == (created >= NEVER_EXPIRES_ADDED)
        if p.has_expiry_fields and p.expiration is None:
            assert p.user_aware is True
        if p.last_used is not None:
            used = parse_timestamp(p.last_used)
            assert used is not None and created <= used <= ANCHOR
    states = Counter(i.identity_state for i in data.identities)
    assert set(states) == {"ACTIVE", "INACTIVE_SHORT_TERM", "INACTIVE_LONG_TERM", None}


def test_generated_tenants_have_the_inconsistent_cases_of_real_ones() -> None:
    data = generate(42, 5000, ANCHOR)
    pairs = Counter((i.identity_state, i.status, i.truth) for i in data.identities)
    # lifecycle states that disagree with identityState, custom ones, and none at all
    for case in [
        ("ACTIVE", "Terminated", "disabled"),
        ("ACTIVE", "inactive", "disabled"),
        ("ACTIVE", "Leave of Absence", "unknown"),
        ("ACTIVE", "Prehire", "unknown"),
        ("ACTIVE", None, "active"),
        ("ACTIVE", "Active", "active"),
    ]:
        assert pairs[case] > 0, case
    recording = datetime(2023, 2, 2, tzinfo=UTC)
    old = [p for p in data.pats if (parse_timestamp(p.created) or ANCHOR) < recording]
    assert len(old) > 100
    for p in old:  # a use before recording began left no trace
        used = parse_timestamp(p.last_used)
        assert used is None or used >= recording
    assert any(p.last_used is None for p in old)
    assert sum(1 for p in data.pats if p.scope and "idn:sources:manage" in p.scope) / 5000 > 0.005
