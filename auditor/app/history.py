"""Scan history in an embedded SQLite database: new / persisting / resolved findings across scans.

Why SQLite: one file next to the configuration, no server, and transactions that keep two scans
writing at once from corrupting each other. The database runs in WAL mode (readers never block
the writer), every write is one ``BEGIN IMMEDIATE`` transaction (the write lock is taken up front,
so "read the previous scans, then store this one" cannot interleave with another writer), and a
``busy_timeout`` makes a second writer wait for the first instead of failing. A writer that still
cannot get the lock fails with a ``HistoryError`` and changes nothing.

The meaning of *open*, *new*, *persisting* and *resolved*, and how a scan is marked and stored,
are in ``auditor.app.historymark``; the schema migrations and the row encoding in
``auditor.app.historyschema``. Their public names are importable from here too.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auditor.app.historymark import _M as _M
from auditor.app.historymark import _mark, _store
from auditor.app.historymark import _replace as _replace
from auditor.app.historyschema import _CREDENTIALS as _CREDENTIALS
from auditor.app.historyschema import _FINDINGS as _FINDINGS
from auditor.app.historyschema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    _ts,
    _unpack,
    canonical_hash,
)
from auditor.app.historyschema import _fmt as _fmt
from auditor.app.historyschema import _pack as _pack
from auditor.app.scandiff import OPEN_STATUSES as OPEN_STATUSES
from auditor.app.scandiff import (
    ScanDiff,
    ScanRecord,
    TenantRecord,
    compare,
)
from auditor.kernel.errors import HistoryError
from auditor.kernel.model import Credential, Finding, ScanResult, TenantCoverage, TenantInventory

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "History",
    "canonical_hash",
]

DEFAULT_BUSY_TIMEOUT_MS = 30_000


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class History:
    """A handle on one history database; open it per process or thread (sqlite3 connections
    are not shared across threads)."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.path = path
        deadline = time.monotonic() + busy_timeout_ms / 1000
        delay = 0.02
        while True:
            try:
                self._db = self._open(path, busy_timeout_ms)
                return
            except sqlite3.OperationalError as exc:
                # Switching a new database to WAL (and creating the schema) while another
                # process does the same can answer SQLITE_BUSY at once, without going through the
                # busy handler: retry within the same busy timeout, then fail cleanly.
                if not _is_busy(exc) or time.monotonic() + delay > deadline:
                    raise self._error("cannot open", exc) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
            except sqlite3.Error as exc:
                raise self._error("cannot open", exc) from None

    def _open(self, path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=True
        )
        try:
            db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            self._db = db
            self._migrate()
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, doing: str, exc: sqlite3.Error) -> HistoryError:
        text = str(exc)
        hint = ""
        if "locked" in text or "busy" in text:
            hint = (
                "; another scan holds it longer than the busy timeout: retry, or use --no-history"
            )
        return HistoryError(f"history database {self.path}: {doing}: {text}{hint}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: all of it is stored, or none of it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        if self.schema_version == SCHEMA_VERSION:
            return  # the common case takes no write lock: history and diff only read
        with self._write() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"history database {self.path} has schema version {version}; this credaudit "
                    f"knows up to {SCHEMA_VERSION}: upgrade credaudit"
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number]:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- marking and recording -------------------------------------------------------------------

    def mark(self, result: ScanResult) -> ScanResult:
        """``result`` with ``change``/``first_seen`` on open findings and ``resolved`` set."""
        try:
            return _mark(self._db, result)
        except sqlite3.Error as exc:
            raise self._error("cannot read", exc) from None

    def record(self, result: ScanResult, *, config_hash: str | None = None) -> ScanResult:
        """Mark ``result`` against the history and store it, atomically; return it marked."""
        try:
            with self._write() as db:
                if db.execute("SELECT 1 FROM scans WHERE id = ?", (result.scan.id,)).fetchone():
                    raise HistoryError(f"scan {result.scan.id} is already recorded")
                marked = _mark(db, result)
                _store(db, marked, config_hash)
        except sqlite3.Error as exc:
            raise self._error("cannot record the scan", exc) from None
        return marked

    # -- reading ---------------------------------------------------------------------------------

    def scans(self, limit: int | None = None) -> list[ScanRecord]:
        """Recorded scans, oldest first (the last ``limit`` when given)."""
        try:
            rows = self._db.execute(
                "SELECT * FROM (SELECT seq, id, started_at, finished_at, as_of, status, "
                "tool_version, config_hash, policy_hash, summary FROM scans ORDER BY seq DESC "
                "LIMIT ?) ORDER BY seq",
                (-1 if limit is None else limit,),
            ).fetchall()
            tenants: dict[int, list[TenantRecord]] = {}
            for seq, *fields in self._db.execute(
                "SELECT scan_seq, tenant, provider, status, credential_count FROM scan_tenants "
                "ORDER BY scan_seq, tenant"
            ):
                tenants.setdefault(seq, []).append(TenantRecord(*fields))
        except sqlite3.Error as exc:
            raise self._error("cannot read", exc) from None
        return [
            ScanRecord(
                seq=row[0],
                id=row[1],
                started_at=_ts(row[2]),
                finished_at=_ts(row[3]),
                as_of=_ts(row[4]),
                status=row[5],
                tool_version=row[6],
                config_hash=row[7],
                policy_hash=row[8],
                summary=json.loads(row[9]),
                tenants=tuple(tenants.get(row[0], ())),
            )
            for row in rows
        ]

    def get(self, ref: str) -> ScanRecord:
        """A scan by id or unique id prefix (at least 4 characters)."""
        scans = self.scans()
        found = [s for s in scans if s.id == ref] or [
            s for s in scans if len(ref) >= 4 and s.id.startswith(ref)
        ]
        if len(found) != 1:
            what = "matches several scans" if found else "matches no recorded scan"
            raise HistoryError(f"scan {ref!r} {what}; `credaudit history` lists them")
        return found[0]

    def findings(self, scan: ScanRecord) -> list[Finding]:
        """Every finding (fail, manual, waived) the scan stored, as marked then."""
        rows = self._select("findings", scan.seq)
        return [Finding.model_validate(item) for _, blob in rows for item in _unpack(blob)]

    def inventories(self, scan: ScanRecord) -> list[TenantInventory]:
        """The scan's inventory snapshot, ready to re-evaluate (``engine.assemble``)."""
        out = []
        for coverage, blob in self._select("inventory", scan.seq, with_coverage=True):
            out.append(
                TenantInventory(
                    coverage=TenantCoverage.model_validate_json(coverage),
                    credentials=tuple(Credential.model_validate(c) for c in _unpack(blob)),
                )
            )
        return out

    def _select(self, column: str, seq: int, *, with_coverage: bool = False) -> list[Any]:
        first = "coverage" if with_coverage else "tenant"
        try:
            return self._db.execute(
                f"SELECT {first}, {column} FROM scan_tenants WHERE scan_seq = ? ORDER BY tenant",  # noqa: S608 - fixed column names
                (seq,),
            ).fetchall()
        except sqlite3.Error as exc:
            raise self._error("cannot read", exc) from None

    def diff(self, a: str | None = None, b: str | None = None) -> ScanDiff:
        """Compare scan ``a`` with the later scan ``b`` (default: the last two recorded)."""
        if a is None or b is None:
            recent = self.scans(limit=2)
            if len(recent) < 2:
                raise HistoryError("diff needs two recorded scans; run `credaudit scan` again")
            before, after = self.get(a) if a else recent[0], self.get(b) if b else recent[1]
        else:
            before, after = self.get(a), self.get(b)
        return compare(before, self.findings(before), after, self.findings(after))

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])
