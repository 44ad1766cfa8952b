"""``demo`` and ``sandbox``: the simulated tenants."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import click

from auditor.app.progress import make_progress
from auditor.app.runs import (
    summarize,
    write_outputs,
)
from auditor.cli.common import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    guard,
    parse_as_of,
)
from auditor.cli.group import cli
from auditor.kernel.errors import UsageError


@cli.command()
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("credaudit-demo"),
    show_default=True,
)
@click.option("--as-of", help="Evaluate as of this instant; the demo data is built around it.")
@click.option(
    "--remediation",
    is_flag=True,
    help="Also write a remediation plan (remediation-plan.json) and print its dry run.",
)
@click.pass_context
@guard
def demo(ctx: click.Context, out_dir: Path, as_of: str | None, remediation: bool) -> int:
    """Scan the bundled simulated tenants in-process: no credentials, no network."""
    import policies
    from auditor.app.engine import plan_for, run_scan
    from auditor.app.sandbox import Simulation
    from providers.base import ClientFactory
    from reports import FORMATS

    when = parse_as_of(as_of)
    tenants, router = Simulation(as_of=when).in_process()
    policy = policies.load_policy(None, tenants=[t.name for t in tenants], base_dir=Path.cwd())
    plan = plan_for(tenants, policy, ())
    result = run_scan(
        plan,
        when,
        clients=ClientFactory(transport=router),
        progress=make_progress(quiet=ctx.obj["quiet"]),
    )
    written = write_outputs(result, out_dir, list(FORMATS))
    for line in summarize(result):
        click.echo(line)
    main_report = next((p for p in written if p.name == "report.html"), written[0])
    click.echo(f"open {main_report.resolve()}")
    if remediation:
        _demo_remediation(result, tenants, out_dir, policy.rule_ids)
    return EXIT_OK if result.scan.status == "complete" else EXIT_INCOMPLETE


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address only.")
@click.option(
    "--port",
    type=int,
    default=8600,
    show_default=True,
    help="The first simulated tenant's port; the others follow (+1, +2, ...).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--size", type=int, help="Credentials per tenant (default: the curated demo set).")
@click.option("--latency-ms", type=int, default=0, show_default=True)
@click.option(
    "--faults",
    help="Comma-separated: rate-limit=FRACTION, burst-503=EVERY:LENGTH, error-503=FRACTION, "
    "deny-owner-lookup, deny-session-settings (where the vendor has tenant-wide session "
    "settings), malformed=COUNT.",
)
@click.option("--as-of", help="The instant the generated data is built around (default now).")
@click.option(
    "--write-config",
    "config_dir",
    type=click.Path(path_type=Path),
    help="Write sandbox-config.yaml and sandbox.env (0600) here.",
)
@guard
def sandbox(
    host: str,
    port: int,
    seed: int,
    size: int | None,
    latency_ms: int,
    faults: str | None,
    as_of: str | None,
    config_dir: Path | None,
) -> int:
    """Serve the simulated tenants on loopback until interrupted."""
    import asyncio

    from auditor.app.sandbox import Faults, Sandbox, Simulation

    if size is not None and not 10 <= size <= 200_000:
        raise UsageError("--size must be between 10 and 200000")
    simulation = Simulation(
        as_of=parse_as_of(as_of),
        seed=seed,
        size=size,
        latency_ms=latency_ms,
        faults=Faults.parse(faults),
    )
    server = Sandbox(simulation, host=host, port=port)
    for tenant, url in zip(simulation.simulated, server.urls, strict=True):
        click.echo(f"{tenant.tenant_name} ({tenant.provider}) simulated tenant: {url}", err=True)
    if config_dir is not None:
        config, env = server.write_config(config_dir)
        click.echo(f"wrote {config} and {env}", err=True)
        for line in server.config_costs():  # what a costly phase costs, on or off
            click.echo(line, err=True)
        click.echo(f"scan it:  set -a; . {env}; set +a; credaudit scan -c {config}", err=True)
    click.echo("serving; Ctrl-C stops", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve())
    return EXIT_OK


def _demo_remediation(result: Any, tenants: Any, out_dir: Path, rule_ids: Any) -> None:
    from datetime import UTC, datetime

    from auditor.app.remediate import demo_remediation
    from auditor.app.remediateapprove import render_plan
    from auditor.cli.common import printable
    from providers.registry import registry

    plan, lines = demo_remediation(
        result,
        tenants,
        registry=registry().providers,
        known_rules=rule_ids,
        now=datetime.now(UTC),
    )
    path = out_dir / "remediation-plan.json"
    path.write_text(render_plan(plan), encoding="utf-8")
    click.echo(
        f"remediation plan: {len(plan['actions'])} action(s), "
        f"{len(plan['excluded'])} never touched; wrote {path}"
    )
    click.echo("DRY RUN of `credaudit remediate apply` (nothing is sent):")
    for line in lines:
        click.echo(f"  {printable(line)}")
