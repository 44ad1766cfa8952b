"""The simulated tenant a vendor declares, for ``credaudit demo`` and ``credaudit sandbox``.

A provider that ships a simulation of its API declares a ``SimulatedTenant`` subclass
(``providers.base.Provider.simulated_tenant``); the demo and the sandbox (``auditor.app.sandbox``)
build one of each registered vendor's, in registry order, and know nothing else about it: the
ASGI app to route to or serve, the credential minted for the auditor, the ``TenantSettings`` (and
the configuration keys) that scan it, and how the vendor-neutral ``Faults`` of ``--faults`` map to
its simulator's own fault switches.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from auditor.kernel.errors import UsageError
from providers.base import TenantSettings


@dataclass(frozen=True)
class Faults:
    """``--faults`` for every simulated tenant, e.g. ``rate-limit=0.1,burst-503=50:3``. A vendor
    maps each to its simulator's equivalent and ignores those its API has none of."""

    rate_limit_fraction: float = 0.0
    burst_503_every: int = 0
    burst_503_length: int = 0
    error_503_fraction: float = 0.0
    deny_owner_lookup: bool = False
    deny_session_settings: bool = False
    """Tenant-wide session settings (a vendor that has them) answer 403."""
    malformed_records: int = 0

    @classmethod
    def parse(cls, text: str | None) -> Faults:
        values: dict[str, Any] = {}
        for item in filter(None, (p.strip() for p in (text or "").split(","))):
            name, _, value = item.partition("=")
            try:
                if name == "rate-limit":
                    values["rate_limit_fraction"] = float(value)
                elif name == "burst-503":
                    every, _, length = value.partition(":")
                    values["burst_503_every"] = int(every)
                    values["burst_503_length"] = int(length or "1")
                elif name == "error-503":
                    values["error_503_fraction"] = float(value)
                elif name == "deny-owner-lookup" and not value:
                    values["deny_owner_lookup"] = True
                elif name == "deny-session-settings" and not value:
                    values["deny_session_settings"] = True
                elif name == "malformed":
                    values["malformed_records"] = int(value)
                else:
                    raise ValueError(name)
            except ValueError:
                raise UsageError(
                    f"--faults: cannot read {item!r}; use rate-limit=FRACTION, "
                    "burst-503=EVERY:LENGTH, error-503=FRACTION, deny-owner-lookup, "
                    "deny-session-settings, malformed=COUNT"
                ) from None
        return cls(**values)


class SimulatedTenant(ABC):
    """One vendor's simulated tenant, seeded, anchored at ``anchor`` (the scan's as-of)."""

    provider: ClassVar[str]
    """The ``provider:`` value its tenant is configured with."""
    tenant_name: ClassVar[str]
    """The tenant's name in the demo and in the sandbox's configuration, e.g. ``sandbox-isc``."""
    host: ClassVar[str]
    """The host name the in-process demo routes to it."""
    env_names: ClassVar[tuple[str, str]]
    """The variables ``sandbox.env`` sets: (client id, client secret); the first is unused by a
    vendor whose tenants need no client id."""

    def __init__(
        self, *, seed: int, size: int | None, anchor: datetime, latency_ms: int, faults: Faults
    ) -> None:
        self.seed, self.size, self.anchor = seed, size, anchor
        self.latency_ms, self.faults = latency_ms, faults
        self.simulator = self.build()
        self.credentials: tuple[str, str] = self.mint()
        """(client id, client secret) minted for the auditor; the id is empty for a
        single-token vendor."""

    @abstractmethod
    def build(self) -> Any:
        """The vendor's simulator (``self.app`` serves it)."""

    @abstractmethod
    def mint(self) -> tuple[str, str]:
        """Mint the auditor's credential in ``self.simulator``."""

    @property
    def app(self) -> Any:
        """The ASGI application."""
        return self.simulator.app

    @abstractmethod
    def settings(self, base_url: str | None) -> TenantSettings:
        """The tenant as a scan configures it; ``base_url`` ``None``: the in-process demo (at
        ``https://{host}``)."""

    def config_keys(self) -> dict[str, str]:
        """Vendor keys ``sandbox-config.yaml`` adds to the tenant (YAML scalars, as text) so that
        it scans as ``settings`` does."""
        return {}

    def config_comments(self) -> list[str]:
        """Comment lines ``sandbox-config.yaml`` adds to the tenant, the first saying what a
        phase that costs minutes at size costs, and whether the configuration turns it on (the
        sandbox prints it too), e.g. a commented-out key left off because of its cost."""
        return []
