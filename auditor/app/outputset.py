"""A scan's outputs as one set: they appear together or not at all.

``write_set`` stages every file in a fresh hidden folder beside them, fsynced; renaming that
folder to ``.credaudit-commit`` is the single commit point; the files are then moved into place
and the folder removed. ``recover`` (run first by every write, and by readers that care) finishes
that work after a crash: a committed set is moved into place (the new set wins), an uncommitted
staging folder and stale temporary files are deleted (the previous set stays). So after
``recover`` a folder holds either the previous complete set or the new one, never a mix, and no
temporary file survives. Standard library only: the kill -9 trials run it in a bare subprocess.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

COMMIT = ".credaudit-commit"
STAGING_PREFIX = ".credaudit-staging-"
_STALE_TMP = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp$")
"""What ``tempfile.mkstemp(prefix=".<name>.", suffix=".tmp")`` names (our atomic writers)."""

Writer = Callable[[Path], None]
"""Writes one output file at the given path (e.g. the evidence zip)."""


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def recover(out_dir: Path) -> None:
    """Finish or undo what a crashed ``write_set`` left in ``out_dir`` (module docstring)."""
    if not out_dir.is_dir():
        return
    commit = out_dir / COMMIT
    if commit.is_dir() and not commit.is_symlink():
        _move_into_place(commit, out_dir)
    for entry in out_dir.iterdir():
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and not entry.is_symlink():
            if not _writer_alive(entry.name):
                shutil.rmtree(entry, ignore_errors=True)
        elif _STALE_TMP.match(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)
    _fsync_dir(out_dir)


def _writer_alive(name: str) -> bool:
    """Whether the process that made a staging folder (its pid is in the name) still runs: a
    concurrent writer's staging is not stale."""
    pid = name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


def _move_into_place(commit: Path, out_dir: Path) -> None:
    for source in _files_under(commit):
        target = out_dir / source.relative_to(commit)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    shutil.rmtree(commit, ignore_errors=True)
    _fsync_dir(out_dir)


def write_set(
    out_dir: Path,
    texts: Mapping[str, str | Iterable[str]],
    *,
    writers: Mapping[str, Writer] | None = None,
    mode: int = 0o644,
) -> list[Path]:
    """Write ``texts`` (name → content: a string, or an iterable of chunks written as they
    come, so an output is never held whole) and ``writers`` (name → function writing that
    file) into ``out_dir`` as one set; returns the paths, in the order given. Anything raised
    while a file is written (by a chunk iterable too) leaves the folder as it was."""
    out_dir.mkdir(parents=True, exist_ok=True)
    recover(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out_dir))
    try:
        for name, text in texts.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as handle:
                if isinstance(text, str):
                    handle.write(text)
                else:
                    for chunk in text:
                        handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(path, mode)
        for name, write in (writers or {}).items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            write(staging / name)
        _fsync_dir(staging)
        os.rename(staging, out_dir / COMMIT)  # the commit point
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(out_dir)
    _move_into_place(out_dir / COMMIT, out_dir)
    return [out_dir / name for name in (*texts, *(writers or {}))]
