"""``credaudit schedule``: cron-driven compliance scans with retention, health and notifications.

Each ``schedules`` entry is one APScheduler 3 job: never two runs of the same schedule at once
(``max_instances=1``), missed runs coalesced into one, and a run missed by less than
``misfire_grace_seconds`` (the process was down, the machine asleep) still happens. A run calls the
same scan path as ``credaudit scan`` (injected as ``ScanPath``, see
``auditor.app.runs.scheduled_scan``) in the scheduler's worker thread, never nesting event loops:
``run_scan`` owns its ``asyncio.run``.

Each run writes ``<output.dir>/<schedule>/<UTC timestamp>/`` plus a ``run.json``, moves the
``latest`` link to the newest run that produced reports, prunes run folders beyond ``keep_last``
(only folders named like runs; never the current run, never ``latest``'s target), updates
``health.json`` and logs one JSON line on ``credaudit.schedule``. A failing run is logged and
notified; the scheduler lives on. SIGTERM or SIGINT lets a running scan finish, then returns.

Several hosts may serve the same schedules against one (PostgreSQL) history: each run first takes
the schedule's lease in the history database (``auditor.app.lease``) and renews it while it runs,
so a schedule never runs on two hosts at once nor twice for one fire time; a host that dies
mid-scan loses its lease when it expires (``schedules[].lease_seconds``).

This module runs one schedule (``ScheduledRunner``); checking the schedules, building the
APScheduler jobs and serving them are in ``auditor.app.schedulejobs`` (importable from here too).
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.app.config import LoadedConfig, ScheduleConfig
from auditor.app.lease import LeaseStore, keep_renewed, last_fire_time
from auditor.app.notify import Notifier, RunReport
from auditor.app.runfolders import (
    HEALTH,
    RUN_FILE,
    health_time,
    new_run_dir,
    prune,
    read_health,
    run_lock,
    update_latest,
    write_json,
)
from auditor.app.schedulejobs import (
    build_scheduler,
    check_schedules,
    job_id,
    make_trigger,
    serve,
)
from auditor.app.schedulerecord import RunRecord, ScanOutcomeLike, ScanPath, _log_fields
from auditor.kernel.errors import AuditorError
from auditor.kernel.model import ScanResult
from auditor.kernel.timestamps import format_timestamp

__all__ = [
    "LeaseStore",
    "RunRecord",
    "ScanOutcomeLike",
    "ScanPath",
    "ScheduledRunner",
    "build_scheduler",
    "check_schedules",
    "job_id",
    "make_trigger",
    "serve",
]

logger = logging.getLogger("credaudit.schedule")


class ScheduledRunner:
    """The job function: one call is one complete run of the named schedule; never raises."""

    def __init__(
        self,
        loaded: LoadedConfig,
        scan: ScanPath,
        *,
        notifier: Notifier | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        leases: LeaseStore | None = None,
        renew_every: float | None = None,
    ) -> None:
        self.loaded = loaded
        self._leases = leases
        self.renew_every = renew_every
        """Seconds between lease renewals (default: a third of the schedule's lease time)."""
        self.forced: set[str] = set()
        """Schedules whose next run is asked for (``--run-now``): it runs even when a run of the
        current fire time already happened (on any host); still never two at once."""
        self.scan = scan
        self.notifier = notifier
        self.clock = clock
        self.monotonic = monotonic
        self.schedules = {s.name: s for s in loaded.config.schedules}
        self.root = loaded.resolve_path(loaded.config.output.dir)
        self._secrets = [c.client_secret.get_secret_value() for c in loaded.credentials.values()]

    def folder(self, name: str) -> Path:
        return self.root / name

    @property
    def leases(self) -> LeaseStore:
        """The schedule leases in the history database (built on first use: the configuration's
        database password is read then)."""
        if self._leases is None:
            from auditor.app.historytarget import history_target

            self._leases = LeaseStore(history_target(self.loaded), clock=self.clock)
        return self._leases

    def __call__(self, name: str) -> RunRecord:
        folder = self.folder(name)
        with run_lock(folder) as locked:
            if not locked:
                logger.warning("schedule %s: another process is running it; run skipped", name)
                when = self.clock()
                return RunRecord(name, folder, "skipped", when, 0.0, None, {}, False)
            return self._leased(name, folder)

    def _leased(self, name: str, folder: Path) -> RunRecord:
        """Run ``name`` under its lease in the history database: another host running it, or a
        run of this fire time that already happened elsewhere, skips this one."""
        schedule = self.schedules[name]
        when = self.clock()
        slot = last_fire_time(make_trigger(schedule), when, schedule.misfire_grace_seconds)
        if name in self.forced:
            self.forced.discard(name)
            slot = None
        try:
            why = self.leases.acquire(name, slot, schedule.lease_seconds)
        except (AuditorError, OSError) as exc:
            return self._lease_failed(schedule, folder, when, self._describe(exc))
        if why is not None:
            logger.info("schedule %s: run skipped: %s", name, why)
            return RunRecord(name, folder, "skipped", when, 0.0, None, {"skipped": why}, False)
        stop = threading.Event()
        every = self.renew_every or schedule.lease_seconds / 3
        heartbeat = threading.Thread(
            target=keep_renewed,
            args=(self.leases, name, schedule.lease_seconds, every, stop),
            daemon=True,
        )
        heartbeat.start()
        try:
            return self._run(name, folder)
        finally:
            stop.set()
            heartbeat.join()
            try:
                self.leases.release(name, slot, done=True)
            except (AuditorError, OSError) as exc:
                # the lease expires by itself; the fire time may then run again elsewhere
                logger.error("schedule %s: cannot release the lease: %s", name, exc)

    def _lease_failed(
        self, schedule: ScheduleConfig, folder: Path, when: datetime, error: str
    ) -> RunRecord:
        error = f"cannot take the schedule lease: {error}"
        logger.error("schedule %s: %s", schedule.name, error)
        with contextlib.suppress(OSError):
            self._health(schedule, last_run=when, last_status="failed", error=error)
        report = RunReport(schedule.name, "failed", "", when, 0.0, None, error)
        notified = self.notifier.notify(report) if self.notifier is not None else False
        log = {"event": "scheduled_run", "schedule": schedule.name, "status": "failed"}
        return RunRecord(schedule.name, folder, "failed", when, 0.0, error, log, notified)

    def _run(self, name: str, folder: Path) -> RunRecord:
        schedule = self.schedules[name]
        started, t0 = self.clock(), self.monotonic()
        run_dir = folder / "unknown"
        outcome: ScanOutcomeLike | None = None
        result: ScanResult | None = None
        error: str | None = None
        status = "failed"
        try:
            run_dir = new_run_dir(folder, started)
            self._health(schedule, last_run=started, last_status="running")
            outcome = self.scan(self.loaded, run_dir, started)
            result = outcome.result
            status, error = result.scan.status, outcome.history_error
            if error is not None:
                status = "failed"  # reports written, but unmarked: "new" cannot be trusted
        except Exception as exc:  # noqa: BLE001 - a failing run must not stop the scheduler
            error = self._describe(exc)
        if result is not None:
            try:
                update_latest(folder, run_dir)
            except OSError as exc:
                logger.error("schedule %s: cannot update latest: %s", name, exc.strerror)
        duration = round(self.monotonic() - t0, 3)
        log = _log_fields(name, run_dir.name, status, duration, result, error)
        with contextlib.suppress(OSError):
            write_json(run_dir / RUN_FILE, {**log, "started_at": format_timestamp(started)})
        self._finish(schedule, folder, run_dir, started, status, duration, error)
        logger.log(
            logging.INFO if status == "complete" else logging.WARNING,
            "%s",
            json.dumps(log),
        )
        report = RunReport(name, status, run_dir.name, started, duration, result, error)
        notified = self.notifier.notify(report) if self.notifier is not None else False
        # Large scans leave hundreds of thousands of objects: drop them before the next run.
        del report, result, outcome
        gc.collect()
        return RunRecord(name, run_dir, status, started, duration, error, log, notified)

    def _finish(
        self,
        schedule: ScheduleConfig,
        folder: Path,
        run_dir: Path,
        started: datetime,
        status: str,
        duration: float,
        error: str | None,
    ) -> None:
        try:
            if run_dir.is_dir():
                removed = prune(folder, schedule.keep_last, current=run_dir)
                if removed:
                    logger.info(
                        "schedule %s: removed %d old run(s)",
                        schedule.name,
                        len(removed),
                    )
            self._health(
                schedule,
                last_run=started,
                last_status=status,
                duration_seconds=duration,
                last_success=started if status == "complete" else None,
                error=error,
            )
        except OSError as exc:
            logger.error("schedule %s: cannot update %s: %s", schedule.name, folder, exc.strerror)

    def _health(
        self,
        schedule: ScheduleConfig,
        *,
        last_success: datetime | None = None,
        **fields: Any,
    ) -> None:
        """``health.json``: keeps the previous ``last_success`` unless this run is one."""
        path = self.folder(schedule.name) / HEALTH
        path.parent.mkdir(parents=True, exist_ok=True)
        previous = read_health(path)
        # strictly after now: a fire time equal to now is the run being reported, not the next
        after = self.clock() + timedelta(microseconds=1)
        nxt = make_trigger(schedule).get_next_fire_time(None, after)
        doc = {
            "schedule": schedule.name,
            "last_run": previous.get("last_run"),
            "last_status": previous.get("last_status"),
            "last_success": previous.get("last_success"),
            "next_run": format_timestamp(nxt.astimezone(UTC)) if nxt else None,
            "duration_seconds": previous.get("duration_seconds"),
            "error": previous.get("error"),
        }
        for key, value in fields.items():
            doc[key] = format_timestamp(value) if isinstance(value, datetime) else value
        if last_success is not None:
            doc["last_success"] = format_timestamp(last_success)
        write_json(path, doc)

    def missed(self, name: str) -> bool:
        """Whether a fire time of ``name`` passed, within its misfire grace time, after its last
        recorded run: the process was down at that moment (a reboot at 2 a.m.), and an
        in-memory job store cannot know. The grace time bounds the catch-up as for a live miss."""
        schedule = self.schedules[name]
        last = health_time(read_health(self.folder(name) / HEALTH), "last_run")
        if last is None:
            return False  # never ran here: a first start is not a missed run
        now = self.clock()
        since = max(
            last + timedelta(microseconds=1),
            now - timedelta(seconds=schedule.misfire_grace_seconds),
        )
        fire = make_trigger(schedule).get_next_fire_time(None, since)
        return fire is not None and fire <= now

    def started(self) -> None:
        """Record every schedule's next run in its health file (monitoring sees a live process)."""
        for schedule in self.schedules.values():
            try:
                self._health(schedule)
            except OSError as exc:
                logger.error("schedule %s: cannot write health: %s", schedule.name, exc.strerror)

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, AuditorError):
            text = str(exc)
        elif isinstance(exc, OSError):
            where = f": {exc.filename}" if exc.filename else ""
            text = f"{exc.strerror or type(exc).__name__}{where}"
        else:
            logger.debug("scheduled run crashed", exc_info=not self._secrets)
            text = f"internal error ({type(exc).__name__}); run with -v and report it"
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "[redacted]")
        return text
