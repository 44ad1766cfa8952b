"""The schedules as APScheduler jobs (``auditor.app.scheduler``): checking their cron
expressions, their triggers, building the scheduler with one job per schedule, and serving it
until a signal."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from auditor.app.config import LoadedConfig, ScheduleConfig
from auditor.app.cron import cron_trigger
from auditor.kernel.errors import ConfigError

logger = logging.getLogger("credaudit.schedule")


def check_schedules(loaded: LoadedConfig) -> None:
    """Every schedule's cron expression under crontab semantics, as one located ConfigError."""
    for index, schedule in enumerate(loaded.config.schedules):
        try:
            make_trigger(schedule)
        except ValueError as exc:
            raise ConfigError(
                f"invalid cron expression {schedule.cron!r} ({exc})",
                file=str(loaded.path),
                key=f"schedules[{index}].cron",
                fix="use five fields: minute hour day-of-month month day-of-week, e.g. '0 2 * * *'",
            ) from None


def job_id(name: str) -> str:
    return f"schedule:{name}"


def make_trigger(schedule: ScheduleConfig) -> Any:
    """The schedule's trigger in its own time zone, with crontab semantics (``cron_trigger``)."""
    return cron_trigger(schedule.cron, ZoneInfo(schedule.timezone))


def build_scheduler(
    loaded: LoadedConfig,
    runner: Callable[[str], object],
    *,
    run_now: bool = False,
    due: Collection[str] = (),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Any:
    """A ``BackgroundScheduler`` with one job per schedule, added but not started. With
    ``run_now`` every schedule, and each schedule named in ``due``, first runs at once."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    schedules = loaded.config.schedules
    scheduler = BackgroundScheduler(
        timezone=UTC,
        # one worker per schedule: schedules never wait behind each other, and max_instances=1
        # keeps each to one run at a time
        executors={"default": ThreadPoolExecutor(max_workers=max(1, len(schedules)))},
    )
    for schedule in schedules:
        at_once = run_now or schedule.name in due
        extra: dict[str, Any] = {"next_run_time": now()} if at_once else {}
        scheduler.add_job(
            runner,
            trigger=make_trigger(schedule),
            args=[schedule.name],
            id=job_id(schedule.name),
            name=schedule.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=schedule.misfire_grace_seconds,
            replace_existing=True,
            **extra,
        )
    return scheduler


# -- running until stopped ------------------------------------------------------------------------


def serve(
    scheduler: Any,
    *,
    signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
    stop: threading.Event | None = None,
    before_start: Callable[[], None] | None = None,
) -> None:
    """Start ``scheduler`` and block until a signal (or ``stop``); then let a running scan finish
    (``shutdown(wait=True)``) and return. The handlers only set an event: the shutdown itself runs
    outside signal context."""
    stop = stop or threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            logger.warning("still stopping: waiting for the running scan to finish")
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        if before_start is not None:
            before_start()
        scheduler.start()
        for job in scheduler.get_jobs():
            when = job.next_run_time
            logger.info("schedule %s: next run %s", job.name, when.isoformat() if when else "-")
        while not stop.wait(timeout=1.0):
            pass
        logger.info("stopping: letting a running scan finish")
        scheduler.shutdown(wait=True)
        logger.info("stopped")
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
