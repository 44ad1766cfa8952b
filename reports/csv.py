"""``findings.csv`` and ``inventory.csv``: flat tables for spreadsheets and ticket imports.

Vendor strings are untrusted and spreadsheets execute formulas: a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` (the OWASP "CSV injection"
mitigation), so ``=HYPERLINK(...)`` in a credential name stays text. Quoting, embedded commas,
quotes and newlines are left to the ``csv`` module (RFC 4180, CRLF line ends). Neutralising is
applied to every cell, ours included: a cell this tool writes never legitimately starts with
one of those characters, so nothing is lost.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain

from auditor.kernel.model import Credential, Finding, ScanResult, TenantCoverage
from auditor.kernel.timestamps import format_timestamp
from auditor.kernel.visible import visible
from reports import view
from reports.base import joined

FINDINGS_FILE = "findings.csv"
INVENTORY_FILE = "inventory.csv"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

FINDING_COLUMNS = (
    "fingerprint",
    "tenant",
    "provider",
    "rule_id",
    "status",
    "severity",
    "credential_id",
    "credential_name",
    "owner_id",
    "owner_name",
    "message",
    "remediation",
    "controls",
    "waiver_id",
    "waiver_expires",
    "waiver_approved_by",
    "waiver_reason",
    "waiver_expired",
    "first_seen",
    "change",
    "evidence",
)

INVENTORY_COLUMNS = (
    "tenant",
    "provider",
    "id",
    "client_id",
    "name",
    "owner_id",
    "owner_name",
    "owner_email",
    "owner_status",
    "created_at",
    "updated_at",
    "last_used_at",
    "expires_at",
    "scope_mode",
    "scopes",
    "allowed_cidrs",
    "managed",
    "access_token_ttl_seconds",
    "open_findings",
    "notes",
)


def neutralise(value: object) -> str:
    """A cell value as text that no spreadsheet evaluates as a formula."""
    if value is None:
        return ""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    text = visible(text, keep="\n\r\t")  # bidi, zero-width, NUL, ESC: shown as <U+XXXX>
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


ROWS_PER_CHUNK = 500


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The table as chunks of ``ROWS_PER_CHUNK`` rows (the header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    for n, row in enumerate(rows, 1):
        writer.writerow([neutralise(cell) for cell in row])
        if n % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def finding_row(f: Finding) -> list[object]:
    waiver = f.waiver
    return [
        f.fingerprint,
        f.tenant,
        f.provider,
        f.rule_id,
        f.status,
        f.severity,
        f.credential_id,
        f.credential_name,
        f.owner_id,
        f.owner_name,
        f.message,
        f.remediation,
        "; ".join(f.controls),
        waiver.id if waiver else None,
        format_timestamp(waiver.expires) if waiver else None,
        waiver.approved_by if waiver else None,
        waiver.reason if waiver else None,
        waiver.expired if waiver else None,
        format_timestamp(f.first_seen),
        f.change,
        json.dumps(f.evidence, sort_keys=True, ensure_ascii=False, default=str),
    ]


def inventory_row(c: Credential, open_rules: Sequence[str]) -> list[object]:
    return [
        c.tenant,
        c.provider,
        c.id,
        c.client_id,
        c.name,
        c.owner.id,
        c.owner.name,
        c.owner.email,
        c.owner.status,
        format_timestamp(c.created_at),
        format_timestamp(c.updated_at),
        format_timestamp(c.last_used_at),
        format_timestamp(c.expires_at),
        c.scope_mode,
        "; ".join(c.scopes),
        "; ".join(str(n) for n in c.allowed_cidrs),
        c.managed,
        c.access_token_ttl_seconds,
        "; ".join(open_rules),
        "; ".join(c.notes),
    ]


def coverage_row(cov: TenantCoverage) -> list[object]:
    """A tenant not collected completely, as a findings row (rule ``coverage``)."""
    row: dict[str, object] = {
        "fingerprint": view.coverage_fingerprint(cov),
        "tenant": cov.tenant,
        "provider": cov.provider,
        "rule_id": view.COVERAGE_RULE,
        "status": cov.status,
        "severity": "high" if cov.status == "failed" else "medium",
        "message": view.coverage_message(cov),
        "remediation": "Fix the credential's access or the tenant's availability and scan again; "
        "until then this tenant's results are incomplete.",
        "evidence": json.dumps(
            {"record_errors": len(cov.record_errors), "credentials": cov.credential_count},
            sort_keys=True,
        ),
    }
    return [row.get(column) for column in FINDING_COLUMNS]


def _findings(result: ScanResult) -> Iterator[str]:
    gaps = [coverage_row(c) for c in view.coverage_gaps(result)]
    ordered = view.ordered_findings(result.findings)  # a list of references, not of copies
    yield from _table(FINDING_COLUMNS, chain(gaps, (finding_row(f) for f in ordered)))


def _inventory(result: ScanResult) -> Iterator[str]:
    open_rules = view.open_rules_by_credential(result.findings)
    rows = (inventory_row(c, open_rules.get(c.key, [])) for c in result.credentials)
    yield from _table(INVENTORY_COLUMNS, rows)


def stream(result: ScanResult) -> Mapping[str, Iterable[str]]:
    """Both tables, generated row by row as they are written (``reports.base``)."""
    return {FINDINGS_FILE: _findings(result), INVENTORY_FILE: _inventory(result)}


def render(result: ScanResult) -> Mapping[str, str]:
    return joined(stream(result))
