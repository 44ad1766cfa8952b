"""Benchmark: peak memory of ``credaudit scan`` writing every format, at several sizes.

Issue 16's target: a 200,000-credential scan writing all formats peaks at 1 GB of resident memory
or less, and memory grows linearly with the population. For each size N this script

1. starts ``credaudit sandbox --size N/2`` (two simulated tenants, N/2 credentials each) in its
   own process, on loopback ports chosen by the system, and lets it write its configuration;
2. runs ``credaudit scan`` on that configuration in a child process, writing every format
   (``-f html,markdown,json,csv,ocsf,oscal``: seven files), with a fresh history database (the
   default scan path: marks and stores the scan) and, with ``--evidence``, the evidence bundle;
3. reads the child's peak resident set size from the kernel (``wait4``'s ``ru_maxrss``: the
   scan process alone, not the sandbox) and the size of every file it wrote;
4. samples the child's resident set (``/proc/<pid>/status`` ``VmRSS``) every 0.1 s and tells
   the phase each sample fell in from what the scan has written so far: ``collect+evaluate``
   (no history database yet), ``history`` (the database, no output yet), ``output`` (the
   outputs' staging folder exists), and prints the peak of each phase: where the peak is.

SailPoint's per-user level lookup (``user_levels``), which the sandbox's configuration turns on,
costs one request per owner: it is turned off here unless ``--user-levels`` is given (it changes
collection time, not what this measures). Figures are printed, never asserted
(docs/architecture.md: no timed assertions in tests); the machine is shared, so run it alone.

Usage::

    .venv/bin/python benchmarks/bench_memory.py [--sizes 10000 50000 200000] [--evidence]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = "html,markdown,json,csv,ocsf,oscal"
AS_OF = "2026-11-24T00:00:00Z"
STARTUP_TIMEOUT = 600.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip().strip("'")
    return values


def start_sandbox(size_per_tenant: int, folder: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """The sandbox in its own process; returns it and its configuration once it serves."""
    log = (folder / "sandbox.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "auditor",
            "sandbox",
            "--size",
            str(size_per_tenant),
            "--port",
            "0",
            "--as-of",
            AS_OF,
            "--write-config",
            str(folder),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_env(),
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while b"serving" not in (folder / "sandbox.log").read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"the sandbox did not start: {(folder / 'sandbox.log').read_text()}")
        time.sleep(0.2)
    return proc, folder / "sandbox-config.yaml"


def configure(config: Path, *, user_levels: bool) -> None:
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"user_levels: \w+", f"user_levels: {str(user_levels).lower()}", text)
    text += "history:\n  database: history.db\n"
    config.write_text(text, encoding="utf-8")


def _rss(pid: int) -> int:
    """A process's resident set now, in bytes (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _phase(config: Path, out: Path) -> str:
    if out.is_dir() and any(p.name.startswith(".credaudit-") for p in out.iterdir()):
        return "output"
    if (config.parent / "history.db").exists():
        return "history"
    return "collect+evaluate"


def _sample(
    pid: int, config: Path, out: Path, peaks: dict[str, int], stop: threading.Event
) -> None:
    """Peak resident set per phase (``_phase``), sampled every 0.1 s until ``stop``."""
    while not stop.wait(0.1):
        phase, rss = _phase(config, out), _rss(pid)
        peaks[phase] = max(peaks.get(phase, 0), rss)


def run_scan(
    config: Path, out: Path, *, evidence: bool, peaks: dict[str, int]
) -> tuple[float, int, int]:
    """``credaudit scan`` in a child process: (wall seconds, peak RSS bytes, exit code);
    ``peaks`` gets the sampled peak of each phase."""
    env = {**_env(), **_read_env_file(config.with_name("sandbox.env"))}
    args = [
        sys.executable,
        "-m",
        "auditor",
        "-q",
        "scan",
        "-c",
        str(config),
        "-o",
        str(out),
        "-f",
        FORMATS,
        "--as-of",
        AS_OF,
        "--fail-on",
        "never",
    ]
    if evidence:
        args += ["--evidence", str(out / "evidence.zip")]
    started = time.perf_counter()
    with (config.parent / "scan.log").open("wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        stop = threading.Event()
        sampler = threading.Thread(target=_sample, args=(proc.pid, config, out, peaks, stop))
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            stop.set()
            sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss * 1024, proc.returncode


def measure(size: int, *, evidence: bool, user_levels: bool, keep: Path | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-memory-{size}-"))
    sandbox, config = start_sandbox(size // 2, folder)
    try:
        configure(config, user_levels=user_levels)
        peaks: dict[str, int] = {}
        wall, peak, code = run_scan(config, folder / "out", evidence=evidence, peaks=peaks)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    out = folder / "out"
    print(f"\n{size:,} credentials: scan {wall:.1f} s, exit {code}")
    log = (config.parent / "scan.log").read_text(encoding="utf-8", errors="replace")
    for line in log.splitlines():
        if line.startswith("  ") and ("credentials" in line or "note:" in line):
            print(f"  | {line.strip()}")
    print(
        f"  peak RSS            {peak / 2**20:>9.0f} MiB  ({peak / size / 1024:.2f} KiB/credential)"
    )
    for phase, rss in peaks.items():
        print(f"    sampled in {phase:<17}{rss / 2**20:>6.0f} MiB")
    for path in sorted(out.iterdir()):
        bytes_ = path.stat().st_size
        print(f"  {path.name:<20}{bytes_ / 1e6:>9.1f} MB  ({bytes_ / size:,.0f} B/credential)")
    if keep is not None:
        shutil.move(str(folder), keep / folder.name)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--evidence", action="store_true", help="Also write the evidence zip.")
    parser.add_argument("--user-levels", action="store_true", help="SailPoint user levels on.")
    parser.add_argument("--keep", type=Path, help="Move each run's folder here.")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; formats {FORMATS}")
    for size in args.sizes:
        measure(size, evidence=args.evidence, user_levels=args.user_levels, keep=args.keep)


if __name__ == "__main__":
    main()
