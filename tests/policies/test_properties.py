"""Hypothesis properties of the evaluator: monotone in its thresholds, one result per rule and
credential."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.kernel.model import (
    Capabilities,
    Credential,
    EffectivePrivilege,
    InheritedRestriction,
    Owner,
    fingerprint,
)
from policies import RULES, evaluate, load_policy
from tests.policies.helpers import AS_OF, C1_CAPS, SP_CAPS, inventory

# Thresholds are whole days from as-of (or between two instants), so half the offsets are whole
# days give or take a second: the exact boundaries, which uniform seconds would hardly ever hit.
offsets = st.one_of(
    st.integers(min_value=-400 * 86400, max_value=400 * 86400),
    st.builds(
        lambda days, second: days * 86400 + second,
        st.one_of(
            st.integers(min_value=-400, max_value=400),
            st.sampled_from([0, 14, -14, 30, 45, 90, -90, 365]),  # the default thresholds
        ),
        st.sampled_from([-1, 0, 1]),
    ),
).map(lambda s: AS_OF + timedelta(seconds=s))
maybe = st.one_of(st.none(), offsets)
UNNAMED = "role-7f3a"  # a ConductorOne role id the role catalogue could not name
ROLES = ["system:owner", "system:user", "ORG_ADMIN", "USER", "CERT_ADMIN", UNNAMED]
SCOPES = ["system:owner", "system:user", "sp:scopes:all", "idn:sources:manage", UNNAMED]
NETWORKS = ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "::/0", "2001:db8::/48"]
PRIVILEGES = st.one_of(
    st.none(),
    st.builds(
        # bounds as an adapter computes them (held ⊆ max_roles), and, as a saved inventory may
        # hold them, max_roles that leave out roles held for certain
        lambda held, more, bounded, consistent: EffectivePrivilege(
            roles=tuple(held),
            max_roles=(tuple(held + more) if consistent else tuple(more)) if bounded else None,
        ),
        st.lists(st.sampled_from(ROLES), max_size=2, unique=True),
        st.lists(st.sampled_from(ROLES), max_size=2, unique=True),
        st.booleans(),
        st.booleans(),
    ),
)
INHERITED = st.one_of(
    st.none(),
    st.builds(
        lambda state, nets: InheritedRestriction(
            state=state, cidrs=tuple(nets) if state == "enforced" else ()
        ),
        st.sampled_from(["none", "enforced", "unknown"]),
        st.lists(st.sampled_from(NETWORKS), max_size=2),
    ),
)


@st.composite
def credentials(draw: st.DrawFn) -> Credential:
    provider = draw(st.sampled_from(["conductorone", "sailpoint", "example"]))  # + a plug-in
    caps: Capabilities = draw(
        st.sampled_from(
            [
                C1_CAPS if provider == "conductorone" else SP_CAPS,
                Capabilities(network_restriction=False, expiry=False, last_used=False),
                # last use recorded only since an instant near the thresholds (stale/never-used)
                SP_CAPS.model_copy(update={"last_used_since": draw(offsets)}),
            ]
        )
    )
    return Credential(
        provider=provider,
        tenant="t1",
        id=draw(st.text("abcdéf0123\x1f", min_size=1, max_size=6)),
        owner=Owner(
            id=draw(st.sampled_from([None, "u1", "u2", "u3"])),
            status=draw(st.sampled_from(["active", "disabled", "deleted", "not_found", "unknown"])),
            roles=tuple(draw(st.lists(st.sampled_from(ROLES), max_size=2))),
        ),
        created_at=draw(maybe),
        last_used_at=draw(maybe),
        expires_at=draw(maybe),
        scopes=tuple(draw(st.lists(st.sampled_from(SCOPES), max_size=2))),
        scope_mode=draw(st.sampled_from(["full", "scoped", "unknown"])),
        unusable_scopes=tuple(draw(st.lists(st.sampled_from(SCOPES), max_size=1))),
        managed=draw(st.sampled_from([None, False, True])),
        unresolved_roles=tuple(draw(st.lists(st.sampled_from([UNNAMED, "role-0000"]), max_size=1))),
        allowed_cidrs=tuple(draw(st.lists(st.sampled_from(NETWORKS), max_size=2))),
        capabilities=caps,
        privilege=draw(PRIVILEGES),
        inherited_restriction=draw(INHERITED),
    )


# Credential ids are unique within a tenant (the providers' contract).
populations = st.lists(credentials(), max_size=12, unique_by=lambda c: c.id)


def findings_of(rule_id: str, creds: list[Credential], raw: dict[str, Any]) -> set[str]:
    policy = load_policy(raw, tenants=["t1"], base_dir=Path())
    result = evaluate([inventory("t1", *creds)], policy, [], AS_OF)
    return {
        f.fingerprint + f.credential_id
        for f in result.findings
        if f.rule_id == rule_id and f.status == "fail"
    }


# (rule, parameter, low, high): raising these limits can only remove findings.
LIMITS = [
    ("stale", "max_idle_days", 1, 500),
    ("never-used", "grace_days", 0, 500),
    ("long-lifetime", "max_lifetime_days", 1, 900),
    ("too-many-per-owner", "max_per_owner", 1, 12),
]
# Windows and prefix floors work the other way: lowering them can only remove findings.
FLOORS = [
    ("expiring-soon", "warn_days", 0, 500),
    ("broad-source-restriction", "min_prefix_v4", 0, 32),
]


@settings(max_examples=60, deadline=None)
@given(
    populations,
    st.sampled_from(LIMITS),
    st.data(),
)
def test_raising_a_limit_never_adds_findings(
    creds: list[Credential], limit: tuple[str, str, int, int], data: st.DataObject
) -> None:
    rule_id, parameter, low, high = limit
    a = data.draw(st.integers(low, high))
    b = data.draw(st.integers(a, high))
    assert findings_of(rule_id, creds, {rule_id: {parameter: b}}) <= findings_of(
        rule_id, creds, {rule_id: {parameter: a}}
    )


@settings(max_examples=60, deadline=None)
@given(populations, st.sampled_from(FLOORS), st.data())
def test_lowering_a_window_never_adds_findings(
    creds: list[Credential], floor: tuple[str, str, int, int], data: st.DataObject
) -> None:
    rule_id, parameter, low, high = floor
    a = data.draw(st.integers(low, high))
    b = data.draw(st.integers(low, a))
    assert findings_of(rule_id, creds, {rule_id: {parameter: b}}) <= findings_of(
        rule_id, creds, {rule_id: {parameter: a}}
    )


@settings(max_examples=80, deadline=None)
@given(populations, st.sets(st.sampled_from(list(RULES))))
def test_every_enabled_rule_yields_exactly_one_result_per_credential(
    creds: list[Credential], disabled: set[str]
) -> None:
    policy = load_policy(
        {rule_id: {"enabled": False} for rule_id in disabled}, tenants=["t1"], base_dir=Path()
    )
    result = evaluate([inventory("t1", *creds)], policy, [], AS_OF)
    assert set(result.result_counts) == set(RULES) - disabled
    for row in result.result_counts.values():
        assert sum(row.values()) == len(creds)
    assert {f.rule_id for f in result.findings} <= set(RULES) - disabled
    fingerprints = [f.fingerprint for f in result.findings]
    assert len(set(fingerprints)) == len(fingerprints)  # at most one finding per (cred, rule)
    for finding in result.findings:
        assert finding.fingerprint == fingerprint(
            finding.tenant, finding.credential_id, finding.rule_id
        )
    non_pass = sum(
        n for row in result.result_counts.values() for s, n in row.items() if s != "pass"
    )
    # one cause, one row (policies.onerow): a folded owner-unverified result has no row of its own
    folded = sum(len(f.evidence.get("also_manual", ())) for f in result.findings)
    assert non_pass == len(result.findings) + folded + sum(
        g.credentials for g in result.not_applicable
    )
    for group in result.not_applicable:
        assert result.result_counts[group.rule_id]["not_applicable"] >= group.credentials
    keys = [(f.tenant, f.credential_id, f.rule_id) for f in result.findings]
    assert keys == sorted(keys)  # deterministic order
