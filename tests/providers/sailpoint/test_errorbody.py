from __future__ import annotations

import httpx
import pytest

from providers.sailpoint.errorbody import describe_error, parse_error

FORBIDDEN = {
    "detailCode": "403 Forbidden",
    "trackingId": "b21b1f7ce4da4d639f2c62a57171b427",
    "messages": [
        {
            "locale": "en-US",
            "localeOrigin": "DEFAULT",
            "text": "The server understood the request but refuses to authorize it.",
        }
    ],
}


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            FORBIDDEN,
            "403 Forbidden: The server understood the request but refuses to authorize "
            "it. (tracking id b21b1f7ce4da4d639f2c62a57171b427)",
        ),
        (
            {
                "detailCode": "400.1 Bad Request Content",
                "messages": [{"text": "bad"}],
                "causes": [{"text": "why"}],
            },
            "400.1 Bad Request Content: bad; why",
        ),
        ({"messages": [{"text": "only text"}]}, "only text"),
        (
            {"error": "JWT validation failed: JWT is expired"},
            "JWT validation failed: JWT is expired",
        ),
        (
            {"error": "invalid_client", "error_description": "Bad credentials"},
            "invalid_client: Bad credentials",
        ),
        ({"message": " Rate Limit Exceeded "}, "Rate Limit Exceeded"),
        ({"unrelated": 1}, None),
        ([1], None),
    ],
)
def test_all_three_shapes(body: object, text: str | None) -> None:
    assert describe_error(body) == text


def test_non_json_body_is_passed_through_bounded() -> None:
    response = httpx.Response(502, text="<html>Bad gateway</html>" + "x" * 500)
    assert parse_error(response) == ("<html>Bad gateway</html>" + "x" * 500)[:200]
    assert parse_error(httpx.Response(502, text="")) is None
