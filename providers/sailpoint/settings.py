"""A SailPoint tenant's settings checked before any request: the PAT's client id and secret, the
API version, and ``base_url``, which must be the API host (not the user-interface or login host,
no path). ``SailPointProvider.validate`` and ``SailPointProvider.base_url_for`` delegate here
(``providers.sailpoint.adapter`` re-exports these names)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from auditor.kernel.errors import ConfigError
from auditor.kernel.urls import UrlProblem, api_url_problem
from providers.base import TenantSettings
from providers.sailpoint.versions import SUPPORTED_VERSIONS, VERSIONS

__all__ = ["API_HOST_FIX", "_LOGIN_HOST", "_UI_HOST", "api_base_url", "validate_settings"]

API_HOST_FIX = "use the API host https://<tenant>.api.identitynow.com (no path)"
_UI_HOST = re.compile(r"^(?P<tenant>[^.]+)\.(?P<domain>identitynow(?:-demo)?\.com)$")
_LOGIN_HOST = re.compile(r"^(?P<tenant>[^.]+)\.login\.sailpoint\.com$")  # authorize host, §1.1


def validate_settings(settings: TenantSettings) -> None:
    """``SailPointProvider.validate``: raise ``ConfigError`` for a bad client id, secret,
    ``base_url`` or ``api_version``."""
    client_id = settings.client_id.strip()
    if not client_id or any(ch.isspace() for ch in client_id):
        raise ConfigError(
            "the client id is empty or contains whitespace",
            key="client_id",
            fix="set it to the personal access token's client id (32 hexadecimal characters)",
        )
    if re.fullmatch(r"[0-9a-fA-F]{64}", client_id):
        raise ConfigError(
            "the client id has the shape of a PAT secret (64 hex characters), not of its id",
            key="client_id",
            fix="put the PAT's client id here and its secret in the secret variable",
        )
    secret = settings.client_secret.get_secret_value()
    if not secret.strip():
        raise ConfigError("the client secret is empty", key="client_secret_env")
    if secret.strip() == client_id:
        raise ConfigError(
            "the client secret equals the client id",
            key="client_secret_env",
            fix="set it to the PAT's secret, shown once when the PAT was created",
        )
    api_base_url(settings)
    version = settings.api_version
    if version is not None and version not in VERSIONS:
        raise ConfigError(
            f"api_version {version!r} is not supported",
            key="api_version",
            fix=f"use one of {', '.join(SUPPORTED_VERSIONS)} (v1 = /personal-access-tokens/v1)",
        )


def api_base_url(settings: TenantSettings) -> str:
    """``SailPointProvider.base_url_for``: the tenant's API host as ``scheme://host[:port]``, or
    ``ConfigError`` naming the host to use instead."""
    raw = (settings.base_url or "").strip()
    if not raw:
        raise ConfigError("SailPoint needs base_url", key="base_url", fix=API_HOST_FIX)
    problem = api_url_problem(raw)
    if problem is UrlProblem.NOT_HTTP_URL:
        raise ConfigError(
            f"base_url {raw!r} is not an http(s) URL", key="base_url", fix=API_HOST_FIX
        )
    parts = urlsplit(raw)
    host = (parts.hostname or "").lower()
    if problem is UrlProblem.PLAIN_HTTP:
        raise ConfigError(
            "base_url must use https (http only for loopback hosts)",
            key="base_url",
            fix=f"use https://{host}",
        )
    ui = _UI_HOST.match(host)
    # docs/vendors/sailpoint.md §1.3: API host {tenant}.api.identitynow.com, UI
    # {tenant}.identitynow.com
    if ui:
        api = f"https://{ui['tenant']}.api.{ui['domain']}"
        raise ConfigError(
            f"base_url {raw!r} is the user-interface host, not the API host",
            key="base_url",
            fix=f"use {api}",
        )
    login = _LOGIN_HOST.match(host)
    if login:
        raise ConfigError(
            f"base_url {raw!r} is the login (OAuth authorize) host, not the API host",
            key="base_url",
            fix=f"use https://{login['tenant']}.api.identitynow.com",
        )
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigError(
            f"base_url {raw!r} has a path; it must be the API host only",
            key="base_url",
            fix=f"use {parts.scheme}://{parts.netloc} and set api_version for the version",
        )
    return f"{parts.scheme}://{parts.netloc}"
