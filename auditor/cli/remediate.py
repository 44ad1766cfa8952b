"""``remediate plan | approve | apply``: closed-loop remediation with review and approval."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import EXIT_OK, EXIT_USAGE, guard, load, parse_as_of, printable
from auditor.cli.group import cli
from auditor.kernel.errors import UsageError

CONFIG = click.option(
    "-c", "--config", "config_path", type=click.Path(path_type=Path), required=True
)


@cli.group()
def remediate() -> None:
    """Plan, approve and apply revocations and scope narrowing (dry-run by default)."""


@remediate.command("plan")
@CONFIG
@click.option(
    "--from-results",
    "results",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Plan from a saved results.json (re-evaluated under -c's policy and waivers) instead "
    "of a live scan.",
)
@click.option("--as-of", help="Evaluate as of this instant (live scan); default now.")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("remediation-plan.json"),
    show_default=True,
)
@guard
def plan_cmd(config_path: Path, results: Path | None, as_of: str | None, out: Path) -> int:
    """Build a reviewable plan: per credential the action, the findings behind it and the
    exact request; managed and waived credentials are listed as never touched."""
    from auditor.app.engine import prepare, run_scan
    from auditor.app.remediate import make_plan
    from auditor.app.remediateapprove import render_plan
    from auditor.app.remediateplan import first_seen_from_document
    from auditor.app.reperform import reevaluate
    from auditor.app.runs import read_document, record_history, reevaluation_plan
    from auditor.cli.common import load_settings
    from providers.registry import registry

    first_seen = None
    if results is not None:
        loaded = load_settings(config_path)
        document = read_document(results)
        scan_plan = reevaluation_plan(loaded, document)
        result = reevaluate(document, scan_plan)
        first_seen = first_seen_from_document(document)
    else:
        loaded = load(config_path)
        scan_plan = prepare(loaded)
        result = run_scan(scan_plan, parse_as_of(as_of))
        result, error = record_history(loaded, result)  # marks first_seen
        if error is not None:
            click.echo(f"credaudit: warning: history not updated ({error})", err=True)
    plan = make_plan(
        loaded,
        result,
        registry=registry().providers,
        known_rules=scan_plan.policy.rule_ids,
        now=datetime.now(UTC),
        first_seen=first_seen,
    )
    out.write_text(render_plan(plan), encoding="utf-8")
    _summary(plan)
    if result.scan.status != "complete":
        click.echo(
            "  warning: the scan is incomplete; credentials it could not read are not in the plan"
        )
    click.echo(f"  wrote {out}; review it, then `credaudit remediate approve {out}`")
    return EXIT_OK


def _summary(plan: dict[str, Any]) -> None:
    counts: dict[str, int] = {}
    for action in plan["actions"]:
        counts[action["action"]] = counts.get(action["action"], 0) + 1
    shown = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "no action"
    click.echo(f"plan {plan['plan_id']}: {shown}; {len(plan['excluded'])} never touched")
    for action in plan["actions"]:
        rules = ",".join(f["rule_id"] for f in action["findings"])
        click.echo(
            f"  {action['id']} {action['action']:<12} {printable(action['tenant'])}/"
            f"{printable(action['credential_id'])} ({printable(action['credential_name'])}) "
            f"[{rules}] due {action['due']}"
        )
    for item in plan["excluded"]:
        click.echo(
            f"  never touched: {printable(item['tenant'])}/{printable(item['credential_id'])}: "
            f"{printable(item['reason'])}"
        )


@remediate.command("approve")
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--approver", required=True, help="Who approves (name or e-mail).")
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path))
@click.option("--sign", is_flag=True, help="Sign with evidence.signing_key_file of -c.")
@guard
def approve_cmd(plan_file: Path, approver: str, config_path: Path | None, sign: bool) -> int:
    """Record the approver and time (and an Ed25519 signature with --sign) in the plan."""
    from auditor.app.remediateapprove import approve, read_plan, render_plan
    from auditor.app.signing import load_signing_key
    from auditor.cli.common import load_settings

    key = None
    if sign:
        if config_path is None:
            raise UsageError("--sign needs -c CONFIG (its evidence.signing_key_file)")
        loaded = load_settings(config_path)
        key_file = loaded.config.evidence.signing_key_file if loaded.config.evidence else None
        if key_file is None:
            raise UsageError(f"--sign: {config_path} sets no evidence.signing_key_file")
        key = load_signing_key(loaded.resolve_path(key_file))
    plan = approve(read_plan(plan_file), approver=approver, at=datetime.now(UTC), signing_key=key)
    plan_file.write_text(render_plan(plan), encoding="utf-8")
    approval = plan["approval"]
    signed = " (signed)" if "signature" in approval else ""
    click.echo(
        f"{plan_file}: approved by {printable(approval['approved_by'])} at "
        f"{approval['approved_at']}{signed}; plan SHA-256 {approval['plan_sha256']}"
    )
    return EXIT_OK


@remediate.command("apply")
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@CONFIG
@click.option("--execute", is_flag=True, help="Send the requests (default: dry run, none sent).")
@click.option(
    "--receipts",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Receipt bundle path (default: remediation-receipts-<plan id>.zip beside the plan).",
)
@guard
def apply_cmd(plan_file: Path, config_path: Path, execute: bool, receipts: Path | None) -> int:
    """Apply an approved plan. Dry run by default: prints exactly the requests --execute would
    send and contacts no vendor. --execute re-reads every credential first and skips any that
    changed since the plan; receipts go to a bundle `credaudit verify` checks, and the history."""
    from auditor.app.remediate import dry_run, execute_plan, record_receipts, remediation_config
    from auditor.app.remediate import write_receipts as write
    from auditor.app.remediateapprove import check_approved, read_plan
    from auditor.app.signing import load_public_key, load_signing_key
    from auditor.cli.common import load_settings
    from providers.registry import registry

    plan = read_plan(plan_file)
    settings = load_settings(config_path)
    config = remediation_config(settings)
    trusted = (
        load_public_key(settings.resolve_path(config.public_key_file))
        if config.public_key_file
        else None
    )
    signer = check_approved(
        plan,
        now=datetime.now(UTC),
        max_age_hours=config.plan_max_age_hours,
        trusted_key=trusted,
        require_signature=config.require_signature,
    )
    approval = plan["approval"]
    click.echo(
        f"plan {printable(plan.get('plan_id'))}: approved by {printable(approval['approved_by'])}"
        f" at {printable(approval['approved_at'])}"
        + (f", signature by key {signer} valid" if signer else ", unsigned")
    )
    providers = registry().providers
    if not execute:
        click.echo(
            "DRY RUN: no request is sent. --execute would send, after re-reading each "
            "credential (any changed since the plan is skipped):"
        )
        for line in dry_run(settings, plan, providers):
            click.echo(f"  {printable(line)}")
        return EXIT_OK
    loaded = load(config_path)  # the scanning secrets, for the re-read
    done = execute_plan(
        loaded,
        plan,
        reread=lambda names: _reread(loaded, names),
        registry=providers,
        env=os.environ,
        clock=lambda: datetime.now(UTC),
    )
    key_file = loaded.config.evidence.signing_key_file if loaded.config.evidence else None
    key = load_signing_key(loaded.resolve_path(key_file)) if key_file else None
    path = receipts or plan_file.with_name(f"remediation-receipts-{plan.get('plan_id')}.zip")
    write(path, plan, done, applied_at=datetime.now(UTC), signing_key=key)
    record_receipts(loaded, str(plan.get("plan_id")), done)
    failed = 0
    for receipt in done:
        failed += receipt["result"] == "failed"
        status = receipt["status"] if receipt["status"] is not None else "-"
        click.echo(
            f"  {receipt['action_id']} {receipt['action']:<12} {printable(receipt['tenant'])}/"
            f"{printable(receipt['credential_id'])}: {receipt['result']} (HTTP {status}) "
            f"{printable(receipt['detail'])}".rstrip()
        )
    click.echo(f"  wrote {path}; check it with `credaudit verify {path}`")
    return EXIT_USAGE if failed else EXIT_OK


def _reread(loaded: Any, names: Sequence[str]) -> tuple[Any, Any]:
    from auditor.app.engine import prepare, run_scan

    scan_plan = prepare(loaded, only=names)
    return run_scan(scan_plan, datetime.now(UTC)), scan_plan.tenants


@remediate.command("notify")
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@CONFIG
@click.option("--as-of", help="Which notice stage is reached (default now).")
@guard
def notify_cmd(plan_file: Path, config_path: Path, as_of: str | None) -> int:
    """Tell owners, once per stage (remediation.notice_days), about revokes coming up in the
    plan: one message per owner, by e-mail and/or the webhook. Re-runs never repeat a notice."""
    from auditor.app.remediate import send_notices
    from auditor.app.remediateapprove import read_plan

    loaded = load(config_path)
    plan = read_plan(plan_file)
    done, problems = send_notices(
        loaded, plan, as_of=parse_as_of(as_of), env=os.environ, sent_at=datetime.now(UTC)
    )
    for line in done:
        click.echo(f"  sent {printable(line)}")
    for line in problems:
        click.echo(f"  not sent: {printable(line)}")
    if not done:
        click.echo("no notice due (or every due notice was already sent)")
    return EXIT_OK
