"""Scan history: new / persisting / resolved findings across scans, in SQLite or PostgreSQL.

Why SQLite by default: one file next to the configuration, no server, and transactions that keep
two scans writing at once from corrupting each other. A team shares one PostgreSQL database
instead (``history.database: postgresql://…``). Both backends (``auditor.app.historydb``) give the
same guarantee: every write is one transaction that takes the database's write lock up front
(``BEGIN IMMEDIATE``; a PostgreSQL advisory lock), so "read the previous scans, then store this
one" cannot interleave with another writer on any host, and a second writer waits for the first
up to the busy timeout. A writer that still cannot get the lock fails with a ``HistoryError`` and
changes nothing.

The meaning of *open*, *new*, *persisting* and *resolved*, and how a scan is marked and stored,
are in ``auditor.app.historymark``; the schema migrations and the row encoding in
``auditor.app.historyschema``. Their public names are importable from here too.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.app.historydb import Backend, PostgresTarget, Target, connect, describe
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
    "PostgresTarget",
    "Target",
    "canonical_hash",
]

DEFAULT_BUSY_TIMEOUT_MS = 30_000


class History:
    """A handle on one history database (a SQLite path or a ``PostgresTarget``); open it per
    process or thread (connections are not shared across threads)."""

    def __init__(self, target: Target, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.target = target
        self.path = target  # the name used in messages (kept for callers of the SQLite era)
        self._db = connect(target, busy_timeout_ms)
        try:
            self._migrate()
        except HistoryError:
            self._db.close()
            raise
        except self._db.errors as exc:
            self._db.close()
            raise self._error("cannot open", exc) from None

    @property
    def backend(self) -> Backend:
        return self._db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, doing: str, exc: BaseException) -> HistoryError:
        return describe(self.target, doing, exc)

    def _write(self) -> Any:
        """One transaction holding the database's write lock: all of it is stored, or none."""
        return self._db.write()

    def _migrate(self) -> None:
        if self._db.version() == SCHEMA_VERSION:
            return  # the common case takes no write lock: history and diff only read
        with self._write() as db:
            version = db.version()  # again, under the lock: another process may have migrated
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"history database {self.target} has schema version {version}; this "
                    f"credaudit knows up to {SCHEMA_VERSION}: upgrade credaudit"
                )
            migrations = db.migrations()
            for number in range(version, SCHEMA_VERSION):
                for statement in migrations[number]:
                    db.execute(statement)
            db.set_version(SCHEMA_VERSION)

    @property
    def schema_version(self) -> int:
        return self._db.version()

    # -- marking and recording -------------------------------------------------------------------

    def mark(self, result: ScanResult) -> ScanResult:
        """``result`` with ``change``/``first_seen`` on open findings and ``resolved`` set."""
        try:
            return _mark(self._db, result)
        except self._db.errors as exc:
            raise self._error("cannot read", exc) from None

    def record(
        self, result: ScanResult, *, config_hash: str | None = None, in_place: bool = False
    ) -> ScanResult:
        """Mark ``result`` against the history and store it, atomically; return it marked.
        ``in_place``: its findings are marked themselves (``historymark.InPlace``: the caller
        gives ``result`` up, and undoes the marks if this raises)."""
        try:
            with self._write() as db:
                if db.execute("SELECT 1 FROM scans WHERE id = ?", (result.scan.id,)).fetchone():
                    raise HistoryError(f"scan {result.scan.id} is already recorded")
                marked = _mark(db, result, in_place=in_place)
                _store(db, marked, config_hash)
        except self._db.errors as exc:
            raise self._error("cannot record the scan", exc) from None
        return marked

    # -- reading ---------------------------------------------------------------------------------

    def scans(self, limit: int | None = None) -> list[ScanRecord]:
        """Recorded scans, oldest first (the last ``limit`` when given)."""
        try:
            window = "" if limit is None else f" LIMIT {int(limit)}"
            rows = self._db.execute(
                "SELECT * FROM (SELECT seq, id, started_at, finished_at, as_of, status, "  # noqa: S608 - an int window
                "tool_version, config_hash, policy_hash, summary FROM scans ORDER BY seq DESC"
                f"{window}) AS recent ORDER BY seq"
            ).fetchall()
            tenants: dict[int, list[TenantRecord]] = {}
            for seq, *fields in self._db.execute(
                "SELECT scan_seq, tenant, provider, status, credential_count FROM scan_tenants "
                "ORDER BY scan_seq, tenant"
            ):
                tenants.setdefault(seq, []).append(TenantRecord(*fields))
        except self._db.errors as exc:
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
        except self._db.errors as exc:
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
        return self._db.integrity_check()
