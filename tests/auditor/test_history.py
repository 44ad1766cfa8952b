"""History: new / persisting / resolved across scans, diff, migrations, concurrent writers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from auditor.app.history import (
    MIGRATIONS,
    SCHEMA_VERSION,
    History,
    PostgresTarget,
    Target,
    canonical_hash,
)
from auditor.app.historyschema import PG_MIGRATIONS
from auditor.app.scandiff import OPEN_STATUSES
from auditor.kernel.errors import HistoryError
from auditor.kernel.model import (
    Capabilities,
    Credential,
    Evaluation,
    Finding,
    ScanInfo,
    ScanResult,
    TenantCoverage,
    ToolInfo,
    fingerprint,
    scan_status,
)
from tests.pgserver import PASSWORD_ENV

T0 = datetime(2026, 11, 1, tzinfo=UTC)
CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)


def finding(tenant: str, cred: str, rule: str = "stale", status: str = "fail") -> Finding:
    return Finding(
        rule_id=rule,
        status=status,
        severity="high",
        provider="sailpoint",
        tenant=tenant,
        credential_id=cred,
        message=f"{cred} {rule} {status}",
        fingerprint=fingerprint(tenant, cred, rule),
    )


def scan(
    day: int,
    tenants: dict[str, str],
    findings: list[Finding],
    scan_id: str | None = None,
) -> ScanResult:
    """A scan on day ``day`` with the given tenant coverage statuses and findings."""
    when = T0 + timedelta(days=day)
    coverage = tuple(
        TenantCoverage(tenant=t, provider="sailpoint", status=s, credential_count=1)
        for t, s in tenants.items()
    )
    credentials = tuple(
        Credential(provider="sailpoint", tenant=t, id=f"{t}-cred", capabilities=CAPS)
        for t, s in tenants.items()
        if s != "failed"
    )
    return ScanResult(
        tool=ToolInfo(version="9.9"),
        scan=ScanInfo(
            id=scan_id or f"scan{day:04d}",
            started_at=when,
            finished_at=when + timedelta(minutes=1),
            as_of=when,
            status=scan_status(coverage),
        ),
        coverage=coverage,
        credentials=credentials,
        evaluation=Evaluation(findings=tuple(findings), policy={"stale": {"max_idle_days": 90}}),
    )


def marks(result: ScanResult) -> dict[str, tuple[str | None, datetime | None]]:
    return {f.credential_id: (f.change, f.first_seen) for f in result.findings}


def resolved(result: ScanResult) -> set[str]:
    return {f.credential_id for f in result.resolved}


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def test_three_scans_with_a_partial_one_in_the_middle(history_target: Target) -> None:
    with History(history_target) as history:
        first = history.record(
            scan(
                1,
                {"t1": "complete", "t2": "complete"},
                [finding("t1", c) for c in "ABCE"] + [finding("t2", "X")],
            )
        )
        assert marks(first) == {
            "A": ("new", day(1)),
            "B": ("new", day(1)),
            "C": ("new", day(1)),
            "E": ("new", day(1)),
            "X": ("new", day(1)),
        }
        assert first.resolved == ()

        # t1 partial: B and C are not seen (maybe not collected), D appears; E is now waived.
        # t2 complete with nothing open: X is resolved there.
        second = history.record(
            scan(
                2,
                {"t1": "partial", "t2": "complete"},
                [finding("t1", "A"), finding("t1", "D"), finding("t1", "E", status="waived")],
            )
        )
        assert marks(second) == {
            "A": ("persisting", day(1)),
            "D": ("new", day(2)),
            "E": ("persisting", day(1)),
        }
        assert resolved(second) == {"X"}  # none from the partial t1
        assert second.summary["resolved"] == 1
        assert second.summary["new"] == 1

        # t1 complete again: C persists since scan 1 (open in the last complete scan); B, D and
        # E are gone. t2 failed: its absence resolves nothing.
        third = history.record(
            scan(3, {"t1": "complete", "t2": "failed"}, [finding("t1", "A"), finding("t1", "C")])
        )
        assert marks(third) == {"A": ("persisting", day(1)), "C": ("persisting", day(1))}
        assert resolved(third) == {"B", "D", "E"}
        by_id = {f.credential_id: f for f in third.resolved}
        assert by_id["E"].status == "waived"  # as last seen
        assert by_id["D"].first_seen == day(2)
        assert by_id["D"].change is None

        # B reappears after being resolved: a new streak.
        fourth = history.record(
            scan(4, {"t1": "complete", "t2": "complete"}, [finding("t1", "A"), finding("t1", "B")])
        )
        assert marks(fourth) == {"A": ("persisting", day(1)), "B": ("new", day(4))}
        assert resolved(fourth) == {"C"}


def test_failed_and_partial_tenants_never_resolve(history_target: Target) -> None:
    with History(history_target) as history:
        history.record(scan(1, {"t1": "complete"}, [finding("t1", "A")]))
        assert history.record(scan(2, {"t1": "failed"}, [])).resolved == ()
        assert history.record(scan(3, {"t1": "partial"}, [])).resolved == ()
        # tenant not collected at all this time (--tenant): nothing about it
        assert history.record(scan(4, {"t9": "complete"}, [])).resolved == ()
        again = history.record(scan(5, {"t1": "complete"}, [finding("t1", "A")]))
        assert marks(again) == {"A": ("persisting", day(1))}


def test_only_open_statuses_are_marked(history_target: Target) -> None:
    assert frozenset({"fail", "manual", "waived"}) == OPEN_STATUSES
    findings = [
        finding("t1", "A", status="fail"),
        finding("t1", "B", status="manual"),
        finding("t1", "C", status="waived"),
        finding("t1", "D", status="not_applicable"),
    ]
    with History(history_target) as history:
        result = history.record(scan(1, {"t1": "complete"}, findings))
        assert marks(result) == {
            "A": ("new", day(1)),
            "B": ("new", day(1)),
            "C": ("new", day(1)),
            "D": (None, None),
        }
        # a not_applicable finding that disappears is not "resolved"
        assert history.record(scan(2, {"t1": "complete"}, findings[:3])).resolved == ()


def test_mark_does_not_store(history_target: Target) -> None:
    with History(history_target) as history:
        history.record(scan(1, {"t1": "complete"}, [finding("t1", "A")]))
        marked = history.mark(scan(2, {"t1": "complete"}, []))
        assert resolved(marked) == {"A"}
        assert [s.id for s in history.scans()] == ["scan0001"]


def test_scans_are_listed_with_hashes_and_coverage(history_target: Target) -> None:
    result = scan(1, {"t1": "complete", "t2": "partial"}, [finding("t1", "A")])
    with History(history_target) as history:
        history.record(result, config_hash="c" * 64)
        history.record(scan(2, {"t1": "complete"}, []))
        (first, second) = history.scans()
        assert history.scans(limit=1) == [second]
    assert first.id == "scan0001"
    assert (first.started_at, first.finished_at, first.as_of) == (
        day(1),
        day(1) + timedelta(minutes=1),
        day(1),
    )
    assert first.status == "partial"
    assert first.tool_version == "9.9"
    assert first.config_hash == "c" * 64
    assert first.policy_hash == canonical_hash({"stale": {"max_idle_days": 90}})
    assert [(t.tenant, t.status, t.credential_count) for t in first.tenants] == [
        ("t1", "complete", 1),
        ("t2", "partial", 1),
    ]
    assert first.summary["findings"] == 1
    assert second.summary["resolved"] == 1


def test_inventory_snapshot_round_trips(history_target: Target) -> None:
    result = scan(1, {"t1": "complete", "t2": "failed"}, [finding("t1", "A")])
    with History(history_target) as history:
        history.record(result)
        record = history.get("scan0001")
        inventories = history.inventories(record)
        stored = history.findings(record)
    assert [inv.coverage for inv in inventories] == list(result.coverage)
    assert [c for inv in inventories for c in inv.credentials] == list(result.credentials)
    assert [(f.fingerprint, f.change) for f in stored] == [(fingerprint("t1", "A", "stale"), "new")]


def test_diff_defaults_to_the_last_two(history_target: Target) -> None:
    with History(history_target) as history:
        with pytest.raises(HistoryError, match="two recorded scans"):
            history.diff()
        history.record(
            scan(1, {"t1": "complete", "t2": "complete"}, [finding("t1", c) for c in "AB"]),
        )
        history.record(
            scan(
                2,
                {"t1": "complete", "t2": "partial"},
                [finding("t1", "A", status="waived"), finding("t1", "C"), finding("t2", "Z")],
            )
        )
        result = history.diff()
        assert (result.a.id, result.b.id) == ("scan0001", "scan0002")
        assert [f.credential_id for f in result.new] == ["C", "Z"]
        assert [f.credential_id for f in result.resolved] == ["B"]
        assert [f.credential_id for f in result.persisting] == ["A"]
        assert [(a.status, b.status) for a, b in result.changed] == [("fail", "waived")]
        assert result.not_compared == {"t2": "partial in scan scan0002"}
        # explicit ids, reversed: scan 1 collected t2 completely, so Z counts as resolved
        back = history.diff("scan0002", "scan0001")
        assert [f.credential_id for f in back.resolved] == ["C", "Z"]
        assert [f.credential_id for f in back.new] == ["B"]
        assert back.not_compared == {"t2": "partial in scan scan0002"}


def test_diff_after_a_failed_tenant_calls_nothing_of_it_new(history_target: Target) -> None:
    with History(history_target) as history:
        history.record(scan(1, {"t1": "complete", "t2": "complete"}, [finding("t2", "Y")]))
        history.record(scan(2, {"t1": "complete", "t2": "failed"}, []))
        history.record(scan(3, {"t1": "complete", "t2": "complete"}, [finding("t2", "Y")]))
        result = history.diff()  # scan 2 -> scan 3
        assert result.new == ()
        assert result.not_compared == {"t2": "failed in scan scan0002"}


def test_get_by_id_and_prefix(history_target: Target) -> None:
    with History(history_target) as history:
        history.record(scan(1, {"t1": "complete"}, [], scan_id="abcdef01"))
        history.record(scan(2, {"t1": "complete"}, [], scan_id="abcdef02"))
        assert history.get("abcdef02").seq == 2
        with pytest.raises(HistoryError, match="matches several scans"):
            history.get("abcdef0")
        with pytest.raises(HistoryError, match="matches no recorded scan"):
            history.get("abc")  # prefixes need 4 characters
        with pytest.raises(HistoryError, match="already recorded"):
            history.record(scan(3, {"t1": "complete"}, [], scan_id="abcdef01"))
        assert len(history.scans()) == 2


def test_schema_is_versioned(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with History(path) as history:
        assert history.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(
        HistoryError, match=f"schema version 99; this credaudit knows up to {SCHEMA_VERSION}"
    ):
        History(path)


def test_a_locked_database_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    History(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with History(path, busy_timeout_ms=0) as history:
        with pytest.raises(HistoryError, match=r"locked.*--no-history"):
            history.record(scan(1, {"t1": "complete"}, [finding("t1", "A")]))
        blocker.execute("ROLLBACK")
        blocker.close()
        assert history.scans() == []  # nothing half-written
        assert history.record(scan(1, {"t1": "complete"}, [finding("t1", "A")])).findings
        assert history.integrity_check() == "ok"


def test_schema_is_versioned_on_postgresql(pg_target: PostgresTarget) -> None:
    with History(pg_target) as history:
        assert history.schema_version == SCHEMA_VERSION == len(PG_MIGRATIONS)
        tables = {
            row[0]
            for row in history.backend.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        assert tables == {
            "credaudit_schema",
            "scans",
            "scan_tenants",
            "findings",
            "schedule_leases",
            "remediation_receipts",
            "remediation_notices",
        }
        history.backend.execute("UPDATE credaudit_schema SET version = 99")
    with pytest.raises(
        HistoryError, match=f"schema version 99; this credaudit knows up to {SCHEMA_VERSION}"
    ):
        History(pg_target)


def test_migrations_upgrade_an_older_schema(history_target: Target) -> None:
    """A version-1 database (before the schedule lease and the remediation log) is upgraded in
    place, data kept."""
    with History(history_target) as history:
        history.record(scan(1, {"t1": "complete"}, [finding("t1", "A")]))
        for table in ("schedule_leases", "remediation_receipts", "remediation_notices"):
            history.backend.execute(f"DROP TABLE {table}")
        history.backend.set_version(1)
    with History(history_target) as history:
        assert history.schema_version == SCHEMA_VERSION
        assert [s.seq for s in history.scans()] == [1]
        for table in ("schedule_leases", "remediation_receipts", "remediation_notices"):
            history.backend.execute(f"SELECT COUNT(*) FROM {table}").fetchone()


def test_a_held_postgresql_lock_fails_cleanly(pg_target: PostgresTarget) -> None:
    History(pg_target).close()
    blocker = History(pg_target)
    # another host in the middle of recording
    with (
        blocker.backend.write(),
        History(pg_target, busy_timeout_ms=200) as history,
        pytest.raises(HistoryError, match=r"lock timeout.*--no-history"),
    ):
        history.record(scan(1, {"t1": "complete"}, [finding("t1", "A")]))
    blocker.close()
    with History(pg_target) as history:
        assert history.scans() == []  # nothing half-written
        assert history.record(scan(1, {"t1": "complete"}, [finding("t1", "A")])).findings
        assert history.integrity_check() == "ok"


def test_a_password_never_appears_in_errors(pg_target: PostgresTarget) -> None:
    wrong = PostgresTarget(pg_target.url, SecretStr("hunter2-not-the-password"))
    with pytest.raises(HistoryError) as caught:
        History(wrong)
    assert "password authentication failed" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(wrong)


def test_concurrent_writers_both_succeed(history_target: Target) -> None:
    per_writer = 8
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait()
            with History(history_target) as history:  # also races the first-time schema creation
                for n in range(per_writer):
                    history.record(
                        scan(n + 1, {name: "complete"}, [finding(name, f"c{n}")], f"{name}-{n}")
                    )
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("t1", "t2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with History(history_target) as history:
        assert history.integrity_check() == "ok"
        scans = history.scans()
        assert len(scans) == 2 * per_writer
        assert len({s.seq for s in scans}) == 2 * per_writer
        # each writer's chain is intact: every scan resolved exactly its predecessor's finding
        for s in scans:
            _, n = s.id.split("-")
            assert s.summary["new"] == 1
            assert s.summary["resolved"] == (0 if n == "0" else 1)


WRITER = """
import os, sys
from pathlib import Path
from pydantic import SecretStr
from tests.auditor.test_history import finding, scan
from auditor.app.history import History, PostgresTarget

name, where, tenants, rounds = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
password = os.environ.get("CREDAUDIT_TEST_PGPASSWORD")
pg = where.startswith("postgresql")
target = PostgresTarget(where, SecretStr(password)) if pg else Path(where)
with History(target) as history:
    for n in range(rounds):
        # every writer scans the same tenants: one finding persists throughout, one is new each
        # round (a new credential) and resolves the next; the last tenant is partial on odd rounds
        coverage = {t: "partial" if (t == tenants[-1] and n % 2) else "complete" for t in tenants}
        found = [finding(t, c) for t in tenants for c in ("keep", f"{name}-c{n}")]
        history.record(scan(n + 1, coverage, found, f"{name}-{n}"))
"""


def _spawn(history_target: Target, names: list[str], tenants: str, rounds: int) -> None:
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    if isinstance(history_target, PostgresTarget):
        assert history_target.password is not None
        env[PASSWORD_ENV] = history_target.password.get_secret_value()
        where = history_target.url
    else:
        where = str(history_target)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, where, tenants, str(rounds)],
            cwd=root,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    outcomes = [(proc.wait(), proc.stderr.read() if proc.stderr else "") for proc in procs]
    assert outcomes == [(0, "")] * len(names)


def test_concurrent_writer_processes(history_target: Target) -> None:
    """Several processes (hosts) recording scans of the same tenants at once: no scan lost or
    duplicated, and every scan's marks are exactly what a serial order of the scans gives."""
    names, rounds = ["p1", "p2", "p3"], 4
    _spawn(history_target, names, "shared,flaky", rounds)
    with History(history_target) as history:
        assert history.integrity_check() == "ok"
        scans = history.scans()
        assert sorted(s.id for s in scans) == sorted(
            f"{p}-{n}" for p in names for n in range(rounds)
        )
        assert [s.seq for s in scans] == sorted({s.seq for s in scans})
        # replay the recorded order in a fresh SQLite history: the marks must be identical
        stored = {s.id: history.findings(s) for s in scans}
    with History(Path(tempfile.mkdtemp()) / "replay.db") as replay:
        for s in scans:
            p, n = s.id.split("-")
            tenants = ["shared", "flaky"]
            coverage = {
                t: "partial" if (t == "flaky" and int(n) % 2) else "complete" for t in tenants
            }
            found = [finding(t, c) for t in tenants for c in ("keep", f"{p}-c{n}")]
            marked = replay.record(scan(int(n) + 1, coverage, found, s.id))
            assert {f.fingerprint: (f.change, f.first_seen) for f in marked.findings} == {
                f.fingerprint: (f.change, f.first_seen) for f in stored[s.id]
            }, s.id
            assert s.summary["resolved"] == len(marked.resolved)
        # "keep" was first seen at the first recorded scan and persisted in every later one
        first = scans[0]
        keep = [f for s in scans[1:] for f in stored[s.id] if f.credential_id == "keep"]
        assert keep and {f.change for f in keep} == {"persisting"}
        assert {f.first_seen for f in keep} == {first.as_of}


def test_records_what_the_policy_engine_builds(tmp_path: Path, history_target: Target) -> None:
    """The evaluator builds findings on a fast path; marking must not depend on how."""
    import policies
    from auditor.app.engine import plan_for, run_scan
    from auditor.app.sandbox import Simulation
    from providers.base import ClientFactory

    simulation = Simulation(as_of=T0)
    tenants, router = simulation.in_process()
    policy = policies.load_policy(None, tenants=[t.name for t in tenants], base_dir=tmp_path)
    plan = plan_for(tenants, policy, ())
    results = [
        run_scan(plan, T0, clients=ClientFactory(transport=router), scan_id=f"real-{n}")
        for n in range(2)
    ]
    with History(history_target) as history:
        first, second = (history.record(r) for r in results)
    open_first = [f for f in first.findings if f.status in OPEN_STATUSES]
    assert open_first and {(f.change, f.first_seen) for f in open_first} == {("new", T0)}
    assert [(f.fingerprint, f.change) for f in second.findings] == [
        (f.fingerprint, "persisting" if f.status in OPEN_STATUSES else None) for f in first.findings
    ]
    assert second.resolved == ()
    assert second.summary["new"] == 0
