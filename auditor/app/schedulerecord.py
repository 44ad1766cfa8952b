"""What one scheduled run hands back and logs (``auditor.app.scheduler``): the scan path's
outcome, the run's record, and the fields of its one JSON log line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from auditor.app.config import LoadedConfig
from auditor.kernel.model import ScanResult

__all__ = ["RunRecord", "ScanOutcomeLike", "ScanPath"]


class ScanOutcomeLike(Protocol):
    """What the scan path hands back (``auditor.app.runs.ScanOutcome``)."""

    @property
    def result(self) -> ScanResult: ...

    @property
    def history_error(self) -> str | None: ...


ScanPath = Callable[[LoadedConfig, Path, datetime], ScanOutcomeLike]
"""(configuration, run folder, as-of) → outcome; raises when no result could be produced."""


@dataclass(frozen=True)
class RunRecord:
    """A finished run, without the (large) scan result."""

    schedule: str
    run_dir: Path
    status: str
    started_at: datetime
    duration_seconds: float
    error: str | None
    log: dict[str, Any]
    notified: bool


def _log_fields(
    name: str,
    run: str,
    status: str,
    duration: float,
    result: ScanResult | None,
    error: str | None,
) -> dict[str, Any]:
    summary = result.summary if result is not None else None
    return {
        "event": "scheduled_run",
        "schedule": name,
        "run": run,
        "status": status,
        "duration_seconds": duration,
        "tenants": summary["tenants"] if summary else 0,
        "tenants_failed": summary["tenants_failed"] if summary else 0,
        "credentials": summary["credentials"] if summary else 0,
        "findings": summary["by_severity"] if summary else {},
        # failing ones, like "findings" beside it (summary["new"] also counts manual and waived)
        "new_findings": sum(1 for f in result.findings if f.change == "new" and f.status == "fail")
        if result is not None
        else 0,
        "scan_id": result.scan.id if result is not None else None,
        "error": error,
    }
