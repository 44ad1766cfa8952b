"""``history``, ``diff`` and ``verify``: recorded scans and evidence bundles."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import (
    EXIT_OK,
    db_options,
    guard,
    open_history,
    printable,
)
from auditor.cli.group import cli
from auditor.kernel.model import Finding
from auditor.kernel.timestamps import format_timestamp
from auditor.kernel.visible import visible

TRUSTED_KEY_ENV = "CREDAUDIT_TRUSTED_KEY"
"""A trusted public key file for ``verify``: set, every bundle must carry its valid signature."""


@cli.command()
@db_options
@click.option("--limit", type=click.IntRange(min=1), help="Only the last N scans.")
@guard
def history(config_path: Path | None, database: Path | None, fmt: str, limit: int | None) -> int:
    """List the recorded scans, oldest first."""
    with open_history(config_path, database) as db:
        scans = db.scans(limit=limit)
    if fmt == "json":
        rows = [
            {
                "id": s.id,
                "started_at": format_timestamp(s.started_at),
                "finished_at": format_timestamp(s.finished_at),
                "as_of": format_timestamp(s.as_of),
                "status": s.status,
                "tool_version": s.tool_version,
                "config_hash": s.config_hash,
                "policy_hash": s.policy_hash,
                "tenants": [dataclasses.asdict(t) for t in s.tenants],
                "findings": s.summary.get("findings"),
                "new": s.summary.get("new"),
                "resolved": s.summary.get("resolved"),
            }
            for s in scans
        ]
        click.echo(json.dumps(rows, indent=2))
        return EXIT_OK
    if not scans:
        click.echo("no scans recorded")
    for s in scans:
        tenants = visible(", ".join(f"{t.tenant}={t.status}" for t in s.tenants))
        click.echo(
            f"{s.id}  as of {format_timestamp(s.as_of)}  {s.status:<10} "
            f"{s.summary.get('findings', 0)} failing, {s.summary.get('new', 0)} new, "
            f"{s.summary.get('resolved', 0)} resolved  [{tenants}]"
        )
    return EXIT_OK


@cli.command()
@click.argument("scan_a", required=False)
@click.argument("scan_b", required=False)
@db_options
@guard
def diff(
    scan_a: str | None,
    scan_b: str | None,
    config_path: Path | None,
    database: Path | None,
    fmt: str,
) -> int:
    """Compare two recorded scans (ids or unique prefixes; default: the last two).

    With one id, compares it with the latest scan. A finding absent from the later scan counts
    as resolved only when that scan collected its tenant completely.
    """
    with open_history(config_path, database) as db:
        result = db.diff(scan_a, scan_b)

    def row(f: Finding) -> dict[str, Any]:
        return {
            "fingerprint": f.fingerprint,
            "tenant": f.tenant,
            "rule_id": f.rule_id,
            "credential_id": f.credential_id,
            "credential_name": f.credential_name,
            "status": f.status,
            "severity": f.severity,
            "message": f.message,
        }

    if fmt == "json":
        doc = {
            "a": result.a.id,
            "b": result.b.id,
            "new": [row(f) for f in result.new],
            "resolved": [row(f) for f in result.resolved],
            "persisting": [row(f) for f in result.persisting],
            "changed": [{"before": row(a), "after": row(b)} for a, b in result.changed],
            "not_compared": result.not_compared,
        }
        click.echo(json.dumps(doc, indent=2))
        return EXIT_OK
    click.echo(
        f"{result.a.id} ({format_timestamp(result.a.as_of)}) -> "
        f"{result.b.id} ({format_timestamp(result.b.as_of)})"
    )
    click.echo(
        f"  {len(result.new)} new, {len(result.resolved)} resolved, "
        f"{len(result.persisting)} persisting ({len(result.changed)} changed status or severity)"
    )
    # ids come from vendors: no control character or escape sequence reaches the terminal
    for label, items in (("new", result.new), ("resolved", result.resolved)):
        for f in items:  # most severe first (scandiff.compare)
            click.echo(f"  {label:<8} {f.severity:<8} {visible(f.rule_id):<24} {_credential(f)}")
    for before, after in result.changed:
        click.echo(
            f"  changed  {visible(after.rule_id):<24} {_credential(after)}: "
            f"{before.status}/{before.severity} -> {after.status}/{after.severity}"
        )
    for tenant, reason in result.not_compared.items():
        click.echo(f"  note: {visible(tenant)} not fully compared ({visible(reason)})")
    return EXIT_OK


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--public-key",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar=TRUSTED_KEY_ENV,
    help="Require a valid signature by this Ed25519 public key (PEM or ssh-ed25519); "
    f"default: the file named by ${TRUSTED_KEY_ENV}, when set.",
)
@click.option(
    "--require-signature",
    is_flag=True,
    help="Fail an unsigned bundle (a stripped signature) even without --public-key.",
)
@guard
def verify(bundle: Path, public_key: Path | None, require_signature: bool) -> int:
    """Check an evidence bundle: every file's SHA-256 and size, no missing or extra file, and
    the signature when present (or required by --public-key, $CREDAUDIT_TRUSTED_KEY or
    --require-signature). Nothing is extracted. The last line says whether authenticity (who
    produced the bundle) was checked: only a signature by a key you trust checks it.

    Exit 0: the bundle is intact. Exit 2: it is unreadable, unsafe (path traversal, absolute
    or duplicate names, links) or altered, or unsigned although a signature is required; each
    problem is named.
    """
    from auditor.app.bundlecheck import verify_bundle
    from auditor.app.signing import load_public_key
    from auditor.kernel.errors import EvidenceError

    key = load_public_key(public_key) if public_key is not None else None
    report = verify_bundle(bundle, key)
    problems = list(report.problems)
    if report.ok and report.signer is None and require_signature:
        problems.append("unsigned: no signature, but --require-signature was given")
    if problems:
        for problem in problems:
            click.echo(f"  {printable(problem)}")
        raise EvidenceError(f"{bundle}: verification FAILED ({len(problems)} problem(s))")
    scan = report.manifest.get("scan", {})
    click.echo(f"{bundle}: OK, {report.files} files match manifest.json")
    click.echo(f"  scan {printable(scan.get('id'))} as of {printable(scan.get('as_of'))}")
    if report.signer is None:
        click.echo(
            "  unsigned: authenticity NOT checked, integrity only (anyone can re-hash a "
            "manifest; sign with evidence.signing_key_file, verify with --require-signature "
            "or --public-key)"
        )
    elif report.self_asserted:
        click.echo(
            f"  signed by key {report.signer}, self-asserted: authenticity NOT checked (only "
            "against the key inside the bundle); pass --public-key to check who signed it"
        )
    else:
        click.echo(f"  signed by the given public key {report.signer}: authenticity checked")
    return EXIT_OK


def _credential(f: Finding) -> str:
    """``tenant/name (id)``, or ``tenant/id`` for a credential without a name."""
    where = f"{visible(f.tenant)}/"
    if f.credential_name and f.credential_name != f.credential_id:
        return f"{where}{visible(f.credential_name)} ({visible(f.credential_id)})"
    return where + visible(f.credential_id)
