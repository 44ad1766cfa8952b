"""Tenant settings for a scan (``auditor.app.engine``): ``tenant_settings`` resolves each
configured tenant into provider-validated ``TenantSettings``; ``secrets_for`` gathers every
tenant's secret and derived key material; ``default_registry`` is every installed vendor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from auditor.app.config import LoadedConfig
from auditor.kernel.errors import ConfigError
from auditor.kernel.http import HttpSettings, RateLimit
from auditor.kernel.secretmatch import SecretSet
from providers.base import Provider, TenantSettings

__all__ = ["default_registry", "secrets_for", "tenant_settings"]


def default_registry() -> Mapping[str, type[Provider]]:
    """Every vendor: built in, or added by a package through an entry point."""
    from providers.registry import registry

    return registry().providers


def secrets_for(
    tenants: Sequence[TenantSettings],
    registry: Mapping[str, type[Provider]] | None = None,
    *,
    into: SecretSet | None = None,
) -> SecretSet:
    """Every tenant's secret and the key material its provider derives, added to ``into``."""
    registry = registry if registry is not None else default_registry()
    found = into if into is not None else SecretSet()
    for tenant in tenants:
        registry.get(tenant.provider, Provider).register_secrets(tenant.client_secret, found)
    return found


def tenant_settings(
    loaded: LoadedConfig, registry: Mapping[str, type[Provider]]
) -> tuple[TenantSettings, ...]:
    """Resolve and provider-validate every tenant; raise one ConfigError listing all problems."""
    problems: list[ConfigError] = []
    out: list[TenantSettings] = []
    for index, tenant in enumerate(loaded.config.tenants):
        cls = registry.get(tenant.provider)
        if cls is None:
            problems.append(
                ConfigError(
                    f"provider {tenant.provider!r} is not available in this build",
                    key=f"tenants[{index}].provider",
                    fix=f"use one of: {', '.join(sorted(registry))}",
                )
            )
            continue
        creds = loaded.credentials[tenant.name]
        http = tenant.http
        limit = (
            RateLimit(http.rate_limit.requests, http.rate_limit.per_seconds)
            if http.rate_limit
            else cls.default_rate_limit
        )
        settings = TenantSettings(
            name=tenant.name,
            provider=tenant.provider,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            base_url=tenant.base_url,
            api_version=tenant.api_version,
            options=loaded.options.get(tenant.name) or cls.options_model(),
            http=HttpSettings(
                connect_timeout=http.connect_timeout,
                read_timeout=http.read_timeout,
                max_concurrency=http.max_concurrency,
                max_retries=http.max_retries,
                retry_after_cap=http.retry_after_cap,
                max_pages=http.max_pages,
                max_body_bytes=http.max_body_bytes,
                response_timeout=http.response_timeout,
                tenant_timeout=http.tenant_timeout,
                max_empty_pages=http.max_empty_pages,
                max_records=http.max_records,
                rate_limit=limit,
                ca_bundle=str(loaded.resolve_path(tenant.ca_bundle)) if tenant.ca_bundle else None,
            ),
        )
        try:
            cls.validate(settings)
        except ConfigError as exc:
            problems.append(exc.located(None, f"tenants[{index}]"))
            continue
        out.append(settings)
    if problems:
        file = str(loaded.path)
        located = [p.located(file) for p in problems]
        if len(located) == 1:
            raise located[0]
        raise ConfigError(f"{file}: {len(located)} configuration problems", problems=located)
    return tuple(out)
