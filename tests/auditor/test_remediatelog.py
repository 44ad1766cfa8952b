"""The remediation log (receipts and owner notices) keeps the same contract on both history
backends: it lives in the history schema (version 3), so a team on PostgreSQL shares it too."""

from __future__ import annotations

from auditor.app.history import History
from auditor.app.historydb import Target
from auditor.app.historyschema import SCHEMA_VERSION
from auditor.app.remediatelog import RemediationLog


def _receipt(action_id: str, result: str) -> dict[str, object]:
    return {
        "action_id": action_id,
        "tenant": "acme",
        "credential_id": f"cred-{action_id}",
        "action": "revoke",
        "result": result,
        "status": 204,
        "time": "2026-12-05T10:00:00Z",
    }


def test_receipts_keep_their_order_per_plan(history_target: Target) -> None:
    with RemediationLog(history_target) as log:
        log.record_receipts("plan-a", [_receipt("2", "done"), _receipt("1", "done")])
        log.record_receipts("plan-b", [_receipt("3", "already-gone")])
        log.record_receipts("plan-a", [_receipt("1", "already-gone")])
    with RemediationLog(history_target) as log:
        assert [(r["action_id"], r["result"]) for r in log.receipts("plan-a")] == [
            ("2", "done"),
            ("1", "done"),
            ("1", "already-gone"),
        ]
        assert len(log.receipts()) == 4
    with History(history_target) as history:
        assert history.schema_version == SCHEMA_VERSION >= 3


def test_a_notice_is_recorded_once(history_target: Target) -> None:
    items = [("acme", "cred-1", "2026-12-19"), ("acme", "cred-2", "2026-12-19")]
    with RemediationLog(history_target) as log:
        assert not log.notice_sent("ann", "acme", "cred-1", "2026-12-19", 14, "email")
        log.record_notice("ann", items, 14, "email", "2026-12-05T10:00:00Z")
        log.record_notice("ann", items, 14, "email", "2026-12-05T11:00:00Z")  # a re-run: no error
    with RemediationLog(history_target) as log:
        assert log.notice_sent("ann", "acme", "cred-1", "2026-12-19", 14, "email")
        assert not log.notice_sent("ann", "acme", "cred-1", "2026-12-19", 7, "email")
        assert not log.notice_sent("ann", "acme", "cred-1", "2026-12-19", 14, "webhook")
