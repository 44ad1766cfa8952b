"""The command line. The only module that prints or exits (click's rule); library code raises.

Exit codes (DESIGN.md): 0 complete scan with nothing at or above ``--fail-on``; 1 unwaived
findings at or above it; 2 usage or configuration error; 3 scan incomplete (a tenant failed, or
was collected only partially). 3 wins over 1: when the population is incomplete, the findings
cannot be the whole story, and a CI gate must not read the run as a normal one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from auditor import __version__
from auditor.config import FORMAT_NAMES, LoadedConfig, load_config
from auditor.errors import AuditorError, UsageError
from auditor.model import SEVERITIES, SEVERITY_RANK, ScanResult
from auditor.progress import make_progress
from auditor.timestamps import TimestampError, parse_timestamp

logger = logging.getLogger("credaudit")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


def _fail(exc: AuditorError) -> NoReturn:
    click.echo(f"credaudit: error: {exc}", err=True)
    sys.exit(exc.exit_code)


def _guard(func: Callable[..., int]) -> Callable[..., None]:
    """Run a command body, mapping our errors to messages and exit codes."""

    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = func(*args, **kwargs)
        except AuditorError as exc:
            _fail(exc)
        except (click.ClickException, click.exceptions.Exit):
            raise
        except OSError as exc:
            # Unwritable output folder, full disk, …: the user's environment, not a finding.
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"credaudit: error: {exc.strerror or type(exc).__name__}{where}", err=True)
            sys.exit(EXIT_USAGE)
        except Exception as exc:
            logger.debug("internal error", exc_info=True)
            click.echo(
                f"credaudit: internal error ({type(exc).__name__}); no complete result was "
                "produced. Run with -v for the traceback and report it.",
                err=True,
            )
            sys.exit(EXIT_INCOMPLETE)
        sys.exit(code)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def parse_as_of(value: str | None) -> datetime:
    """``--as-of``: RFC 3339 with an offset, or a date (midnight UTC); default now."""
    if value is None:
        return datetime.now(UTC)
    text = value.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        text += "T00:00:00Z"
    try:
        parsed = parse_timestamp(text)
    except TimestampError as exc:
        raise UsageError(f"--as-of: {exc}") from None
    if parsed is None:
        raise UsageError("--as-of: empty value")
    return parsed


def parse_formats(value: str | None, default: Sequence[str]) -> list[str]:
    from reports import FORMATS

    names = [f.strip() for f in value.split(",") if f.strip()] if value else list(default)
    unknown = [n for n in names if n not in FORMAT_NAMES]
    if unknown:
        raise UsageError(
            f"-f: unknown format(s) {', '.join(unknown)}; use {', '.join(FORMAT_NAMES)}"
        )
    missing = [n for n in names if n not in FORMATS]
    if missing:
        raise UsageError(
            f"-f: format(s) {', '.join(missing)} not available in this build; "
            f"available: {', '.join(FORMATS)}"
        )
    return names


def exit_code_for(result: ScanResult, fail_on: str) -> int:
    if result.scan.status != "complete":
        return EXIT_INCOMPLETE
    if fail_on == "never":
        return EXIT_OK
    threshold = SEVERITY_RANK[fail_on]
    if any(f.status == "fail" and SEVERITY_RANK[f.severity] >= threshold for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def write_outputs(result: ScanResult, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    from reports import FORMATS

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in formats:
        for file_name, text in FORMATS[name](result).items():
            target = out_dir / file_name
            tmp = target.with_name(f".{file_name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)  # atomic: a reader never sees half a report
            written.append(target)
    return written


def summarize(result: ScanResult) -> list[str]:
    s = result.summary
    lines = [
        f"scan {result.scan.id} as of {result.scan.as_of.isoformat()}: {result.scan.status}",
        f"  {s['credentials']} credentials in {s['tenants']} tenant(s); "
        f"{s['findings']} failing: "
        + ", ".join(f"{s['by_severity'][sev]} {sev}" for sev in SEVERITIES)
        + f"; {s['manual']} to review manually, {s['waived']} waived",
    ]
    for cov in result.coverage:
        line = f"  {cov.tenant} ({cov.provider}): {cov.status}, {cov.credential_count} credentials"
        if cov.record_errors:
            line += f", {len(cov.record_errors)} unreadable record(s)"
        if cov.error:
            line += f" — {cov.error}"
        lines.append(line)
        lines.extend(f"      note: {note}" for note in cov.notes if cov.status != "complete")
    return lines


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="credaudit")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """credaudit: audit personal API credentials in ConductorOne and SailPoint ISC."""
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING if not verbose else logging.INFO)
    ctx.obj = {"quiet": quiet, "verbose": verbose}


def _load(config: Path) -> LoadedConfig:
    return load_config(config)


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), required=True)
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
@click.pass_context
@_guard
def scan(
    ctx: click.Context,
    config_path: Path,
    out_dir: Path | None,
    formats: str | None,
    as_of: str | None,
    fail_on: str,
    tenants: tuple[str, ...],
) -> int:
    """Collect every configured tenant, evaluate the policy and write the reports."""
    from auditor.engine import prepare, run_scan

    when = parse_as_of(as_of)
    loaded = _load(config_path)
    names = parse_formats(formats, loaded.config.output.formats)
    plan = prepare(loaded, only=tenants)
    progress = make_progress(quiet=ctx.obj["quiet"])
    result = run_scan(plan, when, progress=progress)
    target = out_dir or loaded.resolve_path(loaded.config.output.dir)
    written = write_outputs(result, target, names)
    for line in summarize(result):
        click.echo(line)
    for path in written:
        click.echo(f"  wrote {path}")
    return exit_code_for(result, fail_on)


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), required=True)
@click.option("--connect", is_flag=True, help="Also authenticate and list each tenant.")
@click.pass_context
@_guard
def validate(ctx: click.Context, config_path: Path, connect: bool) -> int:
    """Check a configuration file (and, with --connect, credentials and permissions)."""
    from auditor.engine import prepare, run_scan

    loaded = _load(config_path)
    plan = prepare(loaded)
    click.echo(f"{config_path}: valid; {len(plan.tenants)} tenant(s)")
    for tenant in plan.tenants:
        click.echo(f"  {tenant.name}: {tenant.provider}")
    if not connect:
        return EXIT_OK
    result = run_scan(plan, datetime.now(UTC), progress=make_progress(quiet=ctx.obj["quiet"]))
    for line in summarize(result)[2:]:
        click.echo(line)
    return EXIT_OK if result.scan.status == "complete" else EXIT_INCOMPLETE


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_guard
def rules(config_path: Path | None, fmt: str) -> int:
    """List every rule with its parameters, severity and controls."""
    import policies

    if config_path is not None:
        loaded = _load(config_path)
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
        controls = row.get("controls") or []
        if controls:
            click.echo("    controls:   " + "; ".join(str(c) for c in controls))
    return EXIT_OK


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
@click.pass_context
@_guard
def demo(ctx: click.Context, out_dir: Path, as_of: str | None) -> int:
    """Scan the bundled simulated tenants in-process: no credentials, no network."""
    import policies
    from auditor.engine import plan_for, run_scan
    from auditor.sandbox import Simulation
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
    return EXIT_OK if result.scan.status == "complete" else EXIT_INCOMPLETE


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address only.")
@click.option(
    "--port", type=int, default=8600, show_default=True, help="ConductorOne; +1 SailPoint."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--size", type=int, help="Credentials per tenant (default: the curated demo set).")
@click.option("--latency-ms", type=int, default=0, show_default=True)
@click.option(
    "--faults",
    help="Comma-separated: rate-limit=FRACTION, burst-503=EVERY:LENGTH, error-503=FRACTION, "
    "deny-owner-lookup, malformed=COUNT.",
)
@click.option("--as-of", help="The instant the generated data is built around (default now).")
@click.option(
    "--write-config",
    "config_dir",
    type=click.Path(path_type=Path),
    help="Write sandbox-config.yaml and sandbox.env (0600) here.",
)
@_guard
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

    from auditor.sandbox import Faults, Sandbox, Simulation

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
    c1_url, sp_url = server.urls
    click.echo(f"ConductorOne simulated tenant: {c1_url}", err=True)
    click.echo(f"SailPoint simulated tenant:    {sp_url}", err=True)
    if config_dir is not None:
        config, env = server.write_config(config_dir)
        click.echo(f"wrote {config} and {env}", err=True)
        click.echo(f"scan it:  set -a; . {env}; set +a; credaudit scan -c {config}", err=True)
    click.echo("serving; Ctrl-C stops", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="credaudit")
