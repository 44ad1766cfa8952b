"""Benchmark: the scan history on SQLite and on PostgreSQL.

Records ``--scans`` scans of one tenant with ``--findings`` open findings each (a tenth of them
replaced every scan: new ones appear, old ones resolve), then times ``credaudit trend``'s rows and
the HTML chart's points over that history, and finally ``--writers`` processes recording
``--per-writer`` small scans each at once (throughput under the write lock). PostgreSQL is the
throwaway server the tests use (``tests/pgserver.py``: Debian's postgresql, fsync off), so its
figures are a lower bound for a real server over a network.

Usage::

    .venv/bin/python benchmarks/bench_history.py [--findings 20000] [--scans 5] [--writers 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.app.history import History, PostgresTarget, Target  # noqa: E402
from auditor.app.trend import chart_points, trend_rows  # noqa: E402
from tests.auditor.test_history import finding, scan  # noqa: E402

WRITER = """
import os, sys
from pathlib import Path
from pydantic import SecretStr
from tests.auditor.test_history import finding, scan
from auditor.app.history import History, PostgresTarget
name, where, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
pw = os.environ.get("CREDAUDIT_TEST_PGPASSWORD")
target = PostgresTarget(where, SecretStr(pw)) if where.startswith("postgresql") else Path(where)
with History(target) as history:
    for n in range(rounds):
        history.record(scan(n + 1, {name: "complete"}, [finding(name, f"c{n}")], f"{name}-{n}"))
"""


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(label: str, target: Target, other: Target, args: argparse.Namespace) -> None:
    per_scan = args.findings
    churn = max(1, per_scan // 10)
    record_times = []
    with History(target) as history:
        for n in range(args.scans):
            found = [finding("big", f"c{i}") for i in range(n * churn, n * churn + per_scan)]
            result = scan(n + 1, {"big": "complete"}, found)
            start = time.perf_counter()
            history.record(result)
            record_times.append(time.perf_counter() - start)
        trend = timed(lambda: trend_rows(history))
        chart = timed(lambda: chart_points(history, ["big"]))
    env: dict[str, str] = {}
    if isinstance(other, PostgresTarget):
        assert other.password is not None
        env["CREDAUDIT_TEST_PGPASSWORD"] = other.password.get_secret_value()
        where = other.url
    else:
        where = str(other)
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"w{i}", where, str(args.per_writer)],
            cwd=ROOT,
            env={**os.environ, **env},
        )
        for i in range(args.writers)
    ]
    codes = [p.wait() for p in procs]
    elapsed = time.perf_counter() - start
    with History(other) as history:
        stored = len(history.scans())
    later = record_times[1:] or record_times
    print(
        f"{label:10} record {per_scan} findings: first {record_times[0]:.2f} s, "
        f"later {min(later):.2f}-{max(later):.2f} s; "
        f"trend over {args.scans} scans {trend:.2f} s; chart points {chart * 1000:.0f} ms; "
        f"{args.writers} writer processes x {args.per_writer} scans: {elapsed:.2f} s "
        f"({stored} stored, exit codes {set(codes)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--scans", type=int, default=5)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--per-writer", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("sqlite", Path(folder) / "big.db", Path(folder) / "writers.db", args)
    from tests.pgserver import start_cluster

    for cluster in start_cluster():
        run("postgresql", cluster.new_database(), cluster.new_database(), args)


if __name__ == "__main__":
    main()
