"""Reading the files an operator hands credaudit, in bounded time and memory.

Every file credaudit reads on an operator's say-so (the configuration, ``*_file`` secrets, waiver
and custom-rule files, signing and public keys, a saved ``results.json``, an evidence bundle) goes
through ``read_bytes``: it must be a regular file (a FIFO would block the read forever, a device
such as ``/dev/zero`` never ends, a directory is a mistake) within a size limit suited to its
kind, checked before reading (``st_size``) and again while reading (a file that grows).
Symbolic links are followed: Kubernetes mounts secrets as links to regular files.

A leaf module (it imports only ``auditor.kernel.errors``). Errors are ``ConfigError`` with the file
and, when given, the configuration key that named it; callers re-raise as their own kind where a
configuration error is the wrong word (``verify``'s ``EvidenceError``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from auditor.kernel.errors import ConfigError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

YAML_LIMIT = 2 * MIB
"""A configuration, waiver or custom-rule file: thousands of waivers fit in well under 1 MiB."""
SECRET_LIMIT = 64 * KIB
"""A secret or key file: a ConductorOne secret is ~200 bytes, a PEM key well under 4 KiB."""
RESULTS_LIMIT = 4 * GIB
"""A saved ``results.json`` (``--from-inventory``): large tenants write hundreds of MB."""
BUNDLE_LIMIT = 8 * GIB
"""An evidence bundle for ``verify``: every report of a large scan, compressed."""

_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a directory",
    stat.S_IFSOCK: "a socket",
}


def _size_text(n: int) -> str:
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= size:
            return f"{n / size:.0f} {unit}"
    return f"{n} bytes"


def check_regular(path: Path, *, limit: int, what: str, key: str | None = None) -> int:
    """The size of ``path`` if it is a regular file within ``limit``; else a ``ConfigError``."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(
            f"{what} not found",
            file=str(path),
            key=key,
            fix="check the path (a relative path starts at the config file's folder)",
        ) from None
    except OSError as exc:
        raise _unreadable(exc, path, what, key) from None
    return _checked(info, path, limit=limit, what=what, key=key)


def _unreadable(exc: OSError, path: Path, what: str, key: str | None) -> ConfigError:
    return ConfigError(
        f"cannot read the {what} ({exc.strerror or type(exc).__name__})",
        file=str(path),
        key=key,
        fix="check the path and its permissions",
    )


def _checked(info: os.stat_result, path: Path, *, limit: int, what: str, key: str | None) -> int:
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise ConfigError(
            f"the {what} is {kind}, not a regular file; it is not read",
            file=str(path),
            key=key,
            fix="point it at a regular file",
        )
    if info.st_size > limit:
        raise ConfigError(
            f"the {what} is {_size_text(info.st_size)}, over the {_size_text(limit)} limit for "
            "this kind of file; it is not read",
            file=str(path),
            key=key,
            fix="check that this is the right file",
        )
    return info.st_size


def read_bytes(path: Path, *, limit: int, what: str, key: str | None = None) -> bytes:
    """The content of a regular file of at most ``limit`` bytes (see the module docstring)."""
    check_regular(path, limit=limit, what=what, key=key)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the check, open returns at once
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _unreadable(exc, path, what, key) from None
    with os.fdopen(fd, "rb") as handle:
        _checked(os.fstat(handle.fileno()), path, limit=limit, what=what, key=key)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ConfigError(
            f"the {what} grew past the {_size_text(limit)} limit while it was read",
            file=str(path),
            key=key,
            fix="check that this is the right file",
        )
    return data


def read_text(path: Path, *, limit: int, what: str, key: str | None = None) -> str:
    """``read_bytes`` decoded as UTF-8 (a BOM is tolerated)."""
    data = read_bytes(path, limit=limit, what=what, key=key)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(
            f"the {what} is not UTF-8 text",
            file=str(path),
            key=key,
            fix="save it as UTF-8",
        ) from None
