"""The schedule lease: several scheduler hosts against one history database (SQLite and a real
PostgreSQL server) never run a schedule twice at once, nor one fire time twice; a dead host's
lease expires."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from auditor.app.historydb import PostgresTarget, Target
from auditor.app.historytarget import history_target as target_of
from auditor.app.lease import LeaseStore, last_fire_time
from auditor.app.scheduler import RunRecord, ScheduledRunner, make_trigger
from auditor.kernel.errors import ConfigError
from tests.auditor.test_scheduler import Clock, FakeOutcome, empty_result, loaded_with

FIRE = datetime(2026, 11, 24, 2, tzinfo=UTC)
SCHEDULE = "schedules:\n  - {name: nightly, cron: '0 2 * * *', lease_seconds: 60}\n"


def host(tmp_path: Path, name: str, target: Target, clock: Clock, scan: object) -> ScheduledRunner:
    """One scheduler host: its own output folder (so its own run lock), the shared database."""
    folder = tmp_path / name
    folder.mkdir()
    loaded = loaded_with(folder, SCHEDULE)
    leases = LeaseStore(target, holder=name, clock=clock)
    return ScheduledRunner(loaded, scan, clock=clock, leases=leases)  # type: ignore[arg-type]


def test_one_holder_at_a_time_and_expiry(history_target: Target) -> None:
    clock = Clock(FIRE)
    a = LeaseStore(history_target, holder="a", clock=clock)
    b = LeaseStore(history_target, holder="b", clock=clock)
    assert a.acquire("nightly", FIRE, 60) is None
    assert b.acquire("nightly", FIRE, 60) == "host a holds it"
    clock.now += timedelta(seconds=59)
    assert b.acquire("nightly", FIRE, 60) == "host a holds it"  # one second before expiry
    assert a.renew("nightly", 60)  # a is alive: until 60 s from now
    clock.now += timedelta(seconds=60)
    assert b.acquire("nightly", FIRE, 60) == "host a holds it"  # exactly at expiry: still a's
    clock.now += timedelta(microseconds=1)
    assert b.acquire("nightly", FIRE, 60) is None  # a died: expired, b takes over the fire time
    assert not a.renew("nightly", 60)  # a lost it
    a.release("nightly", FIRE, done=True)  # and cannot clobber b's row
    assert b.rows()[0][1] == "b"
    b.release("nightly", FIRE, done=True)
    assert b.rows() == [("nightly", None, 0, "2026-11-24T02:00:00Z")]


def test_a_fire_time_runs_once(history_target: Target) -> None:
    clock = Clock(FIRE)
    a = LeaseStore(history_target, holder="a", clock=clock)
    b = LeaseStore(history_target, holder="b", clock=clock)
    assert a.acquire("nightly", FIRE, 60) is None
    a.release("nightly", FIRE, done=True)
    clock.now += timedelta(minutes=3)  # b's clock or scheduler is late: the run already happened
    assert b.acquire("nightly", FIRE, 60) == "the run for 2026-11-24T02:00:00Z already happened"
    assert b.acquire("weekly", FIRE, 60) is None  # other schedules are independent
    assert b.acquire("nightly", None, 60) is None  # a run asked for (--run-now) still runs
    b.release("nightly", None, done=True)
    assert a.acquire("nightly", FIRE + timedelta(days=1), 60) is None  # the next fire time


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (FIRE - timedelta(microseconds=1), FIRE - timedelta(days=1)),  # within a day's grace
        (FIRE, FIRE),
        (FIRE + timedelta(seconds=3600), FIRE),
        (FIRE + timedelta(days=1, microseconds=-1), FIRE),
    ],
)
def test_the_slot_is_the_latest_fire_time(
    tmp_path: Path, now: datetime, expected: datetime
) -> None:
    loaded = loaded_with(tmp_path, SCHEDULE)
    trigger = make_trigger(loaded.config.schedules[0])
    assert last_fire_time(trigger, now, 86_400) == expected
    assert last_fire_time(trigger, FIRE + timedelta(seconds=61), 60) is None  # beyond grace


def test_two_scheduler_hosts_run_a_fire_time_once(tmp_path: Path, history_target: Target) -> None:
    clock = Clock(FIRE)
    running, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def scan(name: str) -> object:
        def run(cfg: object, run_dir: Path, as_of: datetime) -> FakeOutcome:
            ran.append(name)
            running.set()
            assert release.wait(timeout=60)
            return FakeOutcome(empty_result())

        return run

    a = host(tmp_path, "a", history_target, clock, scan("a"))
    b = host(tmp_path, "b", history_target, clock, scan("b"))
    records: dict[str, RunRecord] = {}
    first = threading.Thread(target=lambda: records.setdefault("a", a("nightly")))
    first.start()
    assert running.wait(timeout=60)
    records["b"] = b("nightly")  # both fired at 02:00; a is mid-scan
    release.set()
    first.join()
    assert (records["a"].status, records["b"].status) == ("complete", "skipped")
    assert records["b"].log == {"skipped": "host a holds it"}
    clock.now += timedelta(minutes=2)  # b fires again for the same time (a late clock): no
    assert b("nightly").status == "skipped"
    clock.now = FIRE + timedelta(days=1)  # the next night: whoever fires first runs it
    assert b("nightly").status == "complete"
    assert ran == ["a", "b"]


def test_a_host_dying_mid_scan_loses_the_lease(tmp_path: Path, history_target: Target) -> None:
    clock = Clock(FIRE)
    dead = LeaseStore(history_target, holder="dead", clock=clock)
    assert dead.acquire("nightly", FIRE, 60) is None  # ... and the process is killed
    b = host(tmp_path, "b", history_target, clock, lambda *_: FakeOutcome(empty_result()))
    assert b("nightly").status == "skipped"
    clock.now += timedelta(seconds=61)
    assert b("nightly").status == "complete"  # within the misfire grace: the run happens


def test_a_long_scan_renews_its_lease(tmp_path: Path, history_target: Target) -> None:
    clock = Clock(FIRE)
    other = LeaseStore(history_target, holder="b", clock=clock)
    outcome: dict[str, str | None] = {}

    def scan(cfg: object, run_dir: Path, as_of: datetime) -> FakeOutcome:
        start = other.rows()[0][2]
        clock.now += timedelta(seconds=300)  # far beyond the 60 s lease
        for _ in range(400):  # the heartbeat (every 10 ms here) extends it from the new now
            if other.rows()[0][2] > start:
                break
            threading.Event().wait(0.01)
        outcome["while running"] = other.acquire("nightly", FIRE, 60)
        return FakeOutcome(empty_result())

    a = host(tmp_path, "a", history_target, clock, scan)
    a.renew_every = 0.01
    assert a("nightly").status == "complete"
    assert outcome == {"while running": "host a holds it"}


def test_no_lease_database_fails_the_run(tmp_path: Path) -> None:
    clock = Clock(FIRE)
    blocked = tmp_path / "file"
    blocked.write_text("")
    runner = host(tmp_path, "a", blocked / "h.db", clock, lambda *_: FakeOutcome(empty_result()))
    record = runner("nightly")
    assert record.status == "failed"
    assert record.error is not None and "cannot take the schedule lease" in record.error


def test_the_configuration_names_a_postgresql_history(tmp_path: Path) -> None:
    url = "postgresql://credaudit@db.example:5432/credaudit"
    loaded = loaded_with(tmp_path, f"history: {{database: '{url}', password_env: PGPW}}\n")
    with pytest.raises(ConfigError, match="PGPW is not set"):
        target_of(loaded, env={})
    target = target_of(loaded, env={"PGPW": "pw-value-123"})
    assert target == PostgresTarget(url, SecretStr("pw-value-123"))
    assert "pw-value-123" not in repr(target) + str(target)
    with pytest.raises(ConfigError, match="holds a password") as caught:
        loaded_with(tmp_path, "history: {database: 'postgresql://u:sekrit99@h/db'}\n")
    assert "sekrit99" not in str(caught.value)
    with pytest.raises(ConfigError, match="only apply to a postgresql"):
        loaded_with(tmp_path, "history: {database: h.db, password_env: PGPW}\n")
    sqlite = target_of(loaded_with(tmp_path, "history: {database: sub/h.db}\n"))
    assert sqlite == tmp_path / "sub" / "h.db"


def test_the_history_password_is_a_known_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outputs are checked against every configured secret: the shared history's password is
    one (and an unset one is simply not known, never an error for a report)."""
    from auditor.app.runs import known_secrets

    url = "postgresql://credaudit@db.example:5432/credaudit"
    loaded = loaded_with(tmp_path, f"history: {{database: '{url}', password_env: PGPW}}\n")
    monkeypatch.delenv("PGPW", raising=False)
    assert not known_secrets(loaded).contains("pw-value-1234567890")
    monkeypatch.setenv("PGPW", "pw-value-1234567890")
    assert known_secrets(loaded).contains("a report quoting pw-value-1234567890 by mistake")
