"""Tenant configuration keys that belong to one vendor: each provider declares a model of them
(``Provider.options_model``), so adding a vendor with keys of its own needs no edit to the
configuration code. The application validates a tenant entry's keys beyond the common ones
(``auditor.app.config``: name, provider, credentials, base_url, api_version, ca_bundle, http)
with the tenant's provider's model, and hands the result to the provider as
``TenantSettings.options``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Options(BaseModel):
    """A vendor's own tenant keys; strict like the rest of the configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_max_length=4096)


class NoOptions(Options):
    """A vendor without keys of its own."""
