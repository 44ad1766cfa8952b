"""Which URLs credaudit talks to: the one place that decides "https, or plain http to loopback".

Run results and credentials are sensitive, so every URL we send them to (a tenant's API
``base_url``, the notification webhook) must use https; plain http is accepted only for a
loopback host (127.0.0.0/8, ::1, localhost), where the simulators and test receivers live.
Callers word the refusal for their own setting (config key, vendor host hints); the rule itself
is stated here only.
"""

from __future__ import annotations

import ipaddress
from enum import Enum
from urllib.parse import urlsplit


class UrlProblem(Enum):
    """Why ``api_url_problem`` refuses a URL."""

    NOT_HTTP_URL = "not an http(s) URL with a host"
    PLAIN_HTTP = "plain http to a host that is not loopback"


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only hosts plain http:// is accepted for."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def api_url_problem(url: str) -> UrlProblem | None:
    """None when ``url`` may be sent credentials or results: https, or http to loopback.

    Only the scheme and host are judged; paths, queries and user info are the caller's rules."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return UrlProblem.NOT_HTTP_URL
    if parts.scheme not in ("https", "http") or not host:
        return UrlProblem.NOT_HTTP_URL
    if parts.scheme == "http" and not is_loopback_host(host):
        return UrlProblem.PLAIN_HTTP
    return None
