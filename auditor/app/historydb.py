"""The two storage backends of the scan history (``auditor.app.history``): one contract, SQLite
or PostgreSQL.

Both offer the same small surface to ``history``, ``historymark`` and ``lease``: ``execute`` and
``executemany`` with ``?`` placeholders, a ``write()`` transaction that serialises every writer of
the database, the schema version, and migrations applied under that same write lock.

- **SQLite** (a path): WAL mode, ``BEGIN IMMEDIATE`` takes the write lock up front and a
  ``busy_timeout`` makes a second writer wait; the schema version is ``PRAGMA user_version``.
- **PostgreSQL** (a ``postgresql://`` URL, psycopg 3): every write transaction first takes one
  transaction-scoped advisory lock (``pg_advisory_xact_lock``), so "read the previous scans, then
  store this one" is as serial across hosts as ``BEGIN IMMEDIATE`` is across processes; statements
  run in READ COMMITTED, so after the lock each one sees every earlier writer's commit. The wait is
  bounded by ``lock_timeout`` (the busy timeout). The schema version is the one row of the
  ``credaudit_schema`` table.
  https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr

from auditor.kernel.errors import HistoryError

if TYPE_CHECKING:
    import psycopg

# The one advisory-lock key of a credaudit history ("credaudt" as a big-endian int64).
ADVISORY_KEY = 0x6372656461756474


@dataclass(frozen=True)
class PostgresTarget:
    """A PostgreSQL history: the URL (never carrying a password) and the password, if any."""

    url: str
    password: SecretStr | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.url


Target = Path | PostgresTarget


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Backend(Protocol):
    """What the history code needs from a database connection."""

    name: str
    errors: tuple[type[BaseException], ...]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def insert_blobs(
        self, table: str, values: Sequence[Any], blobs: Mapping[str, Sequence[bytes]]
    ) -> None:
        """``INSERT INTO table VALUES (*values, *blobs)``, each blob given as its chunks (the
        table's last columns, in order): see ``insert_blobs`` of each backend."""
        ...

    def write(self) -> Any: ...

    def version(self) -> int: ...

    def set_version(self, version: int) -> None: ...

    def migrations(self) -> tuple[tuple[str, ...], ...]: ...

    def integrity_check(self) -> str: ...

    def close(self) -> None: ...


def _is_busy(exc: BaseException) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class SqliteBackend:
    name = "sqlite"
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=True
        )
        try:
            self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            self.db.close()
            raise

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def insert_blobs(
        self, table: str, values: Sequence[Any], blobs: Mapping[str, Sequence[bytes]]
    ) -> None:
        """The row with zero-filled blobs of the right sizes, then each blob written into it
        chunk by chunk (incremental blob I/O, https://www.sqlite.org/c3ref/blob_open.html).
        A blob bound as a parameter is copied by the driver, then again into the row's record
        before SQLite writes its pages: a 100,000-credential tenant's two blobs (some 50 MB)
        were held four times at once (the memory boundary, docs/architecture.md)."""
        marks = ", ".join(["?"] * len(values) + ["zeroblob(?)"] * len(blobs))
        sizes = [sum(map(len, chunks)) for chunks in blobs.values()]
        cursor = self.db.execute(
            f"INSERT INTO {table} VALUES ({marks})",  # noqa: S608 - fixed table names
            (*values, *sizes),
        )
        row = cursor.lastrowid
        assert row is not None
        for (column, chunks), size in zip(blobs.items(), sizes, strict=True):
            if not size:
                continue
            with self.db.blobopen(table, column, row) as blob:
                for chunk in chunks:
                    blob.write(chunk)

    @contextmanager
    def write(self) -> Iterator[SqliteBackend]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def set_version(self, version: int) -> None:
        self.db.execute(f"PRAGMA user_version = {int(version)}")

    def migrations(self) -> tuple[tuple[str, ...], ...]:
        from auditor.app.historyschema import MIGRATIONS

        return MIGRATIONS

    def integrity_check(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self.db.close()


class PostgresBackend:
    name = "postgresql"

    def __init__(self, target: PostgresTarget, busy_timeout_ms: int) -> None:
        import psycopg

        self.errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        password = target.password.get_secret_value() if target.password else None
        extra: dict[str, Any] = {"password": password} if password is not None else {}
        self.db: psycopg.Connection[Any] = psycopg.connect(
            target.url,
            autocommit=True,  # reads take no transaction; writes BEGIN explicitly
            connect_timeout=max(1, busy_timeout_ms // 1000),
            application_name="credaudit",
            **extra,
        )
        try:
            # a writer waiting for the advisory lock longer than the busy timeout fails cleanly
            self.db.execute(f"SET lock_timeout = {int(busy_timeout_ms)}")
            self.db.execute("SET TIME ZONE 'UTC'")
        except BaseException:
            self.db.close()
            raise

    @staticmethod
    def _sql(sql: str) -> str:
        # the history's SQL has no literal '?' or '%': placeholders translate one to one
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.db.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.db.cursor() as cursor:
            cursor.executemany(self._sql(sql), rows)

    def insert_blobs(
        self, table: str, values: Sequence[Any], blobs: Mapping[str, Sequence[bytes]]
    ) -> None:
        """One ``INSERT`` with each blob joined (psycopg sends it as one parameter)."""
        marks = ", ".join(["?"] * (len(values) + len(blobs)))
        self.execute(
            f"INSERT INTO {table} VALUES ({marks})",  # noqa: S608 - fixed table names
            (*values, *(b"".join(chunks) for chunks in blobs.values())),
        )

    @contextmanager
    def write(self) -> Iterator[PostgresBackend]:
        self.db.execute("BEGIN")
        try:
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_KEY,))
            yield self
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def version(self) -> int:
        # a catalog scan, not to_regclass: after waiting for the advisory lock this session's
        # catalog cache may still say "no such table" (an advisory lock processes no
        # invalidations), while a scan sees what the previous lock holder committed
        exists = self.db.execute(
            "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relname = 'credaudit_schema' "
            "AND n.nspname = current_schema()"
        ).fetchone()
        if exists is None:
            return 0
        row = self.db.execute("SELECT MAX(version) FROM credaudit_schema").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def set_version(self, version: int) -> None:
        self.db.execute("DELETE FROM credaudit_schema")
        self.db.execute("INSERT INTO credaudit_schema (version) VALUES (%s)", (int(version),))

    def migrations(self) -> tuple[tuple[str, ...], ...]:
        from auditor.app.historyschema import PG_MIGRATIONS

        return PG_MIGRATIONS

    def integrity_check(self) -> str:
        """PostgreSQL checks its own pages; this checks what the history relies on: no tenant
        or finding row without its scan, and one version row."""
        orphans = self.execute(
            "SELECT (SELECT COUNT(*) FROM scan_tenants t WHERE NOT EXISTS "
            "(SELECT 1 FROM scans s WHERE s.seq = t.scan_seq)) + (SELECT COUNT(*) FROM findings f "
            "WHERE NOT EXISTS (SELECT 1 FROM scans s WHERE s.seq = f.scan_seq))"
        ).fetchone()[0]
        versions = self.execute("SELECT COUNT(*) FROM credaudit_schema").fetchone()[0]
        if orphans or versions != 1:
            return f"{orphans} orphaned row(s), {versions} schema version row(s)"
        return "ok"

    def close(self) -> None:
        self.db.close()


def connect(target: Target, busy_timeout_ms: int) -> Backend:
    """A connection to ``target``, retrying a SQLite database that another process is creating
    within the same busy timeout; errors as ``HistoryError`` naming the database."""
    if isinstance(target, PostgresTarget):
        try:
            import psycopg
        except ImportError:  # pragma: no cover - psycopg is a dependency
            raise HistoryError(
                f"history database {target}: PostgreSQL needs psycopg: "
                "pip install 'psycopg[binary]'"
            ) from None
        try:
            return PostgresBackend(target, busy_timeout_ms)
        except psycopg.Error as exc:
            raise describe(target, "cannot open", exc) from None
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.02
    while True:
        try:
            return SqliteBackend(target, busy_timeout_ms)
        except sqlite3.OperationalError as exc:
            # Switching a new database to WAL while another process does the same can answer
            # SQLITE_BUSY at once, without going through the busy handler: retry, then fail.
            if not _is_busy(exc) or time.monotonic() + delay > deadline:
                raise describe(target, "cannot open", exc) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except sqlite3.Error as exc:
            raise describe(target, "cannot open", exc) from None


def describe(target: Target, doing: str, exc: BaseException) -> HistoryError:
    """``exc`` as a ``HistoryError`` naming the database (never its password: the URL has none,
    and psycopg's messages do not repeat it)."""
    text = " ".join(str(exc).split())
    if isinstance(target, PostgresTarget) and target.password is not None:
        secret = target.password.get_secret_value()
        if secret:
            text = text.replace(secret, "[redacted]")
    hint = ""
    if _is_busy(exc) or "lock timeout" in text:
        hint = "; another scan holds it longer than the busy timeout: retry, or use --no-history"
    return HistoryError(f"history database {target}: {doing}: {text}{hint}")
