"""Scheduled scans: job set-up, run folders, retention, health, log line, notification, signals."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from auditor.app.bundlecheck import verify_bundle
from auditor.app.config import LoadedConfig, ScheduleConfig, load_config
from auditor.app.cron import cron_trigger, cron_weekdays
from auditor.app.notify import Notifier
from auditor.app.runfolders import (
    new_run_dir,
    prune,
    read_health,
    run_dirs,
    run_lock,
    update_latest,
)
from auditor.app.runs import scheduled_scan
from auditor.app.sandbox import Sandbox, Simulation
from auditor.app.scheduler import (
    ScheduledRunner,
    build_scheduler,
    check_schedules,
    serve,
)
from auditor.cli import cli
from auditor.kernel.errors import ConfigError, ProviderError
from auditor.kernel.model import Evaluation, ScanInfo, ScanResult, ToolInfo
from tests.auditor.test_notify import TOKEN_PATH, Recorder

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
UTC_ZONE = "UTC"


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line)
    return {name: value.strip("'") for name, value in pairs}


def write_config(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(
        "tenants:\n"
        "  - name: acme\n"
        "    provider: sailpoint\n"
        "    base_url: https://acme.api.identitynow.com\n"
        "    client_id: id\n"
        "    client_secret_env: SECRET\n" + text
    )
    return path


def loaded_with(tmp_path: Path, text: str) -> LoadedConfig:
    return load_config(write_config(tmp_path, text), env={"SECRET": "s" * 20})


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# -- job set-up -----------------------------------------------------------------------------------


def test_jobs_are_set_up_without_starting(tmp_path: Path) -> None:
    loaded = loaded_with(
        tmp_path,
        "schedules:\n"
        "  - {name: nightly, cron: '0 2 * * 1-5', timezone: Europe/Paris, "
        "misfire_grace_seconds: 600}\n"
        "  - {name: weekly, cron: '30 6 * * 0'}\n",
    )
    scheduler = build_scheduler(loaded, lambda name: None)
    assert not scheduler.running
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["schedule:nightly", "schedule:weekly"]
    nightly, weekly = jobs["schedule:nightly"], jobs["schedule:weekly"]
    assert nightly.args == ("nightly",)
    assert (nightly.max_instances, nightly.coalesce, nightly.misfire_grace_time) == (1, True, 600)
    assert (weekly.max_instances, weekly.coalesce, weekly.misfire_grace_time) == (1, True, 3600)
    assert str(nightly.trigger.timezone) == "Europe/Paris"
    fields = {f.name: str(f) for f in nightly.trigger.fields}
    assert [fields[k] for k in ("minute", "hour", "day", "month")] == ["0", "2", "*", "*"]
    assert fields["day_of_week"] == "mon,tue,wed,thu,fri"
    assert {f.name: str(f) for f in weekly.trigger.fields}["day_of_week"] == "sun"
    assert str(weekly.trigger.timezone) == "UTC"
    assert scheduler._executors["default"]._pool._max_workers == 2
    # 2 a.m. Paris is 01:00 UTC in winter; the next weekday after Tuesday 24 Nov is Wednesday
    assert nightly.trigger.get_next_fire_time(None, AS_OF + timedelta(hours=5)) == datetime(
        2026, 11, 25, 1, 0, tzinfo=UTC
    )
    assert not hasattr(nightly, "next_run_time")  # pending: the trigger decides at start


def test_run_now_sets_the_first_run_time(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "schedules:\n  - {name: nightly, cron: '0 2 * * *'}\n")
    scheduler = build_scheduler(loaded, lambda name: None, run_now=True, now=lambda: AS_OF)
    (job,) = scheduler.get_jobs()
    assert job.next_run_time == AS_OF


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("*", "*"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("mon,wed", "mon,wed"),
        ("1/2", "sun,mon,wed,fri"),
    ],
)
def test_crontab_weekdays_mean_what_cron_means(field: str, expected: str) -> None:
    assert cron_weekdays(field) == expected


@pytest.mark.parametrize("field", ["8", "5-1", "*/0", "funday"])
def test_bad_weekdays_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match="day-of-week"):
        cron_weekdays(field)


def test_day_of_month_and_weekday_together_fire_on_either() -> None:
    from zoneinfo import ZoneInfo

    trigger = cron_trigger("0 2 1 * 1", ZoneInfo("UTC"))
    fired, when = [], AS_OF
    for _ in range(3):
        when = trigger.get_next_fire_time(None, when)
        fired.append(when)
        when += timedelta(seconds=1)
    assert fired == [
        datetime(2026, 11, 30, 2, tzinfo=UTC),  # a Monday
        datetime(2026, 12, 1, 2, tzinfo=UTC),  # the 1st (a Tuesday)
        datetime(2026, 12, 7, 2, tzinfo=UTC),  # a Monday
    ]


def test_a_run_missed_while_down_is_due_within_the_grace_time(tmp_path: Path) -> None:
    loaded = loaded_with(
        tmp_path,
        "schedules:\n  - {name: nightly, cron: '0 2 * * *', misfire_grace_seconds: 3600}\n",
    )
    clock = Clock(datetime(2026, 11, 24, 2, 30, tzinfo=UTC))
    runner = ScheduledRunner(loaded, lambda cfg, run_dir, as_of: FakeOutcome(empty_result()))
    runner.clock = clock
    assert runner.missed("nightly") is False  # never ran here: nothing to catch up
    runner.started()  # at start-up, before any run: monitoring sees the next run
    health = tmp_path / "reports" / "nightly" / "health.json"
    assert read_health(health) == {
        "schedule": "nightly",
        "last_run": None,
        "last_status": None,
        "last_success": None,
        "next_run": "2026-11-25T02:00:00Z",
        "duration_seconds": None,
        "error": None,
    }
    assert runner.missed("nightly") is False
    health.write_text(json.dumps({"last_run": "2026-11-23T02:00:00Z"}))
    assert runner.missed("nightly") is True  # 02:00 passed half an hour ago, unrun
    clock.now = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    assert runner.missed("nightly") is False  # beyond the grace time: wait for tomorrow
    health.write_text(json.dumps({"last_run": "2026-11-24T02:00:00Z"}))
    clock.now = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
    assert runner.missed("nightly") is False  # it did run
    scheduler = build_scheduler(loaded, runner, due=["nightly"], now=clock)
    assert scheduler.get_job("schedule:nightly").next_run_time == clock.now


def test_cron_expressions_are_checked_with_crontab_semantics(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "schedules:\n  - {name: n, cron: '0 2 * * 1-5'}\n")
    check_schedules(loaded)
    # past the config's own check (it validates with APScheduler's numbering)
    unchecked = ScheduleConfig.model_construct(
        name="n", cron="0 2 * * 9", timezone="UTC", keep_last=30, misfire_grace_seconds=3600
    )
    bad = dataclasses.replace(
        loaded, config=loaded.config.model_copy(update={"schedules": (unchecked,)})
    )
    with pytest.raises(ConfigError) as caught:
        check_schedules(bad)
    assert caught.value.key == "schedules[0].cron"
    assert "day-of-week '9'" in str(caught.value)


# -- run folders, latest, pruning -----------------------------------------------------------------


def test_run_folders_are_unique_and_pruned_oldest_first(tmp_path: Path) -> None:
    folder = tmp_path / "nightly"
    first = new_run_dir(folder, AS_OF)
    again = new_run_dir(folder, AS_OF.astimezone())  # same instant in another zone
    assert (first.name, again.name) == ("20261124T000000Z", "20261124T000000Z-2")
    for name in ("20261124T000000Z-10", "20261123T000000Z", "20261125T000000Z"):
        (folder / name).mkdir()
    (folder / "notes").mkdir()
    (folder / "20260101T000000Z.bak").mkdir()
    (folder / "20260102T000000Z").write_text("a file named like a run")
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "20200101T000000Z").symlink_to(outside)
    assert [p.name for p in run_dirs(folder)] == [
        "20261123T000000Z",
        "20261124T000000Z",
        "20261124T000000Z-2",
        "20261124T000000Z-10",
        "20261125T000000Z",
    ]
    update_latest(folder, folder / "20261123T000000Z")
    removed = prune(folder, 2, current=folder / "20261124T000000Z-2")
    # the newest two stay; of the older ones, the current run and latest's target stay too
    assert [p.name for p in removed] == ["20261124T000000Z"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "20200101T000000Z",
        "20260101T000000Z.bak",
        "20260102T000000Z",
        "20261123T000000Z",
        "20261124T000000Z-10",
        "20261124T000000Z-2",
        "20261125T000000Z",
        "latest",
        "notes",
    ]
    assert outside.is_dir()


def test_latest_is_a_relative_symlink_or_a_pointer_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = new_run_dir(tmp_path, AS_OF)
    update_latest(tmp_path, run)
    assert os.readlink(tmp_path / "latest") == "20261124T000000Z"
    nxt = new_run_dir(tmp_path, AS_OF + timedelta(days=1))
    update_latest(tmp_path, nxt)
    assert os.readlink(tmp_path / "latest") == "20261125T000000Z"

    def no_symlinks(*args: Any, **kwargs: Any) -> None:
        raise OSError("symbolic links are not supported")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    other = tmp_path / "other"
    other.mkdir()
    update_latest(other, nxt)
    assert (other / "latest.txt").read_text() == "20261125T000000Z\n"
    assert [p.name for p in other.iterdir()] == ["latest.txt"]  # no temporary file left


# -- a run through the job function ---------------------------------------------------------------


@dataclass(frozen=True)
class FakeOutcome:
    result: ScanResult
    history_error: str | None = None


def empty_result(status: str = "complete") -> ScanResult:
    return ScanResult(
        tool=ToolInfo(version="0"),
        scan=ScanInfo(id="x", started_at=AS_OF, finished_at=AS_OF, as_of=AS_OF, status=status),
        coverage=(),
        credentials=(),
        evaluation=Evaluation(),
    )


def log_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(r.getMessage())
        for r in caplog.records
        if r.name == "credaudit.schedule" and r.getMessage().startswith("{")
    ]


def test_a_failing_run_is_logged_notified_and_the_next_one_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loaded = loaded_with(tmp_path, "schedules:\n  - {name: nightly, cron: '0 2 * * *'}\n")
    posted: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200)

    notifier = Notifier(
        SecretStr("https://hooks.example.com/x/y"), transport=httpx.MockTransport(handler)
    )
    answers: list[Any] = [
        FakeOutcome(empty_result()),
        ProviderError("acme: token endpoint refused"),
        RuntimeError("s" * 20),  # a crash whose message quotes the tenant secret
    ]

    def scan(cfg: LoadedConfig, run_dir: Path, as_of: datetime) -> FakeOutcome:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        (run_dir / "results.json").write_text("{}")
        return answer  # type: ignore[no-any-return]

    clock = Clock(datetime(2026, 11, 24, 2, tzinfo=UTC))
    runner = ScheduledRunner(loaded, scan, notifier=notifier, clock=clock)
    with caplog.at_level(logging.INFO):
        ok = runner("nightly")
        clock.now += timedelta(days=1)
        failed = runner("nightly")
        clock.now += timedelta(days=1)
        crashed = runner("nightly")
    assert (ok.status, failed.status, crashed.status) == ("complete", "failed", "failed")
    assert failed.error == "acme: token endpoint refused"
    assert crashed.error == "internal error (RuntimeError); run with -v and report it"
    assert (ok.notified, failed.notified, crashed.notified) == (False, True, True)
    assert [p["scan"]["error"] for p in posted] == [failed.error, crashed.error]
    folder = tmp_path / "reports" / "nightly"
    assert os.readlink(folder / "latest") == "20261124T020000Z"  # the last run with reports
    health = read_health(folder / "health.json")
    assert health == {
        "schedule": "nightly",
        "last_run": "2026-11-26T02:00:00Z",
        "last_status": "failed",
        "last_success": "2026-11-24T02:00:00Z",
        "next_run": "2026-11-27T02:00:00Z",
        "duration_seconds": crashed.duration_seconds,
        "error": crashed.error,
    }
    run = json.loads((folder / "20261125T020000Z" / "run.json").read_text())
    assert (run["status"], run["error"]) == ("failed", "acme: token endpoint refused")
    assert [line["status"] for line in log_lines(caplog)] == ["complete", "failed", "failed"]
    assert "s" * 20 not in caplog.text


def test_a_schedule_another_process_is_running_is_skipped(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "schedules:\n  - {name: nightly, cron: '0 2 * * *'}\n")
    calls: list[Path] = []

    def scan(cfg: LoadedConfig, run_dir: Path, as_of: datetime) -> FakeOutcome:
        calls.append(run_dir)
        return FakeOutcome(empty_result())

    runner = ScheduledRunner(loaded, scan, clock=Clock(AS_OF))
    folder = tmp_path / "reports" / "nightly"
    with run_lock(folder) as held:  # another process's lock (a separate open file)
        assert held is True
        skipped = runner("nightly")
    assert (skipped.status, calls) == ("skipped", [])
    assert runner("nightly").status == "complete"
    assert [p.name for p in calls] == ["20261124T000000Z"]


def test_a_history_failure_fails_the_run_but_keeps_its_reports(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "schedules:\n  - {name: nightly, cron: '0 2 * * *'}\n")
    runner = ScheduledRunner(
        loaded,
        lambda cfg, run_dir, as_of: FakeOutcome(empty_result(), "history database locked"),
        clock=Clock(AS_OF),
    )
    record = runner("nightly")
    assert (record.status, record.error) == ("failed", "history database locked")
    assert os.readlink(tmp_path / "reports" / "nightly" / "latest") == "20261124T000000Z"


def test_a_notification_failure_does_not_fail_the_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loaded = loaded_with(tmp_path, "schedules:\n  - {name: nightly, cron: '0 2 * * *'}\n")
    sleeps: list[float] = []
    notifier = Notifier(
        SecretStr("https://hooks.example.com" + TOKEN_PATH),
        sleep=sleeps.append,
        jitter=lambda: 1.0,  # the top of the HTTP client's equal-jitter range
        transport=httpx.MockTransport(lambda request: httpx.Response(500)),
    )
    runner = ScheduledRunner(
        loaded,
        lambda cfg, run_dir, as_of: FakeOutcome(empty_result("partial")),
        notifier=notifier,
        clock=Clock(AS_OF),
    )
    with caplog.at_level(logging.DEBUG):
        record = runner("nightly")
    assert (record.status, record.error, record.notified) == ("partial", None, False)
    assert sleeps == [1.0, 2.0, 4.0]
    assert "notification not delivered: webhook answered HTTP 500" in caplog.text
    assert TOKEN_PATH not in caplog.text
    assert read_health(tmp_path / "reports" / "nightly" / "health.json")["last_status"] == "partial"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    server = Sandbox(Simulation(as_of=AS_OF), port=0)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def test_scheduled_runs_against_the_simulated_tenants(
    sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, env_file = sandbox.write_config(tmp_path)
    with config.open("a") as handle:
        handle.write(
            "schedules:\n"
            "  - {name: nightly, cron: '0 2 * * *', keep_last: 2}\n"
            "notify: {webhook_url_env: HOOK, min_severity: critical}\n"
            "evidence: {}\n"
        )
    with Recorder() as hook:
        env = {**read_env(env_file), "HOOK": hook.url}
        loaded = load_config(config, env=env)
        clock = Clock(datetime(2026, 11, 24, 2, tzinfo=UTC))
        runner = ScheduledRunner(
            loaded,
            lambda cfg, run_dir, as_of: scheduled_scan(cfg, run_dir, as_of, quiet=True),
            notifier=Notifier.from_config(loaded),
            clock=clock,
        )
        records = []
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                # three runs asked for within one fire time's grace (a run of that fire time
                # already happened is otherwise skipped: test_schedule_lease.py)
                runner.forced.add("nightly")
                records.append(runner("nightly"))
                clock.now += timedelta(hours=1)
    folder = tmp_path / "sandbox-reports" / "nightly"
    assert [r.status for r in records] == ["complete"] * 3
    assert sorted(p.name for p in folder.iterdir()) == [
        ".run.lock",
        "20261124T030000Z",
        "20261124T040000Z",
        "health.json",
        "latest",
    ]
    assert os.readlink(folder / "latest") == "20261124T040000Z"
    newest = folder / "20261124T040000Z"
    assert sorted(p.name for p in newest.iterdir()) == [
        "assessment-results.oscal.json",  # every format by default (issue 17)
        "evidence.zip",
        "findings.csv",
        "findings.ocsf.jsonl",
        "inventory.csv",
        "report.html",
        "report.md",
        "results.json",
        "run.json",
    ]
    assert verify_bundle(newest / "evidence.zip").ok
    doc = json.loads((newest / "results.json").read_text())
    assert doc["scan"]["as_of"] == "2026-11-24T04:00:00Z"
    assert doc["scan"]["status"] == "complete"
    assert (tmp_path / "credaudit.db").is_file()  # the history next to the configuration
    assert read_health(folder / "health.json") == {
        "schedule": "nightly",
        "last_run": "2026-11-24T04:00:00Z",
        "last_status": "complete",
        "last_success": "2026-11-24T04:00:00Z",
        "next_run": "2026-11-25T02:00:00Z",
        "duration_seconds": records[2].duration_seconds,
        "error": None,
    }
    lines = log_lines(caplog)
    assert [line["run"] for line in lines] == [r.run_dir.name for r in records]
    first, second, _ = lines
    summary = doc["summary"]
    assert first == {
        "event": "scheduled_run",
        "schedule": "nightly",
        "run": "20261124T020000Z",
        "status": "complete",
        "duration_seconds": records[0].duration_seconds,
        "tenants": 2,
        "tenants_failed": 0,
        "credentials": summary["credentials"],
        "findings": summary["by_severity"],
        "new_findings": summary["findings"],  # the first scan: every failing finding is new
        "scan_id": first["scan_id"],
        "error": None,
    }
    assert second["new_findings"] == 0
    assert summary["by_severity"]["critical"] > 0
    # only the first run had new critical findings: one message
    assert [r.notified for r in records] == [True, False, False]
    (body,) = hook.bodies
    assert body["scan"]["run"] == "20261124T020000Z"
    assert body["new_findings_total"] == summary["by_severity"]["critical"]
    assert {f["severity"] for f in body["new_findings"]} == {"critical"}
    secrets = [v for k, v in env.items() if k.endswith("SECRET")]
    assert all(s not in json.dumps(body) for s in secrets)


def test_serve_lets_the_running_job_finish(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "schedules:\n  - {name: nightly, cron: '0 2 1 1 *'}\n")
    stop = threading.Event()
    done: list[str] = []

    def runner(name: str) -> None:
        stop.set()  # "SIGTERM" arrives while the run is in progress
        done.append(name)

    serve(build_scheduler(loaded, runner, run_now=True), signals=(), stop=stop)
    assert done == ["nightly"]


# -- the command ----------------------------------------------------------------------------------


def test_schedule_without_schedules_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "")
    result = CliRunner().invoke(cli, ["schedule", "-c", str(config)], env={"SECRET": "s" * 20})
    assert result.exit_code == 2
    assert "no `schedules` configured" in result.output


def test_schedule_refuses_a_plain_http_webhook_without_quoting_it(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "schedules:\n  - {name: n, cron: '0 2 * * *'}\nnotify: {webhook_url_env: HOOK}\n",
    )
    hook = "http://hooks.example.com/services/T/B/tokenvalue"
    result = CliRunner().invoke(
        cli, ["schedule", "-c", str(config)], env={"SECRET": "s" * 20, "HOOK": hook}
    )
    assert result.exit_code == 2
    assert "must use https://" in result.output
    assert "tokenvalue" not in result.output


@pytest.mark.e2e
def test_sigterm_during_a_run_lets_it_finish_and_exits_0(tmp_path: Path) -> None:
    server = Sandbox(Simulation(as_of=AS_OF, latency_ms=150), port=0)
    server.start_in_thread()
    try:
        config, env_file = server.write_config(tmp_path)
        with config.open("a") as handle:
            handle.write("schedules:\n  - {name: nightly, cron: '0 2 1 1 *'}\n")
        env = {**os.environ, **read_env(env_file)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "auditor", "schedule", "-c", str(config), "--run-now"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        folder = tmp_path / "sandbox-reports" / "nightly"
        try:
            deadline = time.monotonic() + 60
            while not run_dirs(folder) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)  # polling for the run to start, bounded by the deadline
            assert run_dirs(folder), "the run never started"
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    finally:
        server.stop()
    assert proc.returncode == 0, stderr
    (run,) = run_dirs(folder)
    assert (run / "results.json").is_file()
    health = read_health(folder / "health.json")
    assert health["last_status"] == "complete"
    # the stop was requested before the run ended, and the run still completed
    stopping = stderr.index("stopping: letting a running scan finish")
    finished = stderr.index('"event": "scheduled_run"')
    assert stopping < finished, stderr
    assert stderr.rstrip().endswith("stopped")


@pytest.mark.parametrize("kind", ["fifo", "huge", "not json", "a list", "missing"])
def test_a_health_file_credaudit_did_not_write_reads_as_empty(tmp_path: Path, kind: str) -> None:
    """A FIFO in its place would hang ``read_text``; a huge one fill memory: neither is read."""
    import os

    from auditor.app.runfolders import HEALTH_LIMIT

    path = tmp_path / "health.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "huge":
        path.write_text('{"last_run": "' + "x" * HEALTH_LIMIT + '"}')
    elif kind == "not json":
        path.write_text("{")
    elif kind == "a list":
        path.write_text("[]")
    assert read_health(path) == {}
