"""A ConductorOne tenant's settings checked before any request: the client id and secret (parsed
by ``providers.conductorone.auth``), ``api_version`` and an explicit ``base_url``; without one the
base URL is the host named in the client id. ``ConductorOneProvider.validate`` and
``ConductorOneProvider.base_url_for`` delegate here (``providers.conductorone.adapter``
re-exports ``_check_base_url``). Not the tenant's *session* settings: those are
``providers.conductorone.allowlists``."""

from __future__ import annotations

from auditor.kernel.errors import ConfigError
from auditor.kernel.urls import UrlProblem, api_url_problem
from providers.base import TenantSettings
from providers.conductorone.auth import parse_client_id, parse_client_secret

__all__ = ["_check_base_url", "api_base_url", "validate_settings"]


def validate_settings(settings: TenantSettings, supported_api_versions: tuple[str, ...]) -> None:
    """``ConductorOneProvider.validate``: raise ``ConfigError`` for a bad client id or secret, an
    ``api_version`` not in ``supported_api_versions``, or a ``base_url`` that is not https (plain
    http only to a loopback host)."""
    parse_client_id(settings.client_id)
    parse_client_secret(settings.client_secret.get_secret_value())
    if settings.api_version not in (None, "", *supported_api_versions):
        raise ConfigError(
            f"api_version {settings.api_version!r} is not supported",
            key="api_version",
            fix="remove api_version or set it to v1",
        )
    if settings.base_url:
        _check_base_url(settings.base_url)


def api_base_url(settings: TenantSettings) -> str:
    """``ConductorOneProvider.base_url_for``: ``base_url`` when set, else the client id's host."""
    if settings.base_url:
        return settings.base_url.rstrip("/")
    return f"https://{parse_client_id(settings.client_id).host}"  # §1.1: https://<host>


def _check_base_url(url: str) -> None:
    problem = api_url_problem(url)
    fix = "use https://<tenant>.conductor.one (http only for a loopback simulator)"
    if problem is UrlProblem.NOT_HTTP_URL:
        raise ConfigError(f"base_url {url!r} is not an http(s) URL", key="base_url", fix=fix)
    if problem is UrlProblem.PLAIN_HTTP:
        raise ConfigError(
            f"base_url {url!r} uses plain http for a non-loopback host", key="base_url", fix=fix
        )
