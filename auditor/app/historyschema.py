"""The history database's layout and row encoding (``auditor.app.history``): the schema
migrations, the canonical hash that identifies a policy, and how findings, inventories and
timestamps are written to and read from rows."""

from __future__ import annotations

import functools
import hashlib
import json
import zlib
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from auditor.kernel.errors import HistoryError
from auditor.kernel.model import Credential, Finding
from auditor.kernel.timestamps import format_timestamp, parse_timestamp

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
    # Version 2: the schedule lease (``auditor.app.lease``): which host runs a schedule now, until
    # when, and the last fire time a run of it completed.
    (
        """CREATE TABLE schedule_leases (
            schedule TEXT PRIMARY KEY,
            holder TEXT,
            expires_us INTEGER NOT NULL,
            done_slot TEXT)""",
    ),
    # Version 3: what remediation did (``auditor.app.remediatelog``): a receipt per action and
    # every owner notice sent (its key makes a notice unique per owner, credential, due date,
    # stage and channel, so a re-run never sends it twice).
    (
        """CREATE TABLE remediation_receipts (
            plan_id TEXT NOT NULL, action_id TEXT NOT NULL, tenant TEXT NOT NULL,
            credential_id TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL,
            status INTEGER, recorded_at TEXT NOT NULL, receipt TEXT NOT NULL)""",
        "CREATE INDEX remediation_receipts_by_plan ON remediation_receipts (plan_id)",
        """CREATE TABLE remediation_notices (
            owner TEXT NOT NULL, tenant TEXT NOT NULL, credential_id TEXT NOT NULL,
            due TEXT NOT NULL, stage INTEGER NOT NULL, channel TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (owner, tenant, credential_id, due, stage, channel))""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

# The same schema on PostgreSQL (``auditor.app.historydb``), version for version: entry N here
# upgrades to the same version N + 1 as ``MIGRATIONS[N]``. The version lives in the one row of
# ``credaudit_schema``. ``seq`` is an identity column: writers hold the history's advisory lock,
# so seq order is commit order, as on SQLite.
PG_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS credaudit_schema (version INTEGER NOT NULL)",
        """CREATE TABLE scans (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            as_of TEXT NOT NULL,
            status TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            config_hash TEXT,
            policy_hash TEXT NOT NULL,
            summary TEXT NOT NULL)""",
        """CREATE TABLE scan_tenants (
            scan_seq BIGINT NOT NULL REFERENCES scans(seq) ON DELETE CASCADE,
            tenant TEXT NOT NULL,
            provider TEXT NOT NULL,
            status TEXT NOT NULL,
            credential_count INTEGER NOT NULL,
            coverage TEXT NOT NULL,
            inventory BYTEA NOT NULL,
            findings BYTEA NOT NULL,
            PRIMARY KEY (scan_seq, tenant))""",
        "CREATE INDEX scan_tenants_by_tenant ON scan_tenants (tenant, status, scan_seq)",
        """CREATE TABLE findings (
            scan_seq BIGINT NOT NULL REFERENCES scans(seq) ON DELETE CASCADE,
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
    (
        """CREATE TABLE schedule_leases (
            schedule TEXT PRIMARY KEY,
            holder TEXT,
            expires_us BIGINT NOT NULL,
            done_slot TEXT)""",
    ),
    (
        """CREATE TABLE remediation_receipts (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            plan_id TEXT NOT NULL, action_id TEXT NOT NULL, tenant TEXT NOT NULL,
            credential_id TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL,
            status INTEGER, recorded_at TEXT NOT NULL, receipt TEXT NOT NULL)""",
        "CREATE INDEX remediation_receipts_by_plan ON remediation_receipts (plan_id)",
        """CREATE TABLE remediation_notices (
            owner TEXT NOT NULL, tenant TEXT NOT NULL, credential_id TEXT NOT NULL,
            due TEXT NOT NULL, stage INTEGER NOT NULL, channel TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (owner, tenant, credential_id, due, stage, channel))""",
    ),
)
assert len(PG_MIGRATIONS) == len(MIGRATIONS)


def canonical_hash(value: Any) -> str:
    """SHA-256 of canonical JSON: the same policy hashes the same across runs and machines."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


_FINDINGS = TypeAdapter(list[Finding])
_CREDENTIALS = TypeAdapter(list[Credential])


_PACK_BATCH = 2_000


def _pack(adapter: TypeAdapter[Any], items: list[Any]) -> bytes:
    """``items`` as zlib-compressed JSON (a list): ``_pack_chunks`` joined."""
    return b"".join(_pack_chunks(adapter, items))


def _pack_chunks(adapter: TypeAdapter[Any], items: list[Any]) -> list[bytes]:
    """``items`` as zlib-compressed JSON (a list), in the pieces the compressor gave. Dumped in
    batches straight to JSON bytes in pydantic-core and compressed as they come, so a
    100,000-credential tenant is never one JSON text in memory, and never joined either: the
    history writes the pieces into the row (``Backend.insert_blobs``). A fast zlib level: this
    runs on every scan."""
    packer = zlib.compressobj(1)
    out = [packer.compress(b"[")]
    for start in range(0, len(items), _PACK_BATCH):
        batch = adapter.dump_json(items[start : start + _PACK_BATCH])
        out.append(packer.compress((b"," if start else b"") + batch[1:-1]))
    out.append(packer.compress(b"]"))
    out.append(packer.flush())
    return [piece for piece in out if piece]


UNPACK_FLOOR = 256 << 20
"""Bytes any history blob may decompress to (``_unpack``), however small it is."""
UNPACK_RATIO = 100
"""Above ``UNPACK_FLOOR``, how many times its own size a blob may decompress to. The history
writes JSON at zlib level 1, about 10 to 1 (a 200,000-credential scan's findings: ~20 MB for
~220 MB); a blob past this is not one credaudit wrote (a damaged or tampered shared database)
and is refused before it fills memory."""


def _unpack(blob: bytes) -> list[dict[str, Any]]:
    """A blob of ``_pack_chunks``, decompressed within ``UNPACK_FLOOR`` / ``UNPACK_RATIO``."""
    cap = max(UNPACK_FLOOR, UNPACK_RATIO * len(blob))
    inflate = zlib.decompressobj()
    try:
        text = inflate.decompress(blob, cap + 1)
    except zlib.error as exc:
        raise HistoryError(f"a history record does not decompress ({exc})") from None
    if len(text) > cap or inflate.unconsumed_tail:
        raise HistoryError(
            f"a history record of {len(blob):,} bytes decompresses to more than {cap:,}: not one "
            "credaudit wrote (a damaged or tampered database); restore the database from a "
            "backup or start a new one"
        )
    data: list[dict[str, Any]] = json.loads(text)
    return data


@functools.lru_cache(maxsize=4096)
def _ts(value: str) -> datetime:
    # cached: a large scan's findings share a handful of first-seen instants
    parsed = parse_timestamp(value)
    assert parsed is not None
    return parsed


@functools.lru_cache(maxsize=4096)
def _fmt(value: datetime | None) -> str | None:
    return format_timestamp(value)
