"""``privileged-access``: table-driven tests at the exact boundaries, its message and evidence."""

from __future__ import annotations

import pytest

from tests.policies.helpers import SP_CAPS, cred
from tests.policies.rules.common import params, run, status

C1 = "conductorone"


SP = "sailpoint"


PRIVILEGED_CASES = [
    ("c1 full, owner is super admin", C1, "full", (), "active", ("system:owner",), "fail"),
    ("c1 full, owner is basic user", C1, "full", (), "active", ("system:user",), "pass"),
    (
        "c1 scoped owner role, owner holds it",
        C1,
        "scoped",
        ("system:owner",),
        "active",
        ("system:owner",),
        "fail",
    ),
    (
        "c1 scoped owner role, owner lacks it",
        C1,
        "scoped",
        ("system:owner",),
        "active",
        ("system:user",),
        "pass",
    ),
    (
        "c1 scoped basic, owner super admin",
        C1,
        "scoped",
        ("system:user",),
        "active",
        ("system:owner",),
        "pass",
    ),
    ("c1 scoped basic, owner unknown", C1, "scoped", ("system:user",), "unknown", (), "pass"),
    (
        "c1 scoped owner role, owner unknown",
        C1,
        "scoped",
        ("system:owner",),
        "unknown",
        (),
        "manual",
    ),
    ("c1 full, owner unknown", C1, "full", (), "unknown", (), "manual"),
    ("c1 full, owner not found", C1, "full", (), "not_found", (), "manual"),
    ("c1 scope unknown", C1, "unknown", (), "active", ("system:owner",), "manual"),
    (
        "sp privileged scope",
        SP,
        "scoped",
        ("sp:search:read", "idn:sources:manage"),
        "active",
        (),
        "fail",
    ),
    ("sp read scopes", SP, "scoped", ("sp:search:read",), "active", (), "pass"),
    ("sp full, owner level unknown", SP, "full", ("sp:scopes:all",), "active", (), "manual"),
    ("sp full, owner ORG_ADMIN", SP, "full", ("sp:scopes:all",), "active", ("ORG_ADMIN",), "fail"),
    ("sp full, owner plain user", SP, "full", ("sp:scopes:all",), "active", ("USER",), "pass"),
    # the level is read apart from the owner's status: a known level decides without it
    ("sp full, status unknown, level read", SP, "full", (), "unknown", ("ORG_ADMIN",), "fail"),
    ("sp full, status unknown, plain user", SP, "full", (), "unknown", ("USER",), "pass"),
    ("sp full, owner not found", SP, "full", (), "not_found", (), "manual"),
    # every default privileged level fails; a pass needs every level known to be unprivileged
    ("sp full, HELPDESK", SP, "full", (), "active", ("HELPDESK",), "fail"),
    ("sp full, SOURCE_ADMIN", SP, "full", (), "active", ("SOURCE_ADMIN",), "fail"),
    ("sp full, SOURCE_SUBADMIN", SP, "full", (), "active", ("SOURCE_SUBADMIN",), "fail"),
    (
        "sp full, CERT_ADMIN and ORG_ADMIN",
        SP,
        "full",
        (),
        "active",
        ("CERT_ADMIN", "ORG_ADMIN"),
        "fail",
    ),
    ("sp full, CERT_ADMIN", SP, "full", (), "active", ("CERT_ADMIN",), "manual"),
    (
        "sp full, USER and REPORT_ADMIN",
        SP,
        "full",
        (),
        "active",
        ("USER", "REPORT_ADMIN"),
        "manual",
    ),
    ("sp full, a level added later", SP, "full", (), "active", ("FUTURE_SUPERUSER",), "manual"),
    ("sp full, case differs", SP, "full", (), "active", ("org_admin",), "manual"),
]


@pytest.mark.parametrize(
    ("provider", "mode", "scopes", "owner_status", "roles", "expected"),
    [c[1:] for c in PRIVILEGED_CASES],
    ids=[c[0] for c in PRIVILEGED_CASES],
)
def test_privileged_access(
    provider: str,
    mode: str,
    scopes: tuple[str, ...],
    owner_status: str,
    roles: tuple[str, ...],
    expected: str,
) -> None:
    credential = cred(
        provider=provider,
        scope_mode=mode,
        scopes=scopes,
        owner={"status": owner_status, "roles": list(roles)},
    )
    assert status("privileged-access", credential) == expected


def test_privileged_access_message_and_configurable_roles() -> None:
    credential = cred(scope_mode="full", scopes=(), owner={"roles": ["system:viewer"]})
    assert status("privileged-access", credential) == "pass"
    custom = params("privileged-access", conductorone_roles=["system:owner", "system:view*"])
    outcome = run("privileged-access", credential, custom)
    assert outcome is not None
    assert outcome[0] == "fail"
    assert outcome[1] == (
        "effective roles (all owner roles (not scoped)) include 1 privileged role(s): system:viewer"
    )
    assert outcome[2]["privileged"] == ["system:viewer"]


# A privileged scope the owner's user level cannot exercise (Credential.unusable_scopes, set by
# the adapter from the spec's user levels) is latent: manual, never a critical fail or a pass.
LATENT_CASES = [
    ("no level read: listed scopes count", ("idn:sources:manage",), (), (), "fail"),
    ("the one privileged scope latent", ("idn:sources:manage",), ("idn:sources:manage",),
     ("USER",), "manual"),
    ("one latent, one effective", ("idn:sources:manage", "sp:oauth-client:manage"),
     ("idn:sources:manage",), ("USER",), "fail"),
    ("latent but not privileged", ("sp:search:read",), ("sp:search:read",), ("USER",), "pass"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("scopes", "unusable", "levels", "expected"),
    [c[1:] for c in LATENT_CASES],
    ids=[c[0] for c in LATENT_CASES],
)
def test_privileged_scopes_the_owner_level_cannot_exercise(
    scopes: tuple[str, ...], unusable: tuple[str, ...], levels: tuple[str, ...], expected: str
) -> None:
    credential = cred(
        provider="sailpoint",
        capabilities=SP_CAPS,
        scope_mode="scoped",
        scopes=scopes,
        unusable_scopes=unusable,
        owner={"roles": list(levels)},
    )
    assert status("privileged-access", credential) == expected


def test_latent_privileged_scope_message() -> None:
    credential = cred(
        provider="sailpoint",
        capabilities=SP_CAPS,
        scope_mode="scoped",
        scopes=("idn:sources:manage", "idn:accounts:manage", "sp:oauth-client:manage"),
        unusable_scopes=("idn:sources:manage", "idn:accounts:manage"),
        owner={"roles": ["USER"]},
    )
    outcome = run("privileged-access", credential)
    assert outcome is not None
    assert outcome[:2] == (
        "fail",
        "1 privileged scope(s) granted (effective where the owner's user level holds them): "
        "sp:oauth-client:manage; 2 more the owner's level cannot exercise",
    )
    assert outcome[2]["latent"] == ["idn:sources:manage", "idn:accounts:manage"]
    latent = credential.model_copy(update={"scopes": credential.unusable_scopes})
    outcome = run("privileged-access", latent)
    assert outcome is not None
    assert outcome[:2] == (
        "manual",
        "2 privileged scope(s) granted that the owner's user level(s) USER cannot exercise (the "
        "vendor's documented levels), so they grant nothing today: idn:sources:manage, "
        "idn:accounts:manage; they take effect if the owner's level is raised: narrow the scope",
    )


def test_default_privileged_scopes_have_a_source() -> None:
    from providers.sailpoint.privileged_defaults import DEFAULT_SAILPOINT_SCOPES

    assert params("privileged-access").model_dump()["sailpoint_scopes"] == list(
        DEFAULT_SAILPOINT_SCOPES
    )
    # the old defaults, scope names that no spec version has, are gone
    for missing in ("idn:auth-org:manage", "idn:oauth-client:manage", "idn:workflow:manage"):
        assert missing not in DEFAULT_SAILPOINT_SCOPES


def test_sailpoint_privileged_scopes_are_configurable() -> None:
    credential = cred(provider="sailpoint", scopes=("idn:access-request:manage",))
    assert status("privileged-access", credential) == "pass"
    custom = params("privileged-access", sailpoint_scopes=["idn:*:manage"])
    assert status("privileged-access", credential, custom) == "fail"


@pytest.mark.parametrize(
    ("mode", "scopes", "owner_roles", "unresolved", "expected"),
    [
        # the role catalogue was unreadable: the owner's role ids never match "system:owner"
        ("full", (), ("2Pq9roleidroleidroleidrole1",), ("2Pq9roleidroleidroleidrole1",), "manual"),
        (
            "scoped",
            ("2Pq9roleidroleidroleidrole1",),
            (),
            ("2Pq9roleidroleidroleidrole1",),
            "manual",
        ),
        # scoped to a resolved, non-privileged role: unresolved owner roles cannot widen it
        ("scoped", ("system:user",), ("R9",), ("R9",), "pass"),
        # scoped to system:owner; the owner may hold it under the unresolved id R9
        ("scoped", ("system:owner",), ("R9",), ("R9",), "manual"),
        # a privileged role that did resolve still fails, whatever else is unresolved
        ("full", (), ("system:owner", "R9"), ("R9",), "fail"),
        ("full", (), ("system:user",), (), "pass"),
    ],
)
def test_privileged_access_with_unresolved_role_ids(
    mode: str,
    scopes: tuple[str, ...],
    owner_roles: tuple[str, ...],
    unresolved: tuple[str, ...],
    expected: str,
) -> None:
    credential = cred(
        provider=C1,
        scope_mode=mode,
        scopes=scopes,
        owner={"status": "active", "roles": list(owner_roles)},
        unresolved_roles=unresolved,
    )
    assert status("privileged-access", credential) == expected
