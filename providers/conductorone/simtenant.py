"""ConductorOne's simulated tenant for ``credaudit demo`` and ``credaudit sandbox``
(``providers.simulation``): the curated or seeded ``ConductorOneSimulator``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr

from providers.base import TenantSettings
from providers.conductorone.simfaults import SimFaults
from providers.conductorone.simulator import ConductorOneSimulator
from providers.simulation import SimulatedTenant


class ConductorOneSimulatedTenant(SimulatedTenant):
    provider: ClassVar[str] = "conductorone"
    tenant_name: ClassVar[str] = "sandbox-c1"
    host: ClassVar[str] = "demo.conductor.one"
    env_names: ClassVar[tuple[str, str]] = (
        "CREDAUDIT_SANDBOX_C1_CLIENT_ID",
        "CREDAUDIT_SANDBOX_C1_CLIENT_SECRET",
    )

    def build(self) -> ConductorOneSimulator:
        faults = self.faults
        return ConductorOneSimulator(
            seed=self.seed,
            size=self.size,
            anchor=self.anchor,
            faults=SimFaults(
                latency_ms=self.latency_ms,
                rate_limit_fraction=faults.rate_limit_fraction,
                burst_503_every=faults.burst_503_every,
                burst_503_length=faults.burst_503_length,
                deny_user_search=faults.deny_owner_lookup,
                deny_session_settings=faults.deny_session_settings,
                malformed_records=faults.malformed_records,
            ),
            host=self.host,
        )

    def mint(self) -> tuple[str, str]:
        client_id, secret = self.simulator.mint_client("admin")
        return client_id, secret

    def settings(self, base_url: str | None) -> TenantSettings:
        # in-process: the adapter derives the URL from the client id (its tenant host)
        client_id, secret = self.credentials
        return TenantSettings(
            name=self.tenant_name,
            provider=self.provider,
            client_id=client_id,
            client_secret=SecretStr(secret),
            base_url=base_url,
        )
