"""Scan history in an embedded SQLite database: new / persisting / resolved findings across scans.

Why SQLite: one file next to the configuration, no server, and transactions that keep two scans
writing at once from corrupting each other. The database runs in WAL mode (readers never block
the writer), every write is one ``BEGIN IMMEDIATE`` transaction (the write lock is taken up front,
so "read the previous scans, then store this one" cannot interleave with another writer), and a
``busy_timeout`` makes a second writer wait for the first instead of failing. A writer that still
cannot get the lock fails with a ``HistoryError`` and changes nothing.

What counts as *open* (``OPEN_STATUSES``): ``fail``, ``manual`` and ``waived``. A waived finding
still describes a real condition (the waiver only accepts the risk), so adding a waiver must not
read as "resolved", nor its expiry as "new". ``not_applicable`` and ``pass`` describe no condition
and are never marked.

Marking, per tenant (``mark``). Let *L* be the tenant's latest earlier **complete** scan; a
partial scan can add observations but never proves a finding absent. A finding open now is
``persisting`` when it was open in *L* or in any later (partial) scan of the tenant, and keeps the
``first_seen`` of that streak; otherwise it is ``new``, first seen at this scan's as-of.
``resolved`` lists the findings open in *L* or later that are gone now, only for tenants this scan
collected completely: a failed or partial tenant never produces "resolved" noise. (It includes a
finding first observed in a partial scan after *L*, which must not vanish silently.)

The timeline is the order in which scans were recorded, not their as-of.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from auditor.app.scandiff import (
    OPEN_STATUSES,
    ScanDiff,
    ScanRecord,
    TenantRecord,
    compare,
)
from auditor.kernel.errors import HistoryError
from auditor.kernel.model import Credential, Finding, ScanResult, TenantCoverage, TenantInventory
from auditor.kernel.timestamps import format_timestamp, parse_timestamp

_M = TypeVar("_M", bound=BaseModel)
DEFAULT_BUSY_TIMEOUT_MS = 30_000

# Each entry upgrades the schema by one version (PRAGMA user_version). Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE scans (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            as_of TEXT NOT NULL,
            status TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            config_hash TEXT,
            policy_hash TEXT NOT NULL,
            summary TEXT NOT NULL)""",
        # One row per tenant per scan: its coverage, and the inventory snapshot and every
        # (fail, manual, waived) finding as zlib-compressed JSON (a large tenant repeats the
        # same keys).
        """CREATE TABLE scan_tenants (
            scan_seq INTEGER NOT NULL REFERENCES scans(seq) ON DELETE CASCADE,
            tenant TEXT NOT NULL,
            provider TEXT NOT NULL,
            status TEXT NOT NULL,
            credential_count INTEGER NOT NULL,
            coverage TEXT NOT NULL,
            inventory BLOB NOT NULL,
            findings BLOB NOT NULL,
            PRIMARY KEY (scan_seq, tenant))""",
        "CREATE INDEX scan_tenants_by_tenant ON scan_tenants (tenant, status, scan_seq)",
        # Open findings by fingerprint: what marking reads.
        """CREATE TABLE findings (
            scan_seq INTEGER NOT NULL REFERENCES scans(seq) ON DELETE CASCADE,
            tenant TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            credential_id TEXT NOT NULL,
            status TEXT NOT NULL,
            severity TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            change TEXT NOT NULL)""",
        "CREATE INDEX findings_by_tenant ON findings (tenant, scan_seq)",
        "CREATE INDEX findings_by_scan ON findings (scan_seq, fingerprint)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def canonical_hash(value: Any) -> str:
    """SHA-256 of canonical JSON: the same policy hashes the same across runs and machines."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


_FINDINGS = TypeAdapter(list[Finding])
_CREDENTIALS = TypeAdapter(list[Credential])


def _pack(adapter: TypeAdapter[Any], items: list[Any]) -> bytes:
    # straight to JSON bytes in pydantic-core; a fast zlib level: this runs on every scan
    return zlib.compress(adapter.dump_json(items), 1)


def _unpack(blob: bytes) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(zlib.decompress(blob))
    return data


@functools.lru_cache(maxsize=4096)
def _ts(value: str) -> datetime:
    # cached: a large scan's findings share a handful of first-seen instants
    parsed = parse_timestamp(value)
    assert parsed is not None
    return parsed


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


def _mark(db: sqlite3.Connection, result: ScanResult) -> ScanResult:
    as_of = result.scan.as_of
    status_of = {c.tenant: c.status for c in result.coverage}
    tenants = sorted({*status_of, *(f.tenant for f in result.findings)})
    streaks: dict[str, dict[str, tuple[str, int]]] = {}
    for tenant in tenants:
        (last_complete,) = db.execute(
            "SELECT MAX(scan_seq) FROM scan_tenants WHERE tenant = ? AND status = 'complete'",
            (tenant,),
        ).fetchone()
        seen: dict[str, tuple[str, int]] = {}
        for fp, first_seen, seq in db.execute(
            "SELECT fingerprint, first_seen, scan_seq FROM findings "
            "WHERE tenant = ? AND scan_seq >= ? ORDER BY scan_seq",
            (tenant, last_complete or 0),
        ):
            # the earliest row of the window holds the streak's first_seen; keep the last seq
            seen[fp] = (seen[fp][0] if fp in seen else first_seen, seq)
        streaks[tenant] = seen
    marked: list[Finding] = []
    open_now: set[str] = set()
    for finding in result.findings:
        if finding.status not in OPEN_STATUSES:
            marked.append(_replace(finding, change=None, first_seen=None))
            continue
        open_now.add(finding.fingerprint)
        earlier = streaks[finding.tenant].get(finding.fingerprint)
        if earlier:
            marked.append(_replace(finding, change="persisting", first_seen=_ts(earlier[0])))
        else:
            marked.append(_replace(finding, change="new", first_seen=as_of))
    resolved: list[Finding] = []
    for tenant in tenants:
        if status_of.get(tenant) != "complete":
            continue  # absent from a partial or failed tenant proves nothing
        gone: dict[int, set[str]] = {}
        for fp, (_, seq) in streaks[tenant].items():
            if fp not in open_now:
                gone.setdefault(seq, set()).add(fp)
        for seq, fps in gone.items():
            row = db.execute(
                "SELECT findings FROM scan_tenants WHERE scan_seq = ? AND tenant = ?",
                (seq, tenant),
            ).fetchone()
            for item in _unpack(row[0]) if row else ():
                if item["fingerprint"] in fps:
                    resolved.append(Finding.model_validate({**item, "change": None}))
    resolved.sort(key=lambda f: (f.tenant, f.rule_id, f.credential_id))
    evaluation = _replace(result.evaluation, findings=tuple(marked))
    return _replace(result, evaluation=evaluation, resolved=tuple(resolved))


def _replace(model: _M, **update: Any) -> _M:
    """``model`` with fields replaced, unvalidated (the values are already valid): several times
    faster than ``model_construct`` for the hundreds of thousands of findings of a large scan."""
    new = copy.copy(model)
    new.__dict__.update(update)
    object.__setattr__(new, "__pydantic_fields_set__", {*model.model_fields_set, *update})
    return new


@functools.lru_cache(maxsize=4096)
def _fmt(value: datetime | None) -> str | None:
    return format_timestamp(value)


def _store(db: sqlite3.Connection, result: ScanResult, config_hash: str | None) -> None:
    scan = result.scan
    cursor = db.execute(
        "INSERT INTO scans (id, started_at, finished_at, as_of, status, tool_version, "
        "config_hash, policy_hash, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            scan.id,
            format_timestamp(scan.started_at),
            format_timestamp(scan.finished_at),
            format_timestamp(scan.as_of),
            scan.status,
            result.tool.version,
            config_hash,
            canonical_hash(result.evaluation.policy),
            json.dumps(result.summary, sort_keys=True),
        ),
    )
    seq = cursor.lastrowid
    for coverage in result.coverage:
        tenant = coverage.tenant
        db.execute(
            "INSERT INTO scan_tenants VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                tenant,
                coverage.provider,
                coverage.status,
                coverage.credential_count,
                coverage.model_dump_json(),
                _pack(_CREDENTIALS, [c for c in result.credentials if c.tenant == tenant]),
                _pack(_FINDINGS, [f for f in result.findings if f.tenant == tenant]),
            ),
        )
    db.executemany(
        "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                seq,
                f.tenant,
                f.fingerprint,
                f.rule_id,
                f.credential_id,
                f.status,
                f.severity,
                _fmt(f.first_seen),
                f.change,
            )
            for f in result.findings
            if f.status in OPEN_STATUSES
        ),
    )
