"""Marking a scan against the history and storing it (``auditor.app.history``).

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
import json
from typing import Any, TypeVar

from pydantic import BaseModel

from auditor.app.historydb import Backend
from auditor.app.historyschema import (
    _CREDENTIALS,
    _FINDINGS,
    _fmt,
    _pack_chunks,
    _ts,
    _unpack,
    canonical_hash,
)
from auditor.app.scandiff import OPEN_STATUSES
from auditor.kernel.model import Finding, ScanResult
from auditor.kernel.timestamps import format_timestamp

_M = TypeVar("_M", bound=BaseModel)


def _mark(db: Backend, result: ScanResult, *, in_place: bool = False) -> ScanResult:
    """``result`` marked; with ``in_place`` its findings are marked themselves rather than
    copied (``InPlace``: the memory of a large scan)."""
    mark = _set_in_place if in_place else _replace
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
            marked.append(mark(finding, change=None, first_seen=None))
            continue
        open_now.add(finding.fingerprint)
        earlier = streaks[finding.tenant].get(finding.fingerprint)
        if earlier:
            marked.append(mark(finding, change="persisting", first_seen=_ts(earlier[0])))
        else:
            marked.append(mark(finding, change="new", first_seen=as_of))
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
    object.__setattr__(new, "__pydantic_fields_set__", _fields_set(model.model_fields_set, update))
    return new


def _set_in_place(model: _M, **update: Any) -> _M:
    """``model`` itself with fields replaced (``InPlace``)."""
    model.__dict__.update(update)
    object.__setattr__(model, _SET, _fields_set(model.model_fields_set, update))
    return model


_SET = "__pydantic_fields_set__"
_MARKS = ("change", "first_seen")


class InPlace:
    """Marking a scan's findings in place, and putting them back.

    The boundary of a memory trick (docs/architecture.md "Memory boundary"): marking copies
    every finding (a frozen model), and a large scan holds both copies at once (200,000
    credentials: about 560,000 findings, some 200 MB). ``History.record(..., in_place=True)``
    instead sets ``change`` and ``first_seen`` on the findings themselves; the caller gives up
    the unmarked result (``auditor.app.runs.record_history``: its callers replace theirs with
    what it returns) and, when recording fails, calls ``undo`` so the result it returns is
    exactly the unmarked one again."""

    def __init__(self, result: ScanResult) -> None:
        self._findings = result.findings
        self._saved = [(f.change, f.first_seen, f.model_fields_set) for f in self._findings]

    def undo(self) -> None:
        for finding, (change, first_seen, fields) in zip(self._findings, self._saved, strict=True):
            finding.__dict__.update(change=change, first_seen=first_seen)
            object.__setattr__(finding, _SET, fields)


_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _fields_set(current: set[str], update: dict[str, Any]) -> set[str]:
    """One shared set per distinct combination: a set of 17 names costs about 1.2 KB, and a
    large scan marks hundreds of thousands of findings (pydantic only reads the set; a copy of
    the model copies it)."""
    names = frozenset((*current, *update))
    return _FIELDS_SETS.setdefault(names, set(names))


def _store(db: Backend, result: ScanResult, config_hash: str | None) -> None:
    scan = result.scan
    (seq,) = db.execute(
        "INSERT INTO scans (id, started_at, finished_at, as_of, status, tool_version, "
        "config_hash, policy_hash, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
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
    ).fetchone()
    for coverage in result.coverage:
        tenant = coverage.tenant
        db.insert_blobs(
            "scan_tenants",
            (
                seq,
                tenant,
                coverage.provider,
                coverage.status,
                coverage.credential_count,
                coverage.model_dump_json(),
            ),
            {
                "inventory": _pack_chunks(
                    _CREDENTIALS, [c for c in result.credentials if c.tenant == tenant]
                ),
                "findings": _pack_chunks(
                    _FINDINGS, [f for f in result.findings if f.tenant == tenant]
                ),
            },
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
