"""Rules on effective facts: computed privilege, inherited allow lists, owner status reasons.

Issue 13: a key's power is its effective permissions (not role ids), its network restriction is
the effective one (its own list, else a tenant list that applies), and an owner whose HR record
says they left is inactive though the vendor still shows them enabled.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.kernel.model import EffectivePrivilege, InheritedRestriction
from tests.policies.helpers import cred
from tests.policies.rules.common import params, run, status

SA = ("system:owner", "system:viewer", "system:user")
VIEWER = ("system:viewer", "system:api-logs-viewer")


def priv(roles: tuple[str, ...], max_roles: tuple[str, ...] | None = ()) -> EffectivePrivilege:
    bound = None if max_roles is None else tuple(dict.fromkeys(roles + max_roles))
    return EffectivePrivilege(roles=roles, max_roles=bound, permissions=7, basis="b")


PRIVILEGED_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # the owner holds only a custom role with all of Super Administrator's permissions: role ids
    # say "no privileged role", permissions say Super Administrator
    (
        "full key of a break-glass owner",
        {"scope_mode": "full", "scopes": (), "privilege": priv(SA)},
        {"roles": ["custom:break-glass"]},
        "fail",
    ),
    (
        "Basic User's key scoped to Super Administrator",
        {"scopes": ("system:owner",), "privilege": priv(("system:user",))},
        {"roles": ["system:user"]},
        "pass",
    ),
    # names say system:owner ∩ {custom:break-glass} = {}, permissions say otherwise
    (
        "break-glass owner's key scoped to Super Administrator",
        {"scopes": ("system:owner",), "privilege": priv(SA)},
        {"roles": ["custom:break-glass"]},
        "fail",
    ),
    (
        "owner unknown, scoped to Read-Only: bounded below Super Administrator",
        {"scopes": ("system:viewer",), "privilege": priv((), VIEWER)},
        {"status": "unknown", "roles": []},
        "pass",
    ),
    (
        "owner unknown, full: no bound",
        {"scope_mode": "full", "scopes": (), "privilege": priv((), None)},
        {"status": "unknown", "roles": []},
        "manual",
    ),
    (
        "may hold Super Administrator, not certain",
        {"scopes": ("system:viewer", "R9"), "privilege": priv(VIEWER, ("system:owner",))},
        {"roles": ["system:owner"]},
        "manual",
    ),
    (
        "scope unknown stays manual",
        {"scope_mode": "unknown", "scopes": (), "privilege": priv(())},
        {},
        "manual",
    ),
]


@pytest.mark.parametrize(
    ("fields", "owner", "expected"),
    [c[1:] for c in PRIVILEGED_CASES],
    ids=[c[0] for c in PRIVILEGED_CASES],
)
def test_privileged_access_judges_effective_permissions(
    fields: dict[str, Any], owner: dict[str, Any], expected: str
) -> None:
    assert status("privileged-access", cred(owner=owner, **fields)) == expected


def test_a_super_administrators_key_scoped_to_read_only_holds_read_only() -> None:
    """The issue's example: role ids do not intersect (the owner does not hold the viewer id),
    the permissions do; with Read-Only Administrator counted as privileged, the key fails."""
    credential = cred(
        scopes=("system:viewer",),
        owner={"roles": ["system:owner", "system:user"]},
        privilege=priv(VIEWER),
    )
    assert status("privileged-access", credential) == "pass"  # default: system:owner only
    viewer = params("privileged-access", conductorone_roles=["system:owner", "system:viewer"])
    outcome = run("privileged-access", credential, viewer)
    assert outcome is not None
    assert outcome[0] == "fail"
    assert outcome[1] == (
        "its 7 effective permissions include every permission of 1 privileged role(s): "
        "system:viewer (b)"
    )
    assert outcome[2]["effective_roles"] == list(VIEWER)
    assert outcome[2]["effective_permissions"] == 7
    assert outcome[2]["privileged"] == ["system:viewer"]


def test_manual_evidence_names_what_may_be_held() -> None:
    credential = cred(owner={"kind": "USER_TYPE_SERVICE"}, privilege=priv((), SA))
    outcome = run("privileged-access", credential)
    assert outcome is not None
    assert outcome[0] == "manual"
    assert outcome[1] == "may hold privileged role(s) system:owner: b"
    assert outcome[2]["possibly_privileged"] == ["system:owner"]
    assert outcome[2]["owner_kind"] == "USER_TYPE_SERVICE"


def inherited(state: str, *cidrs: str) -> InheritedRestriction:
    return InheritedRestriction(state=state, cidrs=cidrs, origin="tenant list X", reason="why")


MINE = ("10.1.2.0/24",)
NETWORK_CASES: list[tuple[str, tuple[str, ...], InheritedRestriction | None, str, str]] = [
    ("no list anywhere", (), None, "fail", "pass"),
    ("tenant list applies to none", (), inherited("none"), "fail", "pass"),
    (
        "restricted only by the tenant, narrow",
        (),
        inherited("enforced", "10.1.0.0/16"),
        "pass",
        "pass",
    ),
    (
        "restricted only by the tenant, /15",
        (),
        inherited("enforced", "10.0.0.0/15"),
        "pass",
        "fail",
    ),
    ("tenant v6 /48", (), inherited("enforced", "2001:db8::/48"), "pass", "pass"),
    ("tenant v6 /47", (), inherited("enforced", "2001:db8::/47"), "pass", "fail"),
    ("tenant list enforced and empty: blocks all", (), inherited("enforced"), "pass", "pass"),
    ("tenant settings unreadable", (), inherited("unknown"), "manual", "manual"),
    # a list of its own restricts it; its breadth is judged with every tenant list that may
    # apply ("evaluated first" does not say the tenant lists stop admitting other addresses)
    ("own list, tenant unknown", ("10.1.2.0/24",), inherited("unknown"), "pass", "manual"),
    ("own broad list, tenant unknown", ("10.0.0.0/8",), inherited("unknown"), "pass", "fail"),
    (
        "own broad list, tenant narrow",
        ("0.0.0.0/0",),
        inherited("enforced", "10.1.0.0/16"),
        "pass",
        "fail",
    ),
    # the review's case: a narrow own list does not hide a tenant 0.0.0.0/0
    ("own narrow, tenant any", MINE, inherited("enforced", "0.0.0.0/0"), "pass", "fail"),
    ("own narrow, tenant /16", MINE, inherited("enforced", "10.2.0.0/16"), "pass", "pass"),
    ("own narrow, tenant /15", MINE, inherited("enforced", "10.2.0.0/15"), "pass", "fail"),
    ("own narrow, tenant v6 /47", MINE, inherited("enforced", "2001:db8::/47"), "pass", "fail"),
    ("own narrow, tenant empty", MINE, inherited("enforced"), "pass", "pass"),
    ("own narrow, tenant none", MINE, inherited("none"), "pass", "pass"),
    ("own narrow, no tenant data", MINE, None, "pass", "pass"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("own", "tenant", "no_source", "broad"),
    [c[1:] for c in NETWORK_CASES],
    ids=[c[0] for c in NETWORK_CASES],
)
def test_network_rules_judge_the_effective_restriction(
    own: tuple[str, ...], tenant: InheritedRestriction | None, no_source: str, broad: str
) -> None:
    credential = cred(allowed_cidrs=own, inherited_restriction=tenant)
    assert status("no-source-restriction", credential) == no_source
    assert status("broad-source-restriction", credential) == broad


def test_network_evidence_says_where_the_list_comes_from() -> None:
    outcome = run(
        "broad-source-restriction",
        cred(allowed_cidrs=(), inherited_restriction=inherited("enforced", "10.0.0.0/8")),
    )
    assert outcome is not None
    assert outcome[1].endswith("10.0.0.0/8 (inherited from tenant list X)")
    assert outcome[2]["origin"] == "tenant list X"
    own = run("broad-source-restriction", cred(allowed_cidrs=("10.0.0.0/8",)))
    assert own is not None
    assert own[2]["origin"] == "credential"
    assert "network_origins" not in own[2]
    both = run(
        "broad-source-restriction",
        cred(
            allowed_cidrs=("10.1.2.0/24",),
            inherited_restriction=InheritedRestriction(
                state="enforced",
                cidrs=("0.0.0.0/0", "10.1.2.0/24"),
                origin="tenant session settings (pccUserSource and pccAdminSource)",
                lists=(("pccUserSource", ("0.0.0.0/0",)), ("pccAdminSource", ("10.1.2.0/24",))),
            ),
        ),
    )
    assert both is not None
    assert both[1] == (
        "1 of 2 allowed networks are wider than /16 (IPv4) or /48 (IPv6): 0.0.0.0/0 (its own "
        "list and, as they may apply alongside it, tenant session settings (pccUserSource and "
        "pccAdminSource))"
    )
    assert both[2]["allowed_cidrs"] == ["10.1.2.0/24", "0.0.0.0/0"]
    assert both[2]["network_origins"] == {
        "10.1.2.0/24": ["credential", "pccAdminSource"],
        "0.0.0.0/0": ["pccUserSource"],
    }
    unsure = run(
        "broad-source-restriction",
        cred(allowed_cidrs=("10.1.2.0/24",), inherited_restriction=inherited("unknown")),
    )
    assert unsure is not None and unsure[0] == "manual"
    assert unsure[1] == (
        "its own networks are narrow, but tenant allow lists that may apply alongside them are "
        "unknown: why"
    )
    unknown = run(
        "no-source-restriction", cred(allowed_cidrs=(), inherited_restriction=inherited("unknown"))
    )
    assert unknown is not None
    assert unknown[1].endswith("is unknown: why")


def test_inactive_owner_shows_the_reason_and_kind() -> None:
    owner = {
        "status": "disabled",
        "status_reason": (
            "employmentStatus is 'Terminated' while the ConductorOne status is 'ENABLED'"
        ),
        "kind": "USER_TYPE_AGENT",
    }
    outcome = run("inactive-owner", cred(owner=owner))
    assert outcome == (
        "fail",
        "owner Jane (u1) is disabled (employmentStatus is 'Terminated' while the ConductorOne "
        "status is 'ENABLED')",
        {
            "owner_id": "u1",
            "owner_status": "disabled",
            "owner_status_reason": owner["status_reason"],
            "owner_kind": "USER_TYPE_AGENT",
        },
    )
