"""What remediation did, kept in the history database beside the scans: one row per action
receipt (``remediation_receipts``) and per owner notice sent (``remediation_notices``), so a
re-run never sends the same notice twice and an auditor can list every change credaudit made.

The tables are part of the history schema (``auditor.app.historyschema``, version 3), so they live
on whichever backend the history uses (SQLite or PostgreSQL) and are created by its migrations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from auditor.app.history import History
from auditor.app.historydb import Target, describe

__all__ = ["RemediationLog"]


class RemediationLog:
    def __init__(self, target: Target) -> None:
        self._history = History(target)
        self._db = self._history.backend
        self._target = target

    def __enter__(self) -> RemediationLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self._history.close()

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
        try:
            with self._db.write() as db:
                db.executemany(
                    "INSERT INTO remediation_receipts (plan_id, action_id, tenant, "
                    "credential_id, action, result, status, recorded_at, receipt) "
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    rows,
                )
        except self._db.errors as exc:
            raise describe(self._target, "cannot record receipts", exc) from None

    def receipts(self, plan_id: str | None = None) -> list[dict[str, Any]]:
        # insertion order: SQLite's rowid, PostgreSQL's identity column
        order = "rowid" if self._db.name == "sqlite" else "seq"
        sql = "SELECT receipt FROM remediation_receipts"
        args: tuple[str, ...] = ()
        if plan_id is not None:
            sql, args = sql + " WHERE plan_id = ?", (plan_id,)
        try:
            rows = self._db.execute(f"{sql} ORDER BY {order}", args).fetchall()
        except self._db.errors as exc:
            raise describe(self._target, "cannot read receipts", exc) from None
        return [json.loads(row[0]) for row in rows]

    def notice_sent(
        self, owner: str, tenant: str, credential_id: str, due: str, stage: int, channel: str
    ) -> bool:
        try:
            row = self._db.execute(
                "SELECT 1 FROM remediation_notices WHERE owner=? AND tenant=? AND "
                "credential_id=? AND due=? AND stage=? AND channel=?",
                (owner, tenant, credential_id, due, stage, channel),
            ).fetchone()
        except self._db.errors as exc:
            raise describe(self._target, "cannot read notices", exc) from None
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
        try:
            with self._db.write() as db:
                db.executemany(
                    "INSERT INTO remediation_notices VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    [(owner, t, c, d, stage, channel, sent_at) for t, c, d in items],
                )
        except self._db.errors as exc:
            raise describe(self._target, "cannot record a notice", exc) from None
