from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.sailpoint.records import CAPABILITIES, RecordProblem, parse_pat, scope_mode
from providers.sailpoint.simfaults import corrupt

# The v2025 schema's per-field examples, assembled (docs/vendors/sailpoint.md §2.6)
V2025 = {
    "id": "86f1dc6fe8f54414950454cbb11278fa",
    "name": "NodeJS Integration",
    "scope": ["demo:personal-access-token-scope:first", "demo:personal-access-token-scope:second"],
    "owner": {"type": "IDENTITY", "id": "2c9180a46faadee4016fb4e018c20639", "name": "Support"},
    "created": "2017-07-11T18:45:37.098Z",
    "lastUsed": "2017-07-11T18:45:37.098Z",
    "managed": False,
    "accessTokenValiditySeconds": 36900,
    "expirationDate": "2026-12-31T23:59:59.999Z",
    "userAwareTokenNeverExpires": False,
}


def test_full_v2025_record_maps_every_field() -> None:
    cred = parse_pat(V2025, tenant="acme")
    assert cred.id == cred.client_id == "86f1dc6fe8f54414950454cbb11278fa"
    assert cred.name == "NodeJS Integration"
    assert cred.owner.id == "2c9180a46faadee4016fb4e018c20639"
    assert cred.owner.name == "Support"
    assert cred.owner.status == "unknown"
    assert cred.created_at == datetime(2017, 7, 11, 18, 45, 37, 98000, tzinfo=UTC)
    assert cred.last_used_at == datetime(2017, 7, 11, 18, 45, 37, 98000, tzinfo=UTC)
    assert cred.expires_at == datetime(2026, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert cred.scopes == tuple(V2025["scope"])  # type: ignore[arg-type]
    assert cred.scope_mode == "scoped"
    assert cred.allowed_cidrs == ()
    assert cred.managed is False
    assert cred.access_token_ttl_seconds == 36900
    assert cred.updated_at is None and cred.deleted_at is None
    assert cred.capabilities == CAPABILITIES
    assert CAPABILITIES.network_restriction is False
    assert CAPABILITIES.last_used_granularity_seconds == 86400
    assert cred.notes == ()


def test_old_v3_record_without_optional_fields_never_expires() -> None:
    raw = {k: V2025[k] for k in ("id", "name", "scope", "owner", "created")}
    raw["created"] = "2023-01-04T18:58:17.486584Z"  # microseconds, as in the docs example
    cred = parse_pat(raw, tenant="acme")
    assert cred.expires_at is None
    assert cred.last_used_at is None
    assert cred.managed is False
    assert cred.access_token_ttl_seconds is None
    assert cred.created_at == datetime(2023, 1, 4, 18, 58, 17, 486584, tzinfo=UTC)


def test_null_expiration_with_acknowledgement_is_noted() -> None:
    raw = {**V2025, "expirationDate": None, "userAwareTokenNeverExpires": True}
    cred = parse_pat(raw, tenant="acme")
    assert cred.expires_at is None
    assert cred.notes == (
        "the creator acknowledged a never-expiring token (userAwareTokenNeverExpires)",
    )


def test_timestamps_without_fraction() -> None:
    cred = parse_pat({**V2025, "created": "2024-03-01T10:00:00Z"}, tenant="acme")
    assert cred.created_at == datetime(2024, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("scope", "mode", "notes"),
    [
        (None, "full", ("scope is null: the token holds sp:scopes:all, every right of its owner",)),
        (["sp:scopes:all"], "full", ()),
        (["idn:identity:read", "sp:scopes:all"], "full", ()),
        ([], "unknown", ("scope is an empty list, which SailPoint does not document",)),
        (["sp:scopes:default"], "scoped", ()),
    ],
)
def test_scope_modes(scope: list[str] | None, mode: str, notes: tuple[str, ...]) -> None:
    assert scope_mode(scope) == (mode, notes)
    cred = parse_pat({**V2025, "scope": scope}, tenant="acme")
    assert cred.scope_mode == mode
    assert cred.scopes == tuple(scope or ())


def test_duplicate_scopes_are_collapsed_in_order() -> None:
    cred = parse_pat({**V2025, "scope": ["b", "a", "b"]}, tenant="acme")
    assert cred.scopes == ("b", "a")


@pytest.mark.parametrize(
    ("ordinal", "record_id", "message"),
    [
        (
            0,
            "86f1dc6fe8f54414950454cbb11278fa",
            "created: 'last Tuesday' is not an RFC 3339 timestamp",
        ),
        (1, "86f1dc6fe8f54414950454cbb11278fa", "scope is neither null nor a list of strings"),
        (2, "86f1dc6fe8f54414950454cbb11278fa", "owner.id is missing or not a string"),
        (3, None, "id is missing or not a non-empty string"),
        (4, "86f1dc6fe8f54414950454cbb11278fa", "lastUsed is a int, not a string"),
        (5, "86f1dc6fe8f54414950454cbb11278fa", "accessTokenValiditySeconds is a str, not int"),
    ],
)
def test_every_simulated_corruption_is_a_record_problem(
    ordinal: int, record_id: str | None, message: str
) -> None:
    with pytest.raises(RecordProblem) as info:
        parse_pat(corrupt(V2025, ordinal), tenant="acme")
    assert str(info.value) == message
    assert info.value.record_id == record_id


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([1, 2], "the list item is a list, not an object"),
        ({**V2025, "name": None}, "name is missing or not a string"),
        (
            {k: v for k, v in V2025.items() if k != "scope"},
            "scope is missing (the schema requires it, null allowed)",
        ),
        ({**V2025, "created": None}, "created is missing"),
        (
            {**V2025, "created": "2024-03-01T10:00:00"},
            "created: timestamp '2024-03-01T10:00:00' has no time zone offset (add Z or ±HH:MM)",
        ),
        ({**V2025, "managed": "no"}, "managed is a str, not bool"),
        (
            {**V2025, "accessTokenValiditySeconds": True},
            "accessTokenValiditySeconds is a bool, not int",
        ),
        ({**V2025, "owner": {"id": "x", "name": 5}}, "owner.name is not a string"),
    ],
)
def test_schema_violations(raw: Any, message: str) -> None:
    with pytest.raises(RecordProblem) as info:
        parse_pat(raw, tenant="acme")
    assert str(info.value) == message


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


# deterministic, and no wall-clock deadline or speed check (tests never time anything)
@settings(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(V2025)), _json, max_size=10))
def test_untrusted_records_never_crash(changes: dict[str, Any]) -> None:
    """Whatever the vendor sends in any field, the result is a Credential or a RecordProblem."""
    try:
        cred = parse_pat({**V2025, **changes}, tenant="acme")
    except RecordProblem:
        return
    assert cred.id == changes.get("id", V2025["id"])
