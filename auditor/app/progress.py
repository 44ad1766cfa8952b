"""Progress on stderr: a live table on a terminal, plain log lines otherwise (CI, cron, pipes).

Only the CLI builds these; the engine reports through the ``Progress`` protocol. Besides the
running totals of each tenant, every long phase of a collection (ConductorOne search pages and
owner lookups, SailPoint owner lookups and user levels: ``auditor.kernel.phases``) is shown with
its own counter, rate and ETA (``describe_phase``), and a phase whose requests are being held
back by the vendor's rate limit says that the limit is what it waits on. The live table shows the
current phase of each tenant; log lines come when a phase starts, every ``LOG_EVERY`` seconds
while it runs, and when it ends.
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
from auditor.kernel.phases import PhaseUpdate
from auditor.kernel.visible import visible

logger = logging.getLogger("credaudit.scan")
LOG_EVERY = 10.0
"""Seconds between two log lines of one running phase."""


def _duration(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour."""
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def describe_phase(update: PhaseUpdate) -> str:
    """One line for a phase: counter, rate, ETA, and the rate limit it is waiting on, e.g.
    ``user levels 950/7,400 owners, 9.5/s, ETA 11:19, waiting on the vendor's rate limit
    (95 requests per 10 s)``."""
    counter = f"{update.done:,}" + (f"/{update.total:,}" if update.total is not None else "")
    text = f"{update.phase} {counter} {update.unit}"
    elapsed = max(0.0, update.now - update.started)
    if update.finished:
        return f"{text} in {_duration(elapsed)}"
    rate = update.done / elapsed if elapsed > 0 and update.done else 0.0
    if rate:
        text += f", {rate:,.1f}/s"
        if update.total is not None:
            text += f", ETA {_duration(max(0, update.total - update.done) / rate)}"
        else:
            text += ", ETA unknown (the API does not say how many)"
    if update.paced is not None:
        limit = update.paced
        text += (
            f", waiting on the vendor's rate limit ({limit.requests} requests per "
            f"{limit.per_seconds:g} s)"
        )
    return text


class LogProgress:
    """One log line when a tenant starts and one when it ends."""

    def tenant_started(self, tenant: str, provider: str) -> None:
        logger.info("%s: collecting (%s)", tenant, provider)

    def __init__(self) -> None:
        self._logged: dict[tuple[str, str], float] = {}

    def tenant_update(self, tenant: str, collected: int, requests: int, retries: int) -> None:
        return None

    def phase_update(self, tenant: str, update: PhaseUpdate) -> None:
        key = (tenant, update.phase)
        last = self._logged.get(key)
        if last is None or update.finished or update.now - last >= LOG_EVERY:
            self._logged[key] = update.now
            logger.info("%s: %s", tenant, describe_phase(update))

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
    phase: str = ""


@dataclass
class LiveProgress:
    """A rich live table, one row per tenant, on stderr."""

    console: Console = field(default_factory=lambda: Console(stderr=True))
    rows: dict[str, _Row] = field(default_factory=dict)
    live: Live | None = None

    def _table(self) -> Table:
        table = Table(title="credaudit scan", expand=False)
        for column in (
            "tenant",
            "provider",
            "credentials",
            "requests",
            "retries",
            "status",
            "phase",
        ):
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
                row.phase,
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

    def phase_update(self, tenant: str, update: PhaseUpdate) -> None:
        self.rows[tenant].phase = describe_phase(update)
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
