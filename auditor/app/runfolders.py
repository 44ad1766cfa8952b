"""A schedule's run folders: one per run, ``latest``, retention, ``health.json``, the run lock.

Layout: ``<output.dir>/<schedule>/<UTC timestamp>[-n]/`` per run, ``latest`` (a relative symlink,
or ``latest.txt`` where symlinks are unavailable) pointing at the newest run that produced
reports, ``health.json`` for monitoring and ``.run.lock`` held while a run writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.kernel.errors import ConfigError
from auditor.kernel.inputfile import read_text
from auditor.kernel.timestamps import parse_timestamp

RUN_DIR = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>[1-9]\d{0,3}))?$")
LATEST, LATEST_TXT, HEALTH, RUN_FILE = "latest", "latest.txt", "health.json", "run.json"


def run_folder_name(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def new_run_dir(folder: Path, when: datetime) -> Path:
    """Create and return a unique run folder: the UTC timestamp, ``-2``, ``-3``… if taken."""
    folder.mkdir(parents=True, exist_ok=True)
    base = run_folder_name(when)
    for n in range(1, 10_000):
        candidate = folder / (base if n == 1 else f"{base}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free run folder name for {base} in {folder}")


@contextlib.contextmanager
def run_lock(folder: Path) -> Iterator[bool]:
    """An exclusive, non-blocking lock on ``folder/.run.lock``: ``max_instances=1`` keeps one
    process to one run of a schedule; this keeps two processes (a double deployment) from
    running it at once. Yields False when another holder has it. Where ``fcntl`` does not exist
    (Windows) it yields True: one process per configuration is then the operator's job."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield True
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".run.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _run_key(name: str) -> tuple[str, int] | None:
    match = RUN_DIR.match(name)
    return (match["stamp"], int(match["n"] or 1)) if match else None


def run_dirs(folder: Path) -> list[Path]:
    """The run folders of a schedule, oldest first: real directories named like runs only."""
    found = []
    for entry in folder.iterdir() if folder.is_dir() else ():
        key = _run_key(entry.name)
        if key is not None and entry.is_dir() and not entry.is_symlink():
            found.append((key, entry))
    return [entry for _, entry in sorted(found)]


def latest_target(folder: Path) -> Path | None:
    link, text = folder / LATEST, folder / LATEST_TXT
    name: str | None = None
    if link.is_symlink():
        name = os.readlink(link)
    elif text.is_file():
        name = text.read_text(encoding="utf-8").strip()
    return folder / name if name and _run_key(name) is not None else None


def prune(folder: Path, keep_last: int, *, current: Path) -> list[Path]:
    """Delete run folders older than the newest ``keep_last``, oldest first; never ``current``
    nor ``latest``'s target (kept in addition when the clock went backwards or runs failed)."""
    runs = run_dirs(folder)
    protected = {current.resolve()}
    target = latest_target(folder)
    if target is not None:
        protected.add(target.resolve())
    removed = []
    for run in runs[: max(0, len(runs) - keep_last)]:
        if run.resolve() not in protected:
            shutil.rmtree(run)
            removed.append(run)
    return removed


def update_latest(folder: Path, run_dir: Path) -> None:
    """Point ``latest`` at ``run_dir`` atomically: a relative symlink renamed over the old one;
    where symlinks are unavailable (Windows without the privilege), a ``latest.txt`` pointer."""
    tmp = folder / f".{LATEST}.{os.getpid()}.{threading.get_ident()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        os.symlink(run_dir.name, tmp, target_is_directory=True)
    except (OSError, NotImplementedError):
        write_text(folder / LATEST_TXT, run_dir.name + "\n")
        return
    try:
        os.replace(tmp, folder / LATEST)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


HEALTH_LIMIT = 1 << 20
"""Bytes ``read_health`` reads at most: credaudit writes a few hundred."""


def read_health(path: Path) -> dict[str, Any]:
    """``health.json`` as written, or ``{}`` when it is missing or is not one credaudit wrote
    (not JSON, not an object, over ``HEALTH_LIMIT``, or not a regular file: a FIFO put in its
    place would otherwise hang the scheduler): the next write replaces it."""
    try:
        doc = json.loads(read_text(path, limit=HEALTH_LIMIT, what="schedule health file"))
    except (ConfigError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def health_time(doc: dict[str, Any], key: str) -> datetime | None:
    """A timestamp field of ``health.json`` (for monitoring scripts and tests)."""
    return parse_timestamp(doc.get(key))


def write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # health and pointers hold no secret; monitoring must read them
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, doc: dict[str, Any]) -> None:
    write_text(path, json.dumps(doc, indent=2) + "\n")
