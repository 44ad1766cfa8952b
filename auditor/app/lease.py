"""The schedule lease: several ``credaudit schedule`` hosts against one history database never run
the same schedule at once, nor the same fire time twice.

One row per schedule in ``schedule_leases`` (schema version 2): the ``holder`` running it now,
until ``expires_us`` (microseconds since the epoch, by the holder's clock), and ``done_slot``, the
last fire time a run of it completed. Every read-then-write happens in one history write
transaction (``auditor.app.historydb``), so two hosts cannot both take a free lease.

- ``acquire``: succeeds when nobody holds the lease (or it expired, or this holder has it) and the
  fire time being run is later than ``done_slot``. A host that dies mid-scan never renews its lease:
  another host may take it once it expires.
- ``renew``: a running scan extends its lease (``auditor.app.scheduler`` does every third of the
  lease time); it fails when another host took an expired lease.
- ``release``: frees the lease and, when the run finished, records its fire time as done.

Clocks: expiry compares the taking host's clock with the holder's, so hosts need synchronised
clocks (NTP) and a lease time well above their skew; the default is 15 minutes, renewed every 5.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.app.history import History
from auditor.app.historydb import Target
from auditor.kernel.errors import AuditorError
from auditor.kernel.timestamps import format_timestamp, parse_timestamp

logger = logging.getLogger("credaudit.schedule")


def new_holder() -> str:
    """This process's name in the lease table: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _us(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)


def last_fire_time(trigger: Any, now: datetime, grace_seconds: int) -> datetime | None:
    """The schedule's latest fire time at or before ``now``, within its misfire grace time: the
    slot a run starting now belongs to (None: a run outside any slot, e.g. ``--run-now``)."""
    since = now - timedelta(seconds=grace_seconds)
    fire = trigger.get_next_fire_time(None, since)
    last = None
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return last.astimezone(UTC) if last is not None else None


class LeaseStore:
    """Leases in the history database ``target``; opens a connection per call, so one store can
    be used from the scheduler's worker threads."""

    def __init__(
        self,
        target: Target,
        *,
        holder: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.target = target
        self.holder = holder or new_holder()
        self.clock = clock

    def acquire(self, schedule: str, slot: datetime | None, seconds: int) -> str | None:
        """Take the lease for ``seconds``; None when taken, else why not (for the log line)."""
        now = self.clock()
        with History(self.target) as history, history.backend.write() as db:
            row = db.execute(
                "SELECT holder, expires_us, done_slot FROM schedule_leases WHERE schedule = ?",
                (schedule,),
            ).fetchone()
            if row is not None:
                holder, expires_us, done_slot = row
                if (
                    holder and holder != self.holder and expires_us >= _us(now)
                ):  # held through expiry
                    return f"host {holder} holds it"
                done = parse_timestamp(done_slot) if done_slot else None
                if slot is not None and done is not None and done >= slot:
                    return f"the run for {format_timestamp(slot)} already happened"
            db.execute(
                "INSERT INTO schedule_leases (schedule, holder, expires_us, done_slot) "
                "VALUES (?, ?, ?, NULL) ON CONFLICT (schedule) DO UPDATE SET "
                "holder = excluded.holder, expires_us = excluded.expires_us",
                (schedule, self.holder, _us(now + timedelta(seconds=seconds))),
            )
        return None

    def renew(self, schedule: str, seconds: int) -> bool:
        """Extend a lease this holder has; False when another host took it."""
        until = _us(self.clock() + timedelta(seconds=seconds))
        with History(self.target) as history, history.backend.write() as db:
            row = db.execute(
                "SELECT holder FROM schedule_leases WHERE schedule = ?", (schedule,)
            ).fetchone()
            if row is None or row[0] != self.holder:
                return False
            db.execute(
                "UPDATE schedule_leases SET expires_us = ? WHERE schedule = ?", (until, schedule)
            )
        return True

    def release(self, schedule: str, slot: datetime | None, *, done: bool) -> None:
        """Free a lease this holder has; with ``done``, the slot's run happened."""
        with History(self.target) as history, history.backend.write() as db:
            row = db.execute(
                "SELECT holder, done_slot FROM schedule_leases WHERE schedule = ?", (schedule,)
            ).fetchone()
            if row is None or row[0] != self.holder:
                return  # expired and taken over: the new holder's row is not ours to change
            done_slot = row[1]
            if done and slot is not None:
                done_slot = format_timestamp(slot)
            db.execute(
                "UPDATE schedule_leases SET holder = NULL, expires_us = 0, done_slot = ? "
                "WHERE schedule = ?",
                (done_slot, schedule),
            )

    def rows(self) -> list[tuple[Any, ...]]:
        with History(self.target) as history:
            return [
                tuple(row)
                for row in history.backend.execute(
                    "SELECT schedule, holder, expires_us, done_slot FROM schedule_leases "
                    "ORDER BY schedule"
                )
            ]


def keep_renewed(
    leases: LeaseStore, name: str, seconds: int, every: float, stop: threading.Event
) -> None:
    """A running scan's heartbeat (its own thread): renew ``name``'s lease every ``every``
    seconds until ``stop``; log, and stop renewing, once another host took an expired lease."""
    while not stop.wait(timeout=every):
        try:
            if not leases.renew(name, seconds):
                logger.error(
                    "schedule %s: the lease expired and another host took it; "
                    "raise schedules[].lease_seconds",
                    name,
                )
                return
        except (AuditorError, OSError) as exc:
            logger.error("schedule %s: cannot renew the lease: %s", name, exc)
