"""SailPoint Identity Security Cloud personal access tokens.

``SailPointProvider`` collects a tenant's PATs; ``SailPointSimulator`` is a faithful simulated
tenant (ASGI) for tests, ``credaudit demo`` and ``credaudit sandbox``; ``SimFaults`` configures its
latency and fault injection. Vendor facts: ``docs/vendors/sailpoint.md``.
"""

from __future__ import annotations

from providers.sailpoint.adapter import SailPointProvider
from providers.sailpoint.simfaults import SimFaults
from providers.sailpoint.simulator import SailPointSimulator

__all__ = ["SailPointProvider", "SailPointSimulator", "SimFaults"]
