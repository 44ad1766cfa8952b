"""SailPoint's simulated tenant for ``credaudit demo`` and ``credaudit sandbox``
(``providers.simulation``): the curated or seeded ``SailPointSimulator``, scanned with the
opt-in user-level lookup on, to show what it adds."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr

from auditor.kernel.http import HttpSettings
from providers.base import TenantSettings
from providers.sailpoint.adapter import SailPointProvider
from providers.sailpoint.options import SailPointOptions
from providers.sailpoint.simfaults import SimFaults
from providers.sailpoint.simulator import SailPointSimulator
from providers.simulation import SimulatedTenant


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

    def config_keys(self) -> dict[str, str]:
        return {"user_levels": "true"}
