"""SailPoint error bodies → one human sentence for our error messages.

Three shapes exist (docs/vendors/sailpoint.md §5.3): ``ErrorResponseDto`` ``{detailCode, trackingId,
messages[{text}], causes[{text}]}`` for 400/403/404/500, ``{"error": …}`` for 401 (and the
OAuth token endpoint adds ``error_description``, RFC 6749 §5.2), and ``{"message": …}`` for 429.
The tracking id is kept: SailPoint support asks for it.
"""

from __future__ import annotations

from typing import Any

import httpx


def _texts(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    out = []
    for item in items:
        text = item.get("text") if isinstance(item, dict) else None
        if isinstance(text, str) and text.strip():
            out.append(text.strip())
    return out


def describe_error(body: Any) -> str | None:
    """The message carried by any of SailPoint's error shapes, or None."""
    if not isinstance(body, dict):
        return None
    texts = _texts(body.get("messages")) + _texts(body.get("causes"))
    detail = body.get("detailCode")
    if texts or isinstance(detail, str):
        parts = [p for p in ([detail] if isinstance(detail, str) else []) + texts if p]
        text = ": ".join([parts[0], "; ".join(parts[1:])]) if len(parts) > 1 else parts[0]
        tracking = body.get("trackingId")
        return f"{text} (tracking id {tracking})" if isinstance(tracking, str) else text
    error, description = body.get("error"), body.get("error_description")
    if isinstance(error, str) and error.strip():
        if isinstance(description, str) and description.strip():
            return f"{error.strip()}: {description.strip()}"
        return error.strip()
    message = body.get("message")
    if isinstance(message, str) and message.strip():
        # the 429 example is " Rate Limit Exceeded " (spec idn/v3/responses/429.yaml)
        return message.strip()
    return None


def parse_error(response: httpx.Response) -> str | None:
    """``ErrorParser`` for ``auditor.kernel.http``: vendor text, or the raw text of a non-JSON
    body."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:200] or None
    return describe_error(body)
