"""run_scan never formats the collected population (issue 16: 2.3 s at 20,000 per tenant).

On its way out, ``asyncio.run`` restores the SIGINT handler, and Python 3.11's ``signal.signal``
formats the handler it replaces, which holds the main task, with ``repr``; a task's repr includes
its result. With the inventories as the result, every credential was formatted."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

import policies
from auditor.app.engine import plan_for, run_scan
from auditor.app.sandbox import Simulation
from auditor.kernel.model import TenantInventory
from providers.base import ClientFactory

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)


def test_the_inventories_are_never_formatted(monkeypatch: pytest.MonkeyPatch) -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # as in the CLI
    formatted: list[str] = []

    def counting_repr(self: TenantInventory) -> str:
        formatted.append(self.coverage.tenant)
        return "TenantInventory(...)"

    monkeypatch.setattr(TenantInventory, "__repr__", counting_repr)
    tenants, router = Simulation(as_of=AS_OF).in_process()
    policy = policies.load_policy(None, tenants=[t.name for t in tenants], base_dir=Path.cwd())
    result = run_scan(plan_for(tenants, policy, ()), AS_OF, clients=ClientFactory(transport=router))
    assert result.scan.status == "complete"
    assert formatted == []
