"""The evaluator's shortcuts change nothing: ``Rule.screen`` and ``Rule.requires`` against the
reference that calls every rule on every credential (``tests/policies/reference.py``)."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.kernel.model import (
    Capabilities,
    Credential,
    EffectivePrivilege,
    Evaluation,
    InheritedRestriction,
    TenantInventory,
)
from benchmarks.bench_policies import build as synthetic_tenants
from policies import RULES, Policy, RuleSettings, evaluate, load_policy
from policies.base import NoParams, Outcome, Rule, RuleContext
from policies.facts import Facts
from tests.policies.helpers import AS_OF, DAYS, NO_CAPS, SP_CAPS, cred, inventory
from tests.policies.reference import not_applicable_by_group, observed, reference
from tests.policies.test_properties import credentials

PATTERNS = ["system:owner", "system:*", "*:manage", "idn:*", "ORG_ADMIN", "ORG_*", "nothing"]

overrides = st.fixed_dictionaries(
    {},
    optional={
        "stale": st.fixed_dictionaries(
            {"max_idle_days": st.integers(1, 500), "granularity_tolerance": st.booleans()}
        ),
        "never-used": st.fixed_dictionaries({"grace_days": st.integers(0, 500)}),
        "long-lifetime": st.fixed_dictionaries({"max_lifetime_days": st.integers(1, 900)}),
        "expiring-soon": st.fixed_dictionaries({"warn_days": st.integers(0, 500)}),
        "broad-source-restriction": st.fixed_dictionaries(
            {"min_prefix_v4": st.integers(0, 32), "min_prefix_v6": st.integers(0, 128)}
        ),
        "too-many-per-owner": st.fixed_dictionaries({"max_per_owner": st.integers(1, 4)}),
        "privileged-access": st.fixed_dictionaries(
            {
                "conductorone_roles": st.lists(st.sampled_from(PATTERNS), max_size=3),
                "sailpoint_scopes": st.lists(st.sampled_from(PATTERNS), max_size=3),
                "sailpoint_user_levels": st.lists(st.sampled_from(PATTERNS), max_size=2),
            }
        ),
    },
)


def assert_same_as_reference(inventories: list[TenantInventory], policy: Policy) -> Evaluation:
    result = evaluate(inventories, policy, [], AS_OF)
    ref, got = reference(inventories, policy, AS_OF), observed(result)

    def decided(results: dict[Any, Any]) -> dict[Any, Any]:
        return {k: v for k, v in results.items() if v[0] != "not_applicable"}

    # every fail and manual: same credential, rule, status, message and evidence
    assert decided(got.results) == decided(ref.results)
    # ... and every other field of the finding, as built from the credential and its owner
    for f in result.findings:
        assert f.model_dump() == ref.findings[(f.tenant, f.credential_id, f.rule_id)]
    # every not_applicable: a finding or a capability group, never lost nor invented
    groups = Counter(
        {(g.tenant, g.provider, g.rule_id, g.message): g.credentials for g in result.not_applicable}
    )
    for f in result.findings:
        if f.status == "not_applicable":
            groups[(f.tenant, f.provider, f.rule_id, f.message)] += 1
    assert groups == not_applicable_by_group(inventories, ref)
    assert got.counts == ref.counts
    keys = [(f.tenant, f.credential_id, f.rule_id) for f in result.findings]
    assert keys == sorted(keys)
    return result


@settings(max_examples=150, deadline=None)
@given(
    st.lists(credentials(), max_size=14, unique_by=lambda c: c.id),
    st.lists(credentials(), max_size=6, unique_by=lambda c: c.id),
    overrides,
    overrides,
)
def test_same_results_as_calling_every_rule_on_every_credential(
    first: list[Credential],
    second: list[Credential],
    global_overrides: dict[str, Any],
    tenant_overrides: dict[str, Any],
) -> None:
    """Random facts at the rules' boundaries (offsets in whole seconds around as-of), mixed
    vendors and capabilities in one tenant, random thresholds globally and per tenant."""
    t2 = [c.model_copy(update={"tenant": "t2"}) for c in second]
    raw = {**global_overrides, "tenants": {"t2": tenant_overrides}}
    policy = load_policy(raw, tenants=["t1", "t2"], base_dir=Path())
    assert_same_as_reference([inventory("t1", *first), inventory("t2", *t2)], policy)


BOUNDARY_DAYS = (0, 1, 14, 30, 45, 90, 365)


def boundary_population() -> list[Credential]:
    """Every time fact a whole number of threshold days from as-of (or from creation), give or
    take one second, in both directions."""
    offsets = sorted(
        {sign * days * 86400 + second for days in BOUNDARY_DAYS for second in (-1, 0, 1)
         for sign in (1, -1)}
    )  # fmt: skip
    out: list[Credential] = []
    for n, off in enumerate(offsets):
        at = AS_OF + timedelta(seconds=off)
        out += [
            cred(id=f"{n:03d}-used", last_used_at=at, created_at=AS_OF - 800 * DAYS),
            cred(id=f"{n:03d}-expires", expires_at=at, created_at=AS_OF - 800 * DAYS),
            cred(id=f"{n:03d}-deleted", expires_at=at, deleted_at=AS_OF),
            cred(id=f"{n:03d}-created", created_at=at, last_used_at=None),
            # use recorded only since `at`, created just before and just after it
            *(
                cred(
                    id=f"{n:03d}-since{shift}",
                    capabilities=SP_CAPS.model_copy(update={"last_used_since": at}),
                    created_at=at + timedelta(seconds=shift),
                    last_used_at=None,
                )
                for shift in (-1, 0)
            ),
            cred(
                id=f"{n:03d}-lifetime",
                created_at=AS_OF - 800 * DAYS,
                expires_at=AS_OF - 800 * DAYS + timedelta(seconds=abs(off)),
            ),
        ]
    return out


@pytest.mark.parametrize("days", BOUNDARY_DAYS[1:])
def test_same_results_at_every_threshold_boundary(days: int) -> None:
    raw = {
        "stale": {"max_idle_days": days},
        "never-used": {"grace_days": days},
        "long-lifetime": {"max_lifetime_days": days},
        "expiring-soon": {"warn_days": days},
    }
    policy = load_policy(raw, tenants=["acme-c1"], base_dir=Path())
    assert_same_as_reference([inventory("acme-c1", *boundary_population())], policy)


def test_same_results_at_every_network_prefix_boundary() -> None:
    networks = [f"10.0.0.0/{p}" for p in range(33)] + [f"2001:db8::/{p}" for p in range(32, 129, 8)]
    networks += ["0.0.0.0/0", "::/0", "2001::/16"]
    creds = [cred(id=f"n{i:03d}", allowed_cidrs=(n,)) for i, n in enumerate(networks)]
    creds += [
        cred(id=f"m{i:03d}", allowed_cidrs=("10.1.2.0/24", n)) for i, n in enumerate(networks)
    ]
    creds.append(cred(id="none", allowed_cidrs=()))
    for i, n in enumerate(networks):  # a tenant list that may apply alongside the key's own
        for state in ("enforced", "unknown"):
            tenant = InheritedRestriction(state=state, cidrs=(n,) if state == "enforced" else ())
            creds.append(cred(id=f"t{state[0]}{i:03d}", inherited_restriction=tenant))
            creds.append(
                cred(id=f"i{state[0]}{i:03d}", allowed_cidrs=(), inherited_restriction=tenant)
            )
    for v4, v6 in [(16, 48), (0, 0), (32, 128), (8, 64), (24, 56)]:
        raw = {"broad-source-restriction": {"min_prefix_v4": v4, "min_prefix_v6": v6}}
        policy = load_policy(raw, tenants=["acme-c1"], base_dir=Path())
        assert_same_as_reference([inventory("acme-c1", *creds)], policy)


@pytest.mark.parametrize("tolerance", [False, True])
def test_same_results_with_granularity_tolerance(tolerance: bool) -> None:
    """Tolerance only for a vendor whose last use is recorded coarsely (SailPoint: daily)."""
    creds = []
    for n, seconds in enumerate((-86401, -86400, -86399, -1, 0, 1, 86399, 86400, 86401)):
        at = AS_OF - 90 * DAYS + timedelta(seconds=seconds)
        creds.append(cred(id=f"c1-{n}", last_used_at=at))
        creds.append(cred(provider="sailpoint", id=f"sp-{n}", last_used_at=at))
    raw = {"stale": {"max_idle_days": 90, "granularity_tolerance": tolerance}}
    policy = load_policy(raw, tenants=["acme-c1"], base_dir=Path())
    assert_same_as_reference([inventory("acme-c1", *creds)], policy)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"sailpoint_user_levels": ["ORG_*"], "conductorone_roles": ["system:*"]},
        {"sailpoint_scopes": ["*:manage"], "sailpoint_user_levels": ["ORG_ADMIN", "HELPDESK"]},
        {"sailpoint_user_levels": [], "sailpoint_unprivileged_user_levels": ["USER", "CERT_*"]},
        {"sailpoint_unprivileged_user_levels": []},
    ],
)
def test_same_results_for_privileged_access(raw: dict[str, Any]) -> None:
    """Both vendors, every scope mode and owner status, user levels exact and by pattern."""
    creds = []
    levels = [(), ("ORG_ADMIN",), ("HELPDESK",), ("CERT_ADMIN", "ORG_ADMIN"), ("system:owner",),
              ("USER",), ("CERT_ADMIN",), ("USER", "CERT_ADMIN"), ("org_admin",)]  # fmt: skip
    statuses = ["active", "disabled", "not_found", "unknown"]
    n = 0
    for provider in ("conductorone", "sailpoint"):
        for mode, scopes in [
            ("full", ()),
            ("scoped", ("system:user",)),
            ("scoped", ("system:owner",)),
            ("scoped", ("idn:sources:manage", "sp:search:read")),
            ("unknown", ()),
        ]:
            for roles in levels:
                for status in statuses:
                    for unresolved in ((), ("role-1",)):
                        n += 1
                        creds.append(
                            cred(
                                provider=provider,
                                id=f"p{n:04d}",
                                scope_mode=mode,
                                scopes=(*scopes, *unresolved),
                                unresolved_roles=unresolved,
                                owner={"status": status, "roles": [*roles, *unresolved]},
                            )
                        )
    policy = load_policy({"privileged-access": raw}, tenants=["acme-c1"], base_dir=Path())
    assert_same_as_reference([inventory("acme-c1", *creds)], policy)


PRIVILEGE_BOUNDS = [
    # (roles held for certain, max_roles): the screen must not drop what evaluate fails
    ((), ()),
    (("system:owner",), ()),  # inconsistent, e.g. a saved inventory: held wins
    (("system:owner",), ("system:user",)),
    (("system:owner",), ("system:owner",)),
    (("system:owner",), None),
    ((), ("system:owner",)),
    ((), None),
    (("system:user",), ()),
]


@pytest.mark.parametrize(("roles", "max_roles"), PRIVILEGE_BOUNDS)
def test_same_results_when_held_roles_are_outside_max_roles(
    roles: tuple[str, ...], max_roles: tuple[str, ...] | None
) -> None:
    privilege = EffectivePrivilege(roles=roles, max_roles=max_roles, basis="saved")
    creds = [
        cred(id=f"{mode}-{n}", scope_mode=mode, privilege=privilege)
        for n, mode in enumerate(["full", "scoped"])
    ]
    policy = load_policy({}, tenants=["acme-c1"], base_dir=Path())
    result = assert_same_as_reference([inventory("acme-c1", *creds)], policy)
    if "system:owner" in roles:
        assert result.result_counts["privileged-access"]["fail"] == 2


@pytest.mark.parametrize("mix", ["healthy", "realistic", "heavy"])
def test_same_results_on_the_benchmark_population(mix: str) -> None:
    """The benchmark's own synthetic tenants (both vendors, every owner status, CIDR mixes)."""
    inventories = synthetic_tenants(3000, seed=11, mix=mix)
    policy = load_policy(None, tenants=[i.coverage.tenant for i in inventories], base_dir=Path())
    result = assert_same_as_reference(inventories, policy)
    assert {g.rule_id for g in result.not_applicable} == {
        "broad-source-restriction",
        "no-source-restriction",
    }


ALL_CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)
SWITCHES = ("network_restriction", "expiry", "last_used")


@settings(max_examples=100, deadline=None)
@given(credentials())
def test_requires_names_exactly_the_capability_the_rule_checks(credential: Credential) -> None:
    """``requires`` is a promise about ``evaluate``: the evaluator counts credentials lacking
    that capability without calling it. Each capability is switched off on its own, so a rule
    naming the wrong one fails here."""
    for rule in RULES.values():
        for switch in SWITCHES:
            caps = ALL_CAPS.model_copy(update={switch: False})
            outcome = rule.evaluate(
                credential.model_copy(update={"capabilities": caps}), rule.context(AS_OF)
            )
            na = outcome is not None and outcome[0] == "not_applicable"
            assert na == (switch == rule.requires), (rule.id, switch)


@settings(max_examples=100, deadline=None)
@given(st.lists(credentials(), max_size=20, unique_by=lambda c: c.id), overrides)
def test_screens_name_each_credential_at_most_once(
    creds: list[Credential], raw: dict[str, Any]
) -> None:
    policy = load_policy(raw, tenants=["t1"], base_dir=Path())
    facts = Facts(creds)
    for rule_id, settings_ in policy.for_tenant("t1").items():
        ctx = settings_.rule.context(AS_OF, settings_.params, tenant="t1")
        screened = settings_.rule.screen(facts, ctx)
        if screened is None:
            continue
        indices = list(screened)
        assert len(indices) == len(set(indices)), rule_id
        assert all(0 <= i < len(creds) for i in indices), rule_id


class _WrongRequires(Rule[NoParams]):
    """Declares a capability its ``evaluate`` does not check: a bug the evaluator survives."""

    id = "x-wrong-requires"
    title = "test"
    description = "test"
    remediation = "test"
    default_severity = "low"
    params_model = NoParams
    requires: ClassVar[str | None] = "network_restriction"

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        return ("fail", f"judged {credential.id}", {})


def test_a_wrong_requires_declaration_loses_nothing() -> None:
    policy = load_policy(None, tenants=["acme-isc"], base_dir=Path())
    rule = _WrongRequires()
    rules = {**policy.rules, rule.id: RuleSettings(rule, True, "low", NoParams())}
    patched = dataclasses.replace(policy, rules=rules)
    sp = [cred(provider="sailpoint", tenant="acme-isc", id=f"k{i}") for i in range(3)]
    result = evaluate([inventory("acme-isc", *sp)], patched, [], AS_OF)
    assert [f.message for f in result.findings if f.rule_id == rule.id] == [
        "judged k0",
        "judged k1",
        "judged k2",
    ]
    assert rule.id not in {g.rule_id for g in result.not_applicable}
    assert result.result_counts[rule.id]["fail"] == 3


class _ChecksExpiry(_WrongRequires):
    id = "x-checks-expiry"
    requires: ClassVar[str | None] = "last_used"

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        if not credential.capabilities.expiry:
            return ("not_applicable", "no expiry", {})
        return ("fail", f"judged {credential.id}", {})


def test_a_wrong_requires_is_caught_per_capabilities_value() -> None:
    """Found in review: one credential per provider stood for all, so ``b`` (which lacks
    last_used but has expiry) was counted not_applicable with ``a`` instead of failing."""
    policy = load_policy(None, tenants=["acme-c1"], base_dir=Path())
    rule = _ChecksExpiry()
    patched = dataclasses.replace(
        policy, rules={**policy.rules, rule.id: RuleSettings(rule, True, "low", NoParams())}
    )
    a = cred(id="a", capabilities=NO_CAPS)
    b = cred(id="b", capabilities=ALL_CAPS.model_copy(update={"last_used": False}))
    result = evaluate([inventory("acme-c1", a, b)], patched, [], AS_OF)
    assert [f.message for f in result.findings if f.rule_id == rule.id] == ["judged b"]
    assert result.result_counts[rule.id]["not_applicable"] == 1


def test_capabilities_that_differ_within_a_tenant_are_split_by_provider() -> None:
    """Capabilities compared by value, not identity (a result read back from JSON has one
    object per credential); a tenant holding both vendors gets one group per provider."""
    c1_lacking = cred(id="a", capabilities=NO_CAPS.model_copy())
    c1_ok = cred(id="b")
    sp = cred(provider="sailpoint", id="c", capabilities=SP_CAPS.model_copy())
    policy = load_policy(None, tenants=["acme-c1"], base_dir=Path())
    result = assert_same_as_reference([inventory("acme-c1", c1_lacking, c1_ok, sp)], policy)
    network = [
        (g.provider, g.credentials)
        for g in result.not_applicable
        if g.rule_id == "no-source-restriction"
    ]
    assert network == [("conductorone", 1), ("sailpoint", 1)]


def test_an_empty_tenant() -> None:
    policy = load_policy(None, tenants=["acme-c1"], base_dir=Path())
    result = evaluate([inventory("acme-c1")], policy, [], AS_OF)
    assert result.findings == () and result.not_applicable == ()
    assert all(sum(row.values()) == 0 for row in result.result_counts.values())


class TestCollector:
    """``evaluate`` pauses the cyclic collector and promotes what it made to the oldest
    generation (``policies.collector.paused``); it must leave the collector as it found it."""

    def run(self) -> Evaluation:
        policy = load_policy(None, tenants=["acme-c1"], base_dir=Path())
        return evaluate([inventory("acme-c1", cred(id="k", expires_at=None))], policy, [], AS_OF)

    def test_cyclic_garbage_of_before_stays_collectable(self) -> None:
        """What ``gc.freeze()`` alone got wrong: garbage of that moment was kept for good."""

        class Node:
            ref: object = None

        was = gc.isenabled()
        try:
            gc.disable()  # nothing collects the cycle before evaluate has run
            node = Node()
            node.ref = node
            alive = weakref.ref(node)
            del node
            self.run()
            assert alive() is not None
            assert gc.get_freeze_count() == 0  # nothing left exempt from collection
            gc.collect()
            assert alive() is None
        finally:
            (gc.enable if was else gc.disable)()

    def test_objects_frozen_by_the_process_stay_frozen(self) -> None:
        gc.freeze()
        try:
            frozen = gc.get_freeze_count()
            assert frozen > 0
            self.run()
            assert gc.get_freeze_count() == frozen
        finally:
            gc.unfreeze()

    @pytest.mark.parametrize("enabled", [True, False])
    def test_the_collector_state_is_restored(self, enabled: bool) -> None:
        was = gc.isenabled()
        try:
            (gc.enable if enabled else gc.disable)()
            self.run()
            assert gc.isenabled() is enabled
        finally:
            (gc.enable if was else gc.disable)()


def test_overlapping_evaluations_keep_the_collector_paused_until_the_last_ends() -> None:
    """Found in review: schedules run in threads, and the first evaluation to finish resumed
    the collector under one still running."""
    from policies.collector import paused as _no_gc

    was = gc.isenabled()
    try:
        gc.enable()
        first, second = _no_gc(), _no_gc()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert not gc.isenabled()
        second.__exit__(None, None, None)
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        (gc.enable if was else gc.disable)()
