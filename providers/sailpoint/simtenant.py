"""SailPoint's simulated tenant for ``credaudit demo`` and ``credaudit sandbox``
(``providers.simulation``): the curated or seeded ``SailPointSimulator``, scanned with the
opt-in user-level lookup on, to show what it adds."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr

from auditor.kernel.http import HttpSettings
from providers.base import TenantSettings
from providers.sailpoint.adapter import SailPointProvider
from providers.sailpoint.levels import lookup_seconds, owners_to_look_up
from providers.sailpoint.options import SailPointOptions
from providers.sailpoint.simfaults import SimFaults
from providers.sailpoint.simulator import SailPointSimulator
from providers.simulation import SimulatedTenant

LEVELS_BUDGET = 60.0
"""Seconds of user-level lookups the sandbox's written config turns on without being asked."""


class SailPointSimulatedTenant(SimulatedTenant):
    provider: ClassVar[str] = "sailpoint"
    tenant_name: ClassVar[str] = "sandbox-isc"
    host: ClassVar[str] = "demo.api.identitynow.com"
    env_names: ClassVar[tuple[str, str]] = (
        "CREDAUDIT_SANDBOX_ISC_CLIENT_ID",
        "CREDAUDIT_SANDBOX_ISC_CLIENT_SECRET",
    )

    def build(self) -> SailPointSimulator:
        faults = self.faults
        return SailPointSimulator(
            seed=self.seed,
            size=self.size,
            anchor=self.anchor,
            faults=SimFaults(
                latency_ms=self.latency_ms,
                error_503_fraction=faults.error_503_fraction,
                deny_identity_lookup=faults.deny_owner_lookup,
                malformed_records=faults.malformed_records,
            ),
        )

    def mint(self) -> tuple[str, str]:
        client_id, secret = self.simulator.mint_client("admin")
        self.simulator.warm(client_id)
        return client_id, secret

    def mint_remediation(self) -> tuple[str, str]:
        # the scanning credential holds read scopes only; revoking needs
        # sp:my-personal-access-tokens:manage or an admin's (simulator RIGHTS["remediation"])
        client_id, secret = self.simulator.mint_client("remediation")
        return client_id, secret

    def settings(self, base_url: str | None) -> TenantSettings:
        client_id, secret = self.credentials
        return TenantSettings(
            name=self.tenant_name,
            provider=self.provider,
            client_id=client_id,
            client_secret=SecretStr(secret),
            base_url=base_url or f"https://{self.host}",
            # the demo shows what the opt-in lookup adds
            options=SailPointOptions(user_levels=True),
            http=HttpSettings(rate_limit=SailPointProvider.default_rate_limit),
        )

    def user_levels(self) -> tuple[bool, str]:
        """Whether the sandbox's written config turns ``user_levels`` on, and what that phase
        costs: one request per owner (``GET /v3/auth-users/{id}``, no batch form) under the rate
        limit, so minutes at size. On only while it costs at most ``LEVELS_BUDGET``."""
        pats = self.simulator.dataset.pats
        owners = owners_to_look_up(
            (p.owner_id, None if p.scope is None else list(p.scope)) for p in pats
        )
        limit = SailPointProvider.default_rate_limit
        seconds = lookup_seconds(owners, limit) if limit else 0.0
        cost = (
            f"up to {owners} owner user-level lookups, one request each: about {seconds / 60:.1f} "
            f"min at SailPoint's rate limit ({limit.requests} requests per {limit.per_seconds:g} s)"
            if limit
            else f"{owners} owner user-level lookups"
        )
        if seconds <= LEVELS_BUDGET:
            return True, f"user_levels: true ({cost})"
        return False, (
            f"user_levels left off: it would add {cost}; set user_levels: true in the config to "
            "include it (privileged-access is manual for full-scope PATs without it)"
        )

    def config_keys(self) -> dict[str, str]:
        return {"user_levels": "true"} if self.user_levels()[0] else {}

    def config_comments(self) -> list[str]:
        on, cost = self.user_levels()
        return [cost] if on else [cost, "user_levels: true"]
