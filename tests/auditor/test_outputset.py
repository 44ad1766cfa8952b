"""Issue 15: a scan's outputs appear as a set. ``kill -9`` at random moments of a write leaves,
after the next run's ``recover``, either the previous complete set or the new one, and no
temporary file."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

from auditor.app.outputset import COMMIT, STAGING_PREFIX, recover, write_set

NAMES = ("results.json", "report.html", "report.md", "findings.csv", "evidence.zip")
WRITER = """
import sys
from pathlib import Path
from auditor.app.outputset import write_set
out, scan = Path(sys.argv[1]), sys.argv[2]
pad = "x" * 3_000_000
write_set(out, {name: f"{scan}\\n{pad}" for name in sys.argv[3:]})
"""


def scans_in(folder: Path) -> set[str]:
    return {(folder / n).read_text(encoding="utf-8").split("\n", 1)[0] for n in NAMES}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_recover_finishes_a_committed_set_and_drops_an_uncommitted_one(tmp_path: Path) -> None:
    write_set(tmp_path, dict.fromkeys(NAMES, "old\n"))
    commit = tmp_path / COMMIT
    commit.mkdir()
    for name in NAMES[:2]:  # crashed half-way through moving the new set into place
        (tmp_path / name).write_text("new\n", encoding="utf-8")
    for name in NAMES[2:]:
        (commit / name).write_text("new\n", encoding="utf-8")
    staging = tmp_path / f"{STAGING_PREFIX}999999999-abc"
    staging.mkdir()
    (staging / "results.json").write_text("newer\n", encoding="utf-8")
    (tmp_path / ".report.html.abc123XY.tmp").write_text("half", encoding="utf-8")
    recover(tmp_path)
    assert scans_in(tmp_path) == {"new"}
    assert leftovers(tmp_path) == []


def test_kill_9_at_random_moments_leaves_one_complete_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_set(out, dict.fromkeys(NAMES, "scan-0\n"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def writer(scan: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", WRITER, str(out), scan, *NAMES], env=env)

    started = time.monotonic()
    assert writer("scan-1").wait(timeout=60) == 0
    whole = time.monotonic() - started  # one uninterrupted write, start-up included
    rng = random.Random(15)
    previous, outcomes = "scan-1", []
    for trial in range(2, 14):  # bounded: 12 kills
        scan = f"scan-{trial}"
        process = writer(scan)
        time.sleep(rng.uniform(0, whole))
        process.kill()
        process.wait(timeout=60)
        recover(out)  # what the next run does first
        found = scans_in(out)
        assert found in ({previous}, {scan}), (trial, found)
        assert leftovers(out) == [], trial
        outcomes.append(found == {scan})
        previous = found.pop()
    print(f"kill -9 trials: {outcomes.count(True)} new set, {outcomes.count(False)} previous set")
