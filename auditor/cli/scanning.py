"""``scan``, ``validate`` and ``rules``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from auditor.app.config import FORMAT_NAMES, LoadedConfig, OutputConfig
from auditor.app.progress import make_progress
from auditor.app.runs import (
    execute_scan,
    exit_code_for,
    read_document,
    reevaluation_plan,
    summarize,
    write_results,
)
from auditor.cli.common import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    guard,
    load,
    load_settings,
    parse_as_of,
    parse_formats,
)
from auditor.cli.group import cli
from auditor.kernel.errors import UsageError
from auditor.kernel.model import SEVERITIES


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), help="Output folder.")
@click.option("-f", "--formats", help=f"Comma-separated: {','.join(FORMAT_NAMES)}.")
@click.option("--as-of", help="Evaluate as of this instant (RFC 3339 or YYYY-MM-DD); default now.")
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "never"]),
    default="high",
    show_default=True,
    help="Exit 1 when an unwaived finding is at or above this severity.",
)
@click.option("--tenant", "tenants", multiple=True, help="Only this tenant (repeatable).")
@click.option(
    "--evidence",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a tamper-evident evidence bundle (zip, mode 0600); signed when "
    "evidence.signing_key_file is configured. Check it with `credaudit verify`.",
)
@click.option(
    "--from-inventory",
    "inventory",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Re-evaluate a saved results.json under the policy and waivers of -c (the default "
    "policy without -c) at --as-of (default: its own as-of). No vendor is contacted, no secret "
    "is needed, and the history is not touched.",
)
@click.option("--no-history", is_flag=True, help="Do not record this scan in the history.")
@click.pass_context
@guard
def scan(
    ctx: click.Context,
    config_path: Path | None,
    out_dir: Path | None,
    formats: str | None,
    as_of: str | None,
    fail_on: str,
    tenants: tuple[str, ...],
    evidence: Path | None,
    inventory: Path | None,
    no_history: bool,
) -> int:
    """Collect every configured tenant, evaluate the policy and write the reports."""
    from auditor.app.engine import prepare
    from auditor.app.reperform import reevaluate
    from auditor.app.signing import load_signing_key

    recorded = True
    loaded: LoadedConfig | None
    if inventory is not None:
        if tenants:
            raise UsageError("--tenant cannot be combined with --from-inventory")
        when = parse_as_of(as_of) if as_of else None
        loaded = load_settings(config_path) if config_path else None
        document = read_document(inventory)
        plan = reevaluation_plan(loaded, document)
    else:
        if config_path is None:
            raise UsageError("scan needs -c CONFIG (or --from-inventory results.json)")
        when = parse_as_of(as_of)
        loaded = load(config_path)
        plan = prepare(loaded, only=tenants)
    settings = loaded.config if loaded else None
    output = settings.output if settings else OutputConfig()
    names = parse_formats(formats, output.formats)
    key_file = settings.evidence.signing_key_file if settings and settings.evidence else None
    signing_key = None
    if evidence is not None and key_file is not None and loaded is not None:
        signing_key = load_signing_key(loaded.resolve_path(key_file))  # before a long scan
    if out_dir is None:
        out_dir = loaded.resolve_path(output.dir) if loaded else output.dir
    if inventory is not None:
        result = reevaluate(document, plan, as_of=when)
        written = write_results(
            result,
            out_dir,
            names,
            evidence=evidence,
            loaded=loaded,
            waivers=plan.waivers,
            signing_key=signing_key,
        )
    else:
        assert loaded is not None and when is not None
        outcome = execute_scan(
            loaded,
            plan,
            when,
            out_dir,
            names,
            history=not no_history,
            evidence=evidence,
            signing_key=signing_key,
            progress=make_progress(quiet=ctx.obj["quiet"]),
        )
        result, written = outcome.result, outcome.written
        if outcome.history_error is not None:
            recorded = False
            click.echo(f"credaudit: error: {outcome.history_error}", err=True)
            click.echo("credaudit: the reports are written without history marks", err=True)
    for line in summarize(result):
        click.echo(line)
    if inventory is None and not no_history and recorded:
        s = result.summary
        click.echo(
            f"  history: {s['new']} new, {s['resolved']} resolved since the last complete scan"
        )
    for path in written:
        click.echo(f"  wrote {path}")
    return exit_code_for(result, fail_on) if recorded else EXIT_USAGE


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), required=True)
@click.option(
    "--connect",
    is_flag=True,
    help="Also run a collection and show, per tenant, each permission the scan needs and "
    "whether it worked (exit 3 when one was refused or failed).",
)
@click.pass_context
@guard
def validate(ctx: click.Context, config_path: Path, connect: bool) -> int:
    """Check a configuration file (and, with --connect, credentials and permissions)."""
    from auditor.app.engine import prepare, run_scan

    loaded = load(config_path)
    plan = prepare(loaded)
    click.echo(f"{config_path}: valid; {len(plan.tenants)} tenant(s)")
    for tenant in plan.tenants:
        click.echo(f"  {tenant.name}: {tenant.provider}")
    if not connect:
        return EXIT_OK
    from auditor.app.engine import default_registry
    from auditor.app.permissions import MISSING, check_permissions, permission_lines

    result = run_scan(plan, datetime.now(UTC), progress=make_progress(quiet=ctx.obj["quiet"]))
    registry = default_registry()
    missing = False
    for cov in result.coverage:
        checks = check_permissions(cov, registry)
        missing = missing or any(c.outcome in MISSING for c in checks)
        for line in permission_lines(cov, checks):
            click.echo(line)
    click.echo("notes:")
    for line in summarize(result, every_note=True)[2:]:
        click.echo(line)
    # a refused permission is a scan that cannot be complete, whatever the population says
    return EXIT_OK if result.scan.status == "complete" and not missing else EXIT_INCOMPLETE


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@guard
def rules(config_path: Path | None, fmt: str) -> int:
    """List every rule with its parameters, severity and controls."""
    import policies

    if config_path is not None:
        loaded = load(config_path)
        policy = policies.load_policy(
            loaded.config.policy,
            tenants=[t.name for t in loaded.config.tenants],
            base_dir=loaded.base_dir,
        )
    else:
        policy = policies.load_policy(None, tenants=[], base_dir=Path.cwd())
    rows = policies.describe_rules(policy)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return EXIT_OK
    for row in rows:
        state = "" if row.get("enabled", True) else " (disabled)"
        click.echo(f"{row['id']:<26} {row['severity']:<8} {row.get('title', '')}{state}")
        params = row.get("parameters") or {}
        if params:
            click.echo("    parameters: " + ", ".join(f"{k}={v}" for k, v in params.items()))
        if row.get("requires_capability"):
            click.echo(f"    needs:      vendor capability {row['requires_capability']}")
        controls = row.get("controls") or []
        if controls:
            click.echo("    controls:   " + "; ".join(str(c) for c in controls))
    return EXIT_OK
