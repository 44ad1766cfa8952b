"""Issue 13, end to end: the adapter against the simulated tenant, then the rules.

Effective privilege (role permissions), tenant-wide API-key allow lists (session settings) and
owners whose HR record says they left, on the curated tenant and on generated ones.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.kernel.model import Credential, Evaluation, TenantInventory
from policies import evaluate, load_policy
from providers.conductorone import SimFaults
from providers.conductorone.dataset import allow_list
from providers.conductorone.options import ConductorOneOptions
from providers.conductorone.owners import map_owner_status
from tests.providers.conductorone.conftest import ANCHOR, FakeTime, make_sim, provider_for
from tests.providers.conductorone.truth import assert_matches_ground_truth


def collect(fake: FakeTime, faults: SimFaults | None = None, **settings: Any) -> TenantInventory:
    sim = make_sim(faults=faults)
    provider = provider_for(sim, fake)
    provider.settings = replace(provider.settings, **settings)
    return asyncio.run(provider.collect())


def judge(inventory: TenantInventory, raw: dict[str, Any] | None = None) -> Evaluation:
    policy = load_policy(raw or {}, tenants=[inventory.coverage.tenant], base_dir=Path())
    return evaluate([inventory], policy, [], ANCHOR)


def result(evaluation: Evaluation, inventory: TenantInventory, name: str, rule: str) -> str:
    credential = by_name(inventory, name)
    for finding in evaluation.findings:
        if finding.credential_id == credential.id and finding.rule_id == rule:
            return finding.status
    return "pass"


def by_name(inventory: TenantInventory, name: str) -> Credential:
    return next(c for c in inventory.credentials if c.name == name)


def test_a_super_administrators_key_scoped_to_read_only(fake_time: FakeTime) -> None:
    inventory = collect(fake_time)
    key = by_name(inventory, "admin scoped to viewer")
    assert key.owner.roles == ("system:owner", "system:user")
    assert key.privilege is not None
    assert "system:viewer" in key.privilege.roles  # role ids do not intersect; permissions do
    assert "system:owner" not in (key.privilege.max_roles or ("system:owner",))
    assert result(judge(inventory), inventory, "admin scoped to viewer", "privileged-access") == (
        "pass"
    )
    strict = judge(inventory, {"privileged-access": {"conductorone_roles": ["system:viewer"]}})
    assert result(strict, inventory, "admin scoped to viewer", "privileged-access") == "fail"
    finding = next(
        f for f in strict.findings if f.credential_id == key.id and f.rule_id == "privileged-access"
    )
    assert finding.evidence["effective_permissions"] == key.privilege.permissions > 0
    assert "system:viewer" in finding.evidence["effective_roles"]


def test_a_custom_role_with_super_administrator_permissions(fake_time: FakeTime) -> None:
    inventory = collect(fake_time)
    key = by_name(inventory, "break-glass owner, full")
    assert key.owner.roles == ("custom:break-glass",)  # no system:owner id anywhere
    evaluation = judge(inventory)
    assert result(evaluation, inventory, "break-glass owner, full", "privileged-access") == "fail"


def test_a_role_served_without_permissions_makes_its_holders_manual(fake_time: FakeTime) -> None:
    """Super Administrator listed with no permissions while the other roles list theirs: its
    holders' keys cannot be bounded, so "scoped below Super Administrator" is no longer a pass."""
    sim = make_sim(faults=SimFaults(unlisted_role_permissions=("system:owner",)))
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    assert_matches_ground_truth(sim, inventory)
    key = by_name(inventory, "admin scoped to viewer")
    assert key.privilege is not None and key.privilege.max_roles is None
    evaluation = judge(inventory)
    assert result(evaluation, inventory, "admin scoped to viewer", "privileged-access") == "manual"
    assert result(evaluation, inventory, "admin full", "privileged-access") == "fail"  # by id
    assert result(evaluation, inventory, "clean: ci deploy", "privileged-access") == "pass"


def test_a_key_restricted_only_by_the_tenant_allow_list(fake_time: FakeTime) -> None:
    inventory = collect(fake_time)
    key = by_name(inventory, "admin full, tenant allow list only")
    assert key.allowed_cidrs == ()
    assert key.inherited_restriction is not None
    assert key.inherited_restriction.state == "enforced"
    assert key.inherited_restriction.origin == "tenant session settings (pccAdminSource)"
    assert [str(c) for c in key.inherited_restriction.cidrs] == [
        "203.0.113.0/24",
        "2001:db8:ad::/48",
    ]
    evaluation = judge(inventory)
    name = "admin full, tenant allow list only"
    assert result(evaluation, inventory, name, "no-source-restriction") == "pass"
    assert result(evaluation, inventory, name, "broad-source-restriction") == "pass"
    # a plain user's key without a list stays unrestricted: the user list is switched off
    assert result(evaluation, inventory, "no CIDR: absent", "no-source-restriction") == "fail"
    # scoped below Super Administrator, owned by one: the admin list may or may not apply
    doubtful = "admin scoped to viewer, no CIDR"
    assert result(evaluation, inventory, doubtful, "no-source-restriction") == "manual"
    assert result(evaluation, inventory, doubtful, "broad-source-restriction") == "manual"


def collect_with(fake: FakeTime, **lists: Any) -> TenantInventory:
    sim = make_sim()
    sim.data.session_settings.update(lists)
    inventory = asyncio.run(provider_for(sim, fake).collect())
    assert_matches_ground_truth(sim, inventory)  # the truth reads every documented reading
    return inventory


def test_a_tenant_list_may_widen_a_keys_own_list(fake_time: FakeTime) -> None:
    """Per-key lists are "evaluated first" (DOCS global-settings.mdx): a tenant 0.0.0.0/0 that
    may still admit other addresses makes a narrow own list broad, under either reading."""
    inventory = collect_with(fake_time, pccUserSource=allow_list(True, ["0.0.0.0/0"]))
    evaluation = judge(inventory)
    assert result(evaluation, inventory, "clean: ci deploy", "no-source-restriction") == "pass"
    assert result(evaluation, inventory, "clean: ci deploy", "broad-source-restriction") == "fail"
    finding = next(
        f
        for f in evaluation.findings
        if f.rule_id == "broad-source-restriction"
        and f.credential_id == by_name(inventory, "clean: ci deploy").id
    )
    assert finding.evidence["network_origins"]["0.0.0.0/0"] == ["pccUserSource"]
    assert "credential" in finding.evidence["network_origins"][finding.evidence["allowed_cidrs"][0]]
    # both lists enforced: a possibly-admin key is restricted whichever governs it
    doubtful = "admin scoped to viewer, no CIDR"
    assert result(evaluation, inventory, doubtful, "no-source-restriction") == "pass"
    assert result(evaluation, inventory, doubtful, "broad-source-restriction") == "fail"


def test_the_user_list_alone_may_not_govern_super_administrators(fake_time: FakeTime) -> None:
    """SessionSettings are "per-role IP restrictions": a Super Administrator-level key may be
    governed by the admin list alone, so an enforced user list does not prove it restricted."""
    inventory = collect_with(
        fake_time,
        pccUserSource=allow_list(True, ["10.20.0.0/16"]),
        pccAdminSource=allow_list(False, []),
    )
    evaluation = judge(inventory)
    admin = "admin full, tenant allow list only"
    assert result(evaluation, inventory, admin, "no-source-restriction") == "manual"
    key = by_name(inventory, admin)
    assert key.inherited_restriction is not None
    assert "per-role IP restrictions" in key.inherited_restriction.reason
    assert result(evaluation, inventory, "no CIDR: absent", "no-source-restriction") == "pass"
    # scoped below Super Administrator, owned by one: it may be governed by the admin list
    doubtful = "admin scoped to viewer, no CIDR"
    assert result(evaluation, inventory, doubtful, "no-source-restriction") == "manual"


def test_unreadable_session_settings_are_manual_never_silent(fake_time: FakeTime) -> None:
    inventory = collect(fake_time, SimFaults(deny_session_settings=True))
    assert inventory.coverage.status == "complete"  # the population is whole
    note = next(n for n in inventory.coverage.notes if "session settings" in n)
    assert "permission/c1.api.settings.v1.SessionSettingsService.Get" in note
    assert "refused" in note
    evaluation = judge(inventory)
    for name in ("admin full, tenant allow list only", "no CIDR: absent", "no CIDR: null"):
        assert result(evaluation, inventory, name, "no-source-restriction") == "manual", name
    # keys with their own list are restricted by it; a broad one is broad whatever the tenant's,
    # a narrow one may be widened by a tenant list that could not be read
    assert result(evaluation, inventory, "broad v4 /8", "broad-source-restriction") == "fail"
    assert result(evaluation, inventory, "clean: ci deploy", "no-source-restriction") == "pass"
    assert result(evaluation, inventory, "clean: ci deploy", "broad-source-restriction") == (
        "manual"
    )


def test_an_hr_terminated_owner_enabled_in_conductorone(fake_time: FakeTime) -> None:
    inventory = collect(fake_time)
    key = by_name(inventory, "HR-terminated owner")
    assert key.owner.status == "disabled"
    assert key.owner.status_reason == (
        "employmentStatus is 'Terminated' while the ConductorOne status is 'ENABLED'"
    )
    evaluation = judge(inventory)
    assert result(evaluation, inventory, "HR-terminated owner", "inactive-owner") == "fail"
    finding = next(
        f
        for f in evaluation.findings
        if f.credential_id == key.id and f.rule_id == "inactive-owner"
    )
    assert finding.evidence["owner_kind"] == "USER_TYPE_HUMAN"
    # the values are the tenant's to set: with another list, Terminated is not one of them
    other = collect(
        FakeTime(), options=ConductorOneOptions(inactive_employment_statuses=("Retired",))
    )
    assert by_name(other, "HR-terminated owner").owner.status == "active"


def test_service_and_agent_owners_are_shown(fake_time: FakeTime) -> None:
    inventory = collect(fake_time)
    assert by_name(inventory, "service user key").owner.kind == "USER_TYPE_SERVICE"
    assert by_name(inventory, "agent user key").owner.kind == "USER_TYPE_AGENT"


@pytest.mark.parametrize("seed", [4, 5])
def test_generated_tenants_carry_the_messy_cases(fake_time: FakeTime, seed: int) -> None:
    faults = SimFaults(rate_limit_fraction=0.1, burst_503_every=17, burst_503_length=2)
    sim = make_sim(size=1500, seed=seed, faults=faults)
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    assert_matches_ground_truth(sim, inventory)  # privilege and inherited lists included
    served = {u["id"]: u for u in sim.users.values()}
    hr_left = [
        c
        for c in inventory.credentials
        if c.owner.id in served
        and served[c.owner.id]["status"] == "ENABLED"
        and served[c.owner.id]["directoryStatus"] != "DISABLED"
        and str(served[c.owner.id].get("employmentStatus", "")).strip().lower() == "terminated"
    ]
    assert hr_left
    assert all(c.owner.status == "disabled" for c in hr_left)
    assert all(map_owner_status(served[c.owner.id])[0] == "disabled" for c in hr_left if c.owner.id)
    states = {
        c.inherited_restriction.state for c in inventory.credentials if c.inherited_restriction
    }
    assert states == {"none", "enforced", "unknown"}
    kinds = {c.owner.kind for c in inventory.credentials}
    assert {"USER_TYPE_SERVICE", "USER_TYPE_HUMAN"} <= kinds
    evaluation = judge(inventory)
    assert evaluation.result_counts["privileged-access"].get("fail", 0) > 0


@pytest.mark.parametrize("faults", [None, SimFaults(deny_session_settings=True)])
def test_screens_agree_with_the_reference_on_adapter_output(
    fake_time: FakeTime, faults: SimFaults | None
) -> None:
    """The evaluator's screens skip nothing the slow reference would not pass, on what the
    adapter really produces (shared privilege and restriction objects, every state)."""
    from tests.policies.test_screening import assert_same_as_reference

    sim = make_sim(size=800, seed=9, faults=faults)
    inventory = asyncio.run(provider_for(sim, fake_time).collect())
    for raw in ({}, {"privileged-access": {"conductorone_roles": ["system:viewer", "custom:*"]}}):
        policy = load_policy(raw, tenants=[inventory.coverage.tenant], base_dir=Path())
        assert_same_as_reference([inventory], policy)
