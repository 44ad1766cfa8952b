"""What remediation did, kept in the history database beside the scans: one row per action
receipt (``remediation_receipts``) and per owner notice sent (``remediation_notices``), so a
re-run never sends the same notice twice and an auditor can list every change credaudit made.

Own tables, created when first needed; the scan history's schema (``auditor.app.history``) is not
touched."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditor.kernel.errors import HistoryError

__all__ = ["RemediationLog"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS remediation_receipts (
    plan_id TEXT NOT NULL, action_id TEXT NOT NULL, tenant TEXT NOT NULL,
    credential_id TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL,
    status INTEGER, recorded_at TEXT NOT NULL, receipt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS remediation_notices (
    owner TEXT NOT NULL, tenant TEXT NOT NULL, credential_id TEXT NOT NULL,
    due TEXT NOT NULL, stage INTEGER NOT NULL, channel TEXT NOT NULL, sent_at TEXT NOT NULL,
    PRIMARY KEY (owner, tenant, credential_id, due, stage, channel)
);
"""


class RemediationLog:
    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30)
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"cannot open the history database {path}: {exc}") from None

    def __enter__(self) -> RemediationLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def record_receipts(self, plan_id: str, receipts: Iterable[Mapping[str, Any]]) -> None:
        rows = [
            (
                plan_id,
                r["action_id"],
                r["tenant"],
                r["credential_id"],
                r["action"],
                r["result"],
                r.get("status"),
                r["time"],
                json.dumps(r, sort_keys=True),
            )
            for r in receipts
        ]
        with self._db:
            self._db.executemany(
                "INSERT INTO remediation_receipts VALUES (?,?,?,?,?,?,?,?,?)", rows
            )

    def receipts(self, plan_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT receipt FROM remediation_receipts"
        args: tuple[str, ...] = ()
        if plan_id is not None:
            sql, args = sql + " WHERE plan_id = ?", (plan_id,)
        return [json.loads(row[0]) for row in self._db.execute(sql + " ORDER BY rowid", args)]

    def notice_sent(
        self, owner: str, tenant: str, credential_id: str, due: str, stage: int, channel: str
    ) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM remediation_notices WHERE owner=? AND tenant=? AND credential_id=? "
            "AND due=? AND stage=? AND channel=?",
            (owner, tenant, credential_id, due, stage, channel),
        ).fetchone()
        return row is not None

    def record_notice(
        self,
        owner: str,
        items: Iterable[tuple[str, str, str]],
        stage: int,
        channel: str,
        sent_at: str,
    ) -> None:
        """``items``: (tenant, credential id, due) told to ``owner`` at ``stage``."""
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO remediation_notices VALUES (?,?,?,?,?,?,?)",
                [(owner, t, c, d, stage, channel, sent_at) for t, c, d in items],
            )
