"""Benchmark: where the memory of one ``credaudit scan`` goes, step by step.

``bench_memory.py`` gives the peak of a scan and of its phases, sampled from outside. This runs
the same scan (the sandbox at N credentials in its own process, every format, history on) inside
this process and prints its resident set (``VmRSS``) and high-water mark (``VmHWM``) before and
after each step of ``auditor.app.runs.execute_scan``: collection and evaluation, the secret check
of what the history stores, marking, each packed history blob, storing, the trend, the HTML
page's context (made when the output streams are made) and writing the set. Figures are printed,
never asserted (docs/architecture.md "Memory boundary"); the machine is shared, so run it alone.

Usage::

    .venv/bin/python benchmarks/bench_memory_steps.py [200000]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_memory

STARTED = time.perf_counter()


def _status() -> dict[str, int]:
    lines = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    return {line.split(":")[0]: int(line.split()[1]) for line in lines if line.startswith("Vm")}


def report(label: str) -> None:
    status = _status()
    print(
        f"{time.perf_counter() - STARTED:7.1f} s  {label:<28} RSS {status['VmRSS'] / 1024:6.0f} MiB"
        f"  peak {status['VmHWM'] / 1024:6.0f} MiB",
        flush=True,
    )


def watch(module: Any, name: str) -> None:
    """Report before and after every call of ``module.name``."""
    inner: Callable[..., Any] = getattr(module, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        report(f"> {name}")
        out = inner(*args, **kwargs)
        report(f"< {name}")
        return out

    setattr(module, name, watched)


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    folder = Path(tempfile.mkdtemp(prefix=f"bench-memory-steps-{size}-"))
    sandbox, config = bench_memory.start_sandbox(size // 2, folder)
    try:
        bench_memory.configure(config, user_levels=False)
        os.environ.update(bench_memory._read_env_file(config.with_name("sandbox.env")))
        os.chdir(folder)
        from auditor.app import engine, history, historymark, runs, trend
        from auditor.app.config import load_config
        from auditor.cli.common import parse_as_of
        from reports import html

        loaded = load_config(config)
        plan = engine.prepare(loaded)
        for module, name in (
            (engine, "run_scan"),
            (runs, "withhold_model"),
            (history, "_mark"),
            (historymark, "_pack_chunks"),
            (history, "_store"),
            (trend, "chart_points"),
            (html, "context"),
            (runs, "write_set"),
        ):
            watch(module, name)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {size:,} credentials")
        report("start")
        formats = bench_memory.FORMATS.split(",")
        runs.execute_scan(loaded, plan, parse_as_of(bench_memory.AS_OF), folder / "out", formats)
        report("done")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)  # the outputs: gigabytes at 200,000


if __name__ == "__main__":
    main()
