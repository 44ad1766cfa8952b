from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.sailpoint.filters import (
    PAT_FILTERS,
    PUBLIC_IDENTITY_FILTERS,
    BoolOp,
    Compare,
    FilterError,
    Not,
    evaluate,
    exact_ids,
    parse_filter,
    quote,
)


def test_last_used_le_parses_an_unquoted_datetime() -> None:
    node = parse_filter("lastUsed le 2023-02-05T10:59:27.214Z", PAT_FILTERS)
    assert node == Compare(
        "lastUsed", "le", (datetime(2023, 2, 5, 10, 59, 27, 214000, tzinfo=UTC),)
    )


def test_isnull_is_postfix() -> None:
    assert parse_filter("lastUsed isnull", PAT_FILTERS) == Compare("lastUsed", "isnull")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "lastUsed LE 2023-02-05T10:59:27Z",
            "'LE' is not a filter operator (operators are lowercase)",
        ),
        ("lastUsed ge 2023-02-05T10:59:27Z", "operator 'ge' is not supported for 'lastUsed'"),
        ("expirationDate isnull", "filtering on 'expirationDate' is not supported"),
        ("lastUsed le yesterday", "'yesterday' is not an RFC 3339 timestamp"),
        ("lastUsed le", "the filter ends unexpectedly"),
        ("", "the filter is empty"),
        ("lastUsed isnull lastUsed", "unexpected 'lastUsed'"),
    ],
)
def test_unsupported_or_malformed_filters_raise(text: str, message: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(text, PAT_FILTERS)
    assert str(info.value) == message


def test_id_in_list_with_escapes() -> None:
    node = parse_filter('id in ("a\\"b", "c\\\\d")', PUBLIC_IDENTITY_FILTERS)
    assert node == Compare("id", "in", ('a"b', "c\\d"))
    assert exact_ids(node) == ('a"b', "c\\d")


def test_quote_round_trips_through_the_parser() -> None:
    nasty = 'x"); or id eq ("y\\'
    node = parse_filter(f"id eq {quote(nasty)}", PUBLIC_IDENTITY_FILTERS)
    assert node == Compare("id", "eq", (nasty,))


def test_string_values_must_be_quoted() -> None:
    with pytest.raises(FilterError, match="must be double-quoted"):
        parse_filter("id eq abc", PUBLIC_IDENTITY_FILTERS)


def test_composites_and_evaluation() -> None:
    node = parse_filter(
        'not (email sw "bob" or alias eq "X") and id eq "1"', PUBLIC_IDENTITY_FILTERS
    )
    assert isinstance(node, BoolOp) and node.op == "and"
    assert isinstance(node.parts[0], Not)
    assert evaluate(node, {"email": "alice@example.com", "alias": "y", "id": "1"}.get) is True
    assert evaluate(node, {"email": "alice@example.com", "alias": "x", "id": "1"}.get) is False
    assert evaluate(node, {"email": "bob@example.com", "alias": "y", "id": "1"}.get) is False
    assert evaluate(node, {"email": "alice@example.com", "alias": "y", "id": "2"}.get) is False


def test_pr_not_allowed_for_id_is_rejected_but_or_of_ids_is_indexed() -> None:
    with pytest.raises(FilterError):
        parse_filter("id pr", PUBLIC_IDENTITY_FILTERS)
    node = parse_filter('id eq "a" or id in ("b","c")', PUBLIC_IDENTITY_FILTERS)
    assert exact_ids(node) == ("a", "b", "c")
    assert exact_ids(parse_filter('email eq "a"', PUBLIC_IDENTITY_FILTERS)) is None


def test_string_comparisons_are_case_insensitive() -> None:
    node = parse_filter('email sw "ALICE"', PUBLIC_IDENTITY_FILTERS)
    assert evaluate(node, {"email": "alice@example.com"}.get) is True
    assert evaluate(node, {"email": None}.get) is False


def test_datetime_evaluation() -> None:
    le = parse_filter("lastUsed le 2026-01-01T00:00:00Z", PAT_FILTERS)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert evaluate(le, {"lastUsed": at}.get) is True
    assert evaluate(le, {"lastUsed": datetime(2026, 1, 2, tzinfo=UTC)}.get) is False
    assert evaluate(le, {"lastUsed": None}.get) is False
    assert evaluate(parse_filter("lastUsed isnull", PAT_FILTERS), {"lastUsed": None}.get) is True


# deterministic, and no wall-clock deadline or speed check (tests never time anything)
@settings(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_id_survives_quoting(value: str) -> None:
    node = parse_filter(f"id in ({quote(value)}, {quote(value + 'x')})", PUBLIC_IDENTITY_FILTERS)
    assert node == Compare("id", "in", (value, value + "x"))
