"""Table-driven boundary tests for every built-in rule (docs/architecture.md "Rule catalogue")."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from auditor.kernel.model import Capabilities, Credential
from policies import RULES
from policies.base import Outcome, Params
from tests.policies.helpers import AS_OF, DAYS, NO_CAPS, SECOND, SP_CAPS, cred


def run(rule_id: str, credential: Credential, params: Params | None = None) -> Outcome | None:
    rule = RULES[rule_id]
    outcome = rule.evaluate(credential, rule.context(AS_OF, params))
    if outcome is not None:
        json.dumps(outcome[2])  # evidence is JSON-able
    return outcome


def status(rule_id: str, credential: Credential, params: Params | None = None) -> str:
    outcome = run(rule_id, credential, params)
    return "pass" if outcome is None else outcome[0]


def params(rule_id: str, **values: Any) -> Params:
    model: type[Params] = RULES[rule_id].params_model
    return model.model_validate(values)


PLUS_2 = timezone(timedelta(hours=2))
MINUS_7 = timezone(timedelta(hours=-7))

STALE_CASES = [
    ("used yesterday", {"last_used_at": AS_OF - DAYS}, "pass"),
    ("exactly 90 days", {"last_used_at": AS_OF - 90 * DAYS}, "pass"),
    ("90 days + 1 s", {"last_used_at": AS_OF - 90 * DAYS - SECOND}, "fail"),
    ("90 days + 1 µs", {"last_used_at": AS_OF - 90 * DAYS - timedelta(microseconds=1)}, "fail"),
    ("+02:00 at the boundary", {"last_used_at": (AS_OF - 90 * DAYS).astimezone(PLUS_2)}, "pass"),
    (
        "-07:00 one second past",
        {"last_used_at": (AS_OF - 90 * DAYS - SECOND).astimezone(MINUS_7).isoformat()},
        "fail",
    ),
    (
        "never used is never-used's",
        {"last_used_at": None, "created_at": AS_OF - 900 * DAYS},
        "pass",
    ),
    ("vendor cannot tell", {"capabilities": NO_CAPS, "last_used_at": None}, "not_applicable"),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in STALE_CASES], ids=[c[0] for c in STALE_CASES]
)
def test_stale_boundaries(fields: dict[str, Any], expected: str) -> None:
    assert status("stale", cred(**fields)) == expected


def test_stale_message_and_evidence() -> None:
    outcome = run("stale", cred(last_used_at=AS_OF - 214 * DAYS))
    assert outcome == (
        "fail",
        "last used 214 days ago; limit 90 days",
        {
            "last_used_at": "2026-04-01T12:00:00Z",
            "as_of": "2026-11-01T12:00:00Z",
            "idle_seconds": 214 * 86400,
            "max_idle_days": 90,
            "last_used_granularity_seconds": 0,
            "granularity_tolerance": False,
        },
    )


def test_stale_one_second_past_spells_out_the_remainder() -> None:
    outcome = run("stale", cred(last_used_at=AS_OF - 90 * DAYS - SECOND))
    assert outcome is not None
    assert outcome[1] == "last used 90 days and 00:00:01 ago; limit 90 days"


@pytest.mark.parametrize(
    ("idle", "tolerance", "expected"),
    [
        (90 * DAYS + SECOND, False, "fail"),
        (90 * DAYS + SECOND, True, "pass"),
        (91 * DAYS, True, "pass"),
        (91 * DAYS + SECOND, True, "fail"),
    ],
)
def test_stale_sailpoint_daily_granularity(idle: timedelta, tolerance: bool, expected: str) -> None:
    credential = cred(provider="sailpoint", tenant="acme-isc", last_used_at=AS_OF - idle)
    assert credential.capabilities == SP_CAPS
    assert status("stale", credential, params("stale", granularity_tolerance=tolerance)) == expected


def test_stale_tolerance_is_in_the_message() -> None:
    credential = cred(provider="sailpoint", last_used_at=AS_OF - 100 * DAYS)
    outcome = run("stale", credential, params("stale", granularity_tolerance=True))
    assert outcome is not None
    assert outcome[1] == (
        "last used 100 days ago (recorded at most daily); limit 90 days + 1 day tolerance"
    )


def test_stale_sailpoint_message_mentions_daily_recording() -> None:
    outcome = run("stale", cred(provider="sailpoint", last_used_at=AS_OF - 100 * DAYS))
    assert outcome is not None
    assert outcome[1] == "last used 100 days ago (recorded at most daily); limit 90 days"
    assert outcome[2]["last_used_granularity_seconds"] == 86400


def test_stale_threshold_is_a_parameter() -> None:
    credential = cred(last_used_at=AS_OF - 46 * DAYS)
    assert status("stale", credential, params("stale", max_idle_days=45)) == "fail"
    assert status("stale", credential, params("stale", max_idle_days=46)) == "pass"


def recorded_since(since: datetime) -> Capabilities:
    return SP_CAPS.model_copy(update={"last_used_since": since})


SINCE = AS_OF - 200 * DAYS
# A vendor that records last use only since SINCE (SailPoint: 2023-02-02): a credential created
# before it with no recorded use is idle at least since SINCE: stale's, not never-used's.
# (fields, stale, never-used)
RECORDED_SINCE_CASES = [
    ("created 1 s before recording began", {"created_at": SINCE - SECOND}, "fail", "pass"),
    ("created as recording began", {"created_at": SINCE}, "pass", "fail"),
    ("created after", {"created_at": SINCE + DAYS}, "pass", "fail"),
    ("creation unknown", {"created_at": None}, "pass", "manual"),
    (  # idle between 90 and 900 days: maybe used just before recording began
        "recording began exactly 90 days ago",
        {"created_at": AS_OF - 900 * DAYS, "since": AS_OF - 90 * DAYS},
        "manual",
        "pass",
    ),
    (  # idle at most 90 days, whatever happened before recording began
        "created exactly 90 days ago, recording began after",
        {"created_at": AS_OF - 90 * DAYS, "since": AS_OF - 30 * DAYS},
        "pass",
        "pass",
    ),
    (
        "created 90 days + 1 s ago, recording began after",
        {"created_at": AS_OF - 90 * DAYS - SECOND, "since": AS_OF - 30 * DAYS},
        "manual",
        "pass",
    ),
    (
        "recording began 90 days + 1 s ago",
        {"created_at": AS_OF - 900 * DAYS, "since": AS_OF - 90 * DAYS - SECOND},
        "fail",
        "pass",
    ),
    (
        "used since then: the recorded use decides",
        {"created_at": SINCE - DAYS, "last_used_at": AS_OF - DAYS},
        "pass",
        "pass",
    ),
]


@pytest.mark.parametrize(
    ("fields", "stale", "never_used"),
    [c[1:] for c in RECORDED_SINCE_CASES],
    ids=[c[0] for c in RECORDED_SINCE_CASES],
)
def test_use_recorded_only_since_an_instant(
    fields: dict[str, Any], stale: str, never_used: str
) -> None:
    data = {"last_used_at": None, **fields}
    credential = cred(capabilities=recorded_since(data.pop("since", SINCE)), **data)
    assert (status("stale", credential), status("never-used", credential)) == (stale, never_used)


def test_stale_message_for_use_never_recorded() -> None:
    credential = cred(
        capabilities=recorded_since(SINCE), created_at=SINCE - 400 * DAYS, last_used_at=None
    )
    outcome = run("stale", credential)
    assert outcome is not None
    assert outcome[1] == (
        f"no use recorded since the vendor began recording last use on {SINCE:%Y-%m-%d} "
        f"(created {SINCE - 400 * DAYS:%Y-%m-%d}, before that): idle for at least 200 days, "
        "not never used; limit 90 days"
    )
    assert outcome[2]["last_used_at"] is None
    assert outcome[2]["last_used_recorded_since"] == "2026-04-15T12:00:00Z"
    assert outcome[2]["idle_seconds"] == 200 * 86400


NEVER_USED_CASES = [
    ("created exactly 14 days ago", {"created_at": AS_OF - 14 * DAYS}, "pass"),
    ("14 days + 1 s", {"created_at": AS_OF - 14 * DAYS - SECOND}, "fail"),
    (
        "+02:00 offset one second past",
        {"created_at": (AS_OF - 14 * DAYS - SECOND).astimezone(PLUS_2)},
        "fail",
    ),
    ("used once", {"created_at": AS_OF - 400 * DAYS, "last_used_at": AS_OF - 300 * DAYS}, "pass"),
    ("creation unknown", {"created_at": None}, "manual"),
    ("vendor cannot tell", {"capabilities": NO_CAPS}, "not_applicable"),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in NEVER_USED_CASES], ids=[c[0] for c in NEVER_USED_CASES]
)
def test_never_used_boundaries(fields: dict[str, Any], expected: str) -> None:
    data = {"last_used_at": None, **fields}
    assert status("never-used", cred(**data)) == expected


def test_never_used_message() -> None:
    outcome = run("never-used", cred(last_used_at=None, created_at=AS_OF - 40 * DAYS))
    assert outcome is not None
    assert outcome[1] == "never used; created 40 days ago; grace period 14 days"
    assert outcome[2]["created_at"] == "2026-09-22T12:00:00Z"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"expires_at": None}, "fail"),
        ({"expires_at": AS_OF + DAYS}, "pass"),
        ({"expires_at": AS_OF - DAYS}, "pass"),
        ({"expires_at": None, "capabilities": NO_CAPS}, "not_applicable"),
    ],
)
def test_no_expiry(fields: dict[str, Any], expected: str) -> None:
    assert status("no-expiry", cred(**fields)) == expected


LIFETIME_CASES = [
    (
        "exactly 365 days",
        {"created_at": AS_OF - 300 * DAYS, "expires_at": AS_OF + 65 * DAYS},
        "pass",
    ),
    (
        "365 days + 1 s",
        {"created_at": AS_OF - 300 * DAYS, "expires_at": AS_OF + 65 * DAYS + SECOND},
        "fail",
    ),
    (
        "offsets do not change the span",
        {
            "created_at": (AS_OF - 300 * DAYS).astimezone(PLUS_2),
            "expires_at": (AS_OF + 65 * DAYS).astimezone(MINUS_7),
        },
        "pass",
    ),
    ("no expiry is no-expiry's", {"created_at": AS_OF - 900 * DAYS, "expires_at": None}, "pass"),
    ("creation unknown", {"created_at": None, "expires_at": AS_OF + DAYS}, "manual"),
    ("vendor cannot tell", {"capabilities": NO_CAPS}, "not_applicable"),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [c[1:] for c in LIFETIME_CASES], ids=[c[0] for c in LIFETIME_CASES]
)
def test_long_lifetime_boundaries(fields: dict[str, Any], expected: str) -> None:
    assert status("long-lifetime", cred(**fields)) == expected


def test_long_lifetime_message() -> None:
    outcome = run(
        "long-lifetime", cred(created_at=AS_OF - 100 * DAYS, expires_at=AS_OF + 630 * DAYS)
    )
    assert outcome is not None
    assert outcome[1] == (
        "lifetime 730 days (created 2026-07-24T12:00:00Z, expires 2028-07-23T12:00:00Z); "
        "limit 365 days"
    )


EXPIRY_CASES = [
    ("expires exactly at as-of", AS_OF, "fail", "pass"),
    ("expired a second ago", AS_OF - SECOND, "fail", "pass"),
    ("expires in one second", AS_OF + SECOND, "pass", "fail"),
    ("expires in exactly 14 days", AS_OF + 14 * DAYS, "pass", "fail"),
    ("expires in 14 days + 1 s", AS_OF + 14 * DAYS + SECOND, "pass", "pass"),
    ("+02:00 offset in 14 days", (AS_OF + 14 * DAYS).astimezone(PLUS_2), "pass", "fail"),
    ("never expires", None, "pass", "pass"),
]


@pytest.mark.parametrize(
    ("expires", "expired", "soon"), [c[1:] for c in EXPIRY_CASES], ids=[c[0] for c in EXPIRY_CASES]
)
def test_expired_and_expiring_soon_split_the_timeline(
    expires: Any, expired: str, soon: str
) -> None:
    credential = cred(created_at=AS_OF - 10 * DAYS, expires_at=expires)
    assert status("expired", credential) == expired
    assert status("expiring-soon", credential) == soon


def test_expired_deleted_credential_passes() -> None:
    credential = cred(expires_at=AS_OF - DAYS, deleted_at=AS_OF - SECOND)
    assert status("expired", credential) == "pass"


def test_expiry_rules_not_applicable_without_capability() -> None:
    credential = cred(capabilities=NO_CAPS, expires_at=AS_OF)
    assert status("expired", credential) == "not_applicable"
    assert status("expiring-soon", credential) == "not_applicable"


def test_expiring_soon_message() -> None:
    outcome = run("expiring-soon", cred(expires_at=AS_OF + 3 * DAYS))
    assert outcome is not None
    assert outcome[1] == "expires in 3 days (2026-11-04T12:00:00Z); warning window 14 days"
    outcome = run("expiring-soon", cred(expires_at=AS_OF + timedelta(hours=5)))
    assert outcome is not None
    assert outcome[1].startswith("expires in 0 days and 05:00:00 (")


def test_expired_message() -> None:
    outcome = run("expired", cred(expires_at=AS_OF - 12 * DAYS))
    assert outcome is not None
    assert outcome[1] == "expired 12 days ago (2026-10-20T12:00:00Z) but still exists"


@pytest.mark.parametrize(
    ("provider", "cidrs", "no_source", "broad"),
    [
        ("conductorone", (), "fail", "pass"),
        ("conductorone", ("10.1.0.0/16",), "pass", "pass"),
        ("conductorone", ("10.0.0.0/15",), "pass", "fail"),
        ("conductorone", ("0.0.0.0/0",), "pass", "fail"),
        ("conductorone", ("2001:db8::/48",), "pass", "pass"),
        ("conductorone", ("2001:db8::/47",), "pass", "fail"),
        ("conductorone", ("::/0",), "pass", "fail"),
        ("conductorone", ("10.1.2.3/32", "10.0.0.0/8"), "pass", "fail"),
        ("sailpoint", (), "not_applicable", "not_applicable"),
    ],
)
def test_source_restriction_rules(
    provider: str, cidrs: tuple[str, ...], no_source: str, broad: str
) -> None:
    credential = cred(provider=provider, allowed_cidrs=cidrs)
    assert status("no-source-restriction", credential) == no_source
    assert status("broad-source-restriction", credential) == broad


def test_broad_source_message_and_parameters() -> None:
    credential = cred(allowed_cidrs=("10.1.2.3/32", "10.0.0.0/8"))
    outcome = run("broad-source-restriction", credential)
    assert outcome is not None
    assert (
        outcome[1] == "1 of 2 allowed networks are wider than /16 (IPv4) or /48 (IPv6): 10.0.0.0/8"
    )
    assert outcome[2]["too_broad"] == ["10.0.0.0/8"]
    narrow = params("broad-source-restriction", min_prefix_v4=8)
    assert status("broad-source-restriction", credential, narrow) == "pass"


def test_not_applicable_outcome_names_the_capability() -> None:
    outcome = run("no-source-restriction", cred(provider="sailpoint"))
    assert outcome == (
        "not_applicable",
        "sailpoint cannot express this (network_restriction not supported)",
        {"capability": "network_restriction", "provider": "sailpoint"},
    )


@pytest.mark.parametrize(
    ("mode", "expected"), [("full", "fail"), ("scoped", "pass"), ("unknown", "manual")]
)
def test_full_owner_access(mode: str, expected: str) -> None:
    assert status("full-owner-access", cred(scope_mode=mode, scopes=())) == expected


OWNER_CASES = [
    ("active", "pass", "pass"),
    ("disabled", "fail", "pass"),
    ("deleted", "fail", "pass"),
    ("not_found", "fail", "pass"),
    ("unknown", "manual", "manual"),
]


@pytest.mark.parametrize(("owner_status", "inactive", "unverified"), OWNER_CASES)
def test_owner_rules(owner_status: str, inactive: str, unverified: str) -> None:
    credential = cred(owner={"status": owner_status})
    assert status("inactive-owner", credential) == inactive
    assert status("owner-unverified", credential) == unverified


def test_inactive_owner_message() -> None:
    outcome = run("inactive-owner", cred(owner={"status": "disabled"}))
    assert outcome == (
        "fail",
        "owner Jane (u1) is disabled",
        {"owner_id": "u1", "owner_status": "disabled"},
    )


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
    from policies.rules.privileged_defaults import DEFAULT_SAILPOINT_SCOPES

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
