"""``credaudit trend``: per tenant and severity over the recorded scans, on both backends."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.app.history import History, PostgresTarget, Target
from auditor.app.trend import chart_points, trend_rows
from auditor.cli import cli
from auditor.cli.trends import parse_since
from auditor.kernel.errors import UsageError
from auditor.kernel.model import Finding
from tests.auditor.test_history import T0, finding, scan


def sev(f: Finding, severity: str) -> Finding:
    return f.model_copy(update={"severity": severity})


def record_story(target: Target) -> None:
    """t1: A (high) open from day 1; B (critical) fixed on day 3 (MTTR 2 days), seen again as
    missing on a partial day 2 (proves nothing); C waived. t2 fails on day 2."""
    with History(target) as history:
        history.record(
            scan(
                1,
                {"t1": "complete", "t2": "complete"},
                [
                    finding("t1", "A"),
                    sev(finding("t1", "B"), "critical"),
                    finding("t1", "C", status="waived"),
                    finding("t2", "X"),
                ],
            )
        )
        history.record(
            scan(2, {"t1": "partial", "t2": "failed"}, [finding("t1", "A")])  # B unseen
        )
        history.record(
            scan(
                3,
                {"t1": "complete", "t2": "complete"},
                [
                    finding("t1", "A"),
                    finding("t1", "D"),
                    finding("t1", "C", status="waived"),
                    finding("t2", "X"),
                ],
            )
        )


def cells(
    rows: list[dict[str, object]], scan_id: str, tenant: str, severity: str
) -> tuple[object, ...]:
    (row,) = [
        r for r in rows if (r["scan_id"], r["tenant"], r["severity"]) == (scan_id, tenant, severity)
    ]
    keys = ("tenant_status", "failing", "waived", "new", "resolved", "mttr_days", "credentials")
    return tuple(row[k] for k in keys)


def test_trend_rows(history_target: Target) -> None:
    record_story(history_target)
    with History(history_target) as history:
        rows = [r.as_dict() for r in trend_rows(history)]
    assert len(rows) == 3 * 2 * 5  # scans x tenants x severities
    assert cells(rows, "scan0001", "t1", "high") == ("complete", 1, 1, 2, 0, None, 1)
    assert cells(rows, "scan0001", "t1", "critical") == ("complete", 1, 0, 1, 0, None, 1)
    # partial: B not seen, but not resolved either
    assert cells(rows, "scan0002", "t1", "critical") == ("partial", 0, 0, 0, 0, None, 1)
    # failed: no numbers at all, never zeros
    assert cells(rows, "scan0002", "t2", "high") == ("failed", *([None] * 6))
    # day 3: B resolved two days after it was first seen; D is new
    assert cells(rows, "scan0003", "t1", "critical") == ("complete", 0, 0, 0, 1, 2.0, 1)
    assert cells(rows, "scan0003", "t1", "high") == ("complete", 2, 1, 1, 0, None, 1)
    # t2's X persisted through the failure: not new, not resolved
    assert cells(rows, "scan0003", "t2", "high") == ("complete", 1, 0, 0, 0, None, 1)
    with History(history_target) as history:
        later = trend_rows(history, since=T0 + timedelta(days=2))
        points = chart_points(history, ["t2"])
    assert {r.scan_id for r in later} == {"scan0002", "scan0003"}
    assert [(p.scan_id, p.status, p.failing.get("high")) for p in points] == [
        ("scan0001", "complete", 1),
        ("scan0002", "failed", None),
        ("scan0003", "complete", 1),
    ]


def test_trend_command(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    record_story(db)
    runner = CliRunner()
    out = runner.invoke(cli, ["trend", "--database", str(db), "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert len(rows) == 30 and rows[0]["scan_id"] == "scan0001"
    failed = [r for r in rows if r["tenant_status"] == "failed"]
    assert failed and all(r["failing"] == "" for r in failed)
    out = runner.invoke(
        cli, ["trend", "--database", str(db), "--format", "json", "--since", "2026-11-04"]
    )
    assert {r["scan_id"] for r in json.loads(out.output)} == {"scan0003"}
    table = runner.invoke(cli, ["trend", "--database", str(db)]).output.splitlines()
    assert table[0].split()[:5] == ["scan_id", "as_of", "tenant", "tenant_status", "severity"]
    assert any(" failed " in line and line.split()[5] == "failed" for line in table[1:])
    nodb = runner.invoke(cli, ["trend", "--database", str(tmp_path / "none.db")])
    assert nodb.exit_code == 2 and "no history database" in nodb.output


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30d", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2w", datetime(2026, 11, 17, tzinfo=UTC)),
        ("2026-11-05", datetime(2026, 11, 5, tzinfo=UTC)),
        ("2026-11-05T06:00:00+02:00", datetime(2026, 11, 5, 4, tzinfo=UTC)),
    ],
)
def test_since(value: str, expected: datetime) -> None:
    assert parse_since(value, now=datetime(2026, 12, 1, tzinfo=UTC)) == expected


def test_bad_since() -> None:
    with pytest.raises(UsageError, match=r"--since.*30d"):
        parse_since("last tuesday")


def test_a_recorded_scan_carries_its_trend_for_the_report(tmp_path: Path) -> None:
    from auditor.app.runs import record_history
    from reports import html
    from tests.auditor.test_scheduler import loaded_with

    loaded = loaded_with(tmp_path, "history: {database: hist/h.db}\n")
    first, error = record_history(loaded, scan(1, {"t1": "complete"}, [finding("t1", "A")]))
    assert error is None and [p.scan_id for p in first.trend] == ["scan0001"]
    assert 'class="chart trend"' not in html.render(first)["report.html"]  # one scan: no chart
    second, error = record_history(loaded, scan(2, {"t1": "complete"}, []))
    assert error is None
    assert [(p.scan_id, p.failing["high"]) for p in second.trend] == [
        ("scan0001", 1),
        ("scan0002", 0),
    ]
    assert html.render(second)["report.html"].count('<svg class="trend"') == 1


def test_history_commands_read_a_postgresql_history(
    tmp_path: Path, pg_target: PostgresTarget
) -> None:
    """-c names a postgresql:// history; its password comes from the environment, never argv."""
    from tests.auditor.test_scheduler import write_config

    record_story(pg_target)
    config = write_config(
        tmp_path, f"history: {{database: '{pg_target.url}', password_env: HIST_PW}}\n"
    )
    assert pg_target.password is not None
    env = {"HIST_PW": pg_target.password.get_secret_value()}
    runner = CliRunner()
    out = runner.invoke(cli, ["trend", "-c", str(config), "--format", "json"], env=env)
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.output)) == 30
    listed = runner.invoke(cli, ["history", "-c", str(config)], env=env)
    assert listed.exit_code == 0 and listed.output.count("scan000") == 3
    missing = runner.invoke(cli, ["history", "-c", str(config)], env={"HIST_PW": ""})
    assert missing.exit_code == 2 and "HIST_PW is not set" in missing.output
    wrong = runner.invoke(cli, ["history", "-c", str(config)], env={"HIST_PW": "wrong-pw-4242"})
    assert wrong.exit_code == 2 and "password authentication failed" in wrong.output
    assert "wrong-pw-4242" not in wrong.output


def test_recording_marks_in_place_and_a_failure_gives_the_result_back_unmarked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``record_history`` marks the findings themselves (not copies: the memory of a large scan);
    when recording fails after marking (here: reading the trend back), the result it returns is
    exactly the unmarked one, so the reports say nothing of a history that was not updated."""
    import auditor.app.trend
    from auditor.app.runs import record_history
    from auditor.kernel.errors import HistoryError
    from tests.auditor.test_scheduler import loaded_with

    loaded = loaded_with(tmp_path, "history: {database: hist/h.db}\n")
    result = scan(1, {"t1": "complete"}, [finding("t1", "A"), finding("t1", "B")])
    before = [(f.model_dump(), set(f.model_fields_set)) for f in result.findings]

    def broken(*args: object, **kwargs: object) -> None:
        raise HistoryError("the trend cannot be read")

    monkeypatch.setattr(auditor.app.trend, "chart_points", broken)
    given, error = record_history(loaded, result)
    assert error == "the trend cannot be read" and given is result
    assert [(f.model_dump(), set(f.model_fields_set)) for f in given.findings] == before
    assert all(f.change is None and f.first_seen is None for f in given.findings)

    monkeypatch.undo()
    again = scan(2, {"t1": "complete"}, [finding("t1", "A")])
    marked, error = record_history(loaded, again)
    assert error is None
    (kept,) = marked.findings
    assert kept is again.findings[0] and kept.change == "persisting"  # marked in place
    assert "change" in kept.model_fields_set
