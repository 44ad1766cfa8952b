"""Progress on stderr: a live table on a terminal, plain log lines otherwise (CI, cron, pipes).

Only the CLI builds these; the engine reports through the ``Progress`` protocol.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table

from auditor.app.engine import NullProgress, Progress
from auditor.kernel.model import TenantCoverage
from auditor.kernel.visible import visible

logger = logging.getLogger("credaudit.scan")


class LogProgress:
    """One log line when a tenant starts and one when it ends."""

    def tenant_started(self, tenant: str, provider: str) -> None:
        logger.info("%s: collecting (%s)", tenant, provider)

    def tenant_update(self, tenant: str, collected: int, requests: int, retries: int) -> None:
        return None

    def tenant_finished(self, coverage: TenantCoverage) -> None:
        text = (
            f"{coverage.tenant}: {coverage.status}, {coverage.credential_count} credentials, "
            f"{coverage.requests} requests, {coverage.retries} retries "
            f"in {coverage.duration_seconds:.1f}s"
        )
        if coverage.error:
            # the tenant's totals, then its error (which no longer names the tenant, and whose
            # "after N attempts" counts that one request's tries, not the tenant's retries)
            text = (
                f"{coverage.tenant}: failed; {coverage.requests} requests in all, "
                f"{coverage.retries} of them retries, {coverage.duration_seconds:.1f}s"
            )
            logger.error("%s: %s", text, visible(coverage.error))
        elif coverage.status != "complete":
            logger.warning("%s", text)
        else:
            logger.info("%s", text)


@dataclass
class _Row:
    provider: str
    collected: int = 0
    requests: int = 0
    retries: int = 0
    status: str = "collecting"


@dataclass
class LiveProgress:
    """A rich live table, one row per tenant, on stderr."""

    console: Console = field(default_factory=lambda: Console(stderr=True))
    rows: dict[str, _Row] = field(default_factory=dict)
    live: Live | None = None

    def _table(self) -> Table:
        table = Table(title="credaudit scan", expand=False)
        for column in ("tenant", "provider", "credentials", "requests", "retries", "status"):
            table.add_column(
                column,
                justify="right" if column in ("credentials", "requests", "retries") else "left",
            )
        for name, row in self.rows.items():
            table.add_row(
                name,
                row.provider,
                str(row.collected),
                str(row.requests),
                str(row.retries),
                row.status,
            )
        return table

    def _refresh(self) -> None:
        if self.live is None:
            self.live = Live(
                self._table(), console=self.console, refresh_per_second=8, transient=False
            )
            self.live.start()
        else:
            self.live.update(self._table())

    def tenant_started(self, tenant: str, provider: str) -> None:
        self.rows[tenant] = _Row(provider)
        self._refresh()

    def tenant_update(self, tenant: str, collected: int, requests: int, retries: int) -> None:
        row = self.rows[tenant]
        row.collected, row.requests, row.retries = collected, requests, retries
        self._refresh()

    def tenant_finished(self, coverage: TenantCoverage) -> None:
        row = self.rows[coverage.tenant]
        row.collected = coverage.credential_count
        row.requests, row.retries = coverage.requests, coverage.retries
        row.status = coverage.status
        self._refresh()
        if all(r.status != "collecting" for r in self.rows.values()) and self.live is not None:
            self.live.stop()
            self.live = None


def make_progress(*, quiet: bool) -> Progress:
    if quiet:
        return NullProgress()
    if sys.stderr.isatty():
        return LiveProgress()
    return LogProgress()
