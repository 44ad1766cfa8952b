"""Bearer-token lifetimes as vendors state them (``expires_in``), made safe to compute with."""

from __future__ import annotations

MAX_TOKEN_LIFETIME = 86_400.0
"""No bearer token is cached longer than a day, whatever ``expires_in`` claims."""


def token_lifetime(raw: object, default: float) -> float:
    """``expires_in`` as seconds: ``default`` unless a positive finite number (an int too large
    for a float, such as 10^400, included: it is the maximum), capped at ``MAX_TOKEN_LIFETIME``."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return default
    if isinstance(raw, int) and raw > MAX_TOKEN_LIFETIME:
        return MAX_TOKEN_LIFETIME
    seconds = float(raw)
    if seconds != seconds or seconds <= 0:  # NaN or not positive
        return default
    return min(seconds, MAX_TOKEN_LIFETIME)
