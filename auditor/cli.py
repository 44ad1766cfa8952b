"""The command line. The only module that prints or exits (click's rule); library code raises.

Exit codes (DESIGN.md): 0 complete scan with nothing at or above ``--fail-on``; 1 unwaived
findings at or above it; 2 usage or configuration error; 3 scan incomplete (a tenant failed, or
was collected only partially). 3 wins over 1: when the population is incomplete, the findings
cannot be the whole story, and a CI gate must not read the run as a normal one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from auditor import __version__
from auditor.config import FORMAT_NAMES, LoadedConfig, OutputConfig, load_config
from auditor.errors import AuditorError, ConfigError, UsageError
from auditor.model import SEVERITIES, Finding
from auditor.progress import make_progress
from auditor.runs import (
    execute_scan,
    exit_code_for,
    read_document,
    reevaluation_plan,
    scheduled_scan,
    summarize,
    write_outputs,
    write_results,
)
from auditor.timestamps import TimestampError, format_timestamp, parse_timestamp

if TYPE_CHECKING:
    pass

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
        except BrokenPipeError:
            # `credaudit … | head`: the reader left; say nothing more (Python's documented recipe)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_USAGE)
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


def _load_settings(config: Path) -> LoadedConfig:
    """The configuration without resolving secrets, for commands that never contact a vendor
    (history, diff, re-evaluation): an auditor re-performing a scan holds no vendor secret."""
    from pydantic import ValidationError

    from auditor.config import AuditConfig
    from auditor.yamlfile import read_yaml_file

    try:
        parsed = AuditConfig.model_validate(read_yaml_file(config))
    except ValidationError:
        return load_config(config)  # raises the located, explained ConfigError
    return LoadedConfig(path=config, config=parsed, credentials={})


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
@_guard
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
    from auditor.engine import prepare
    from auditor.evidence import load_signing_key, reevaluate

    recorded = True
    loaded: LoadedConfig | None
    if inventory is not None:
        if tenants:
            raise UsageError("--tenant cannot be combined with --from-inventory")
        when = parse_as_of(as_of) if as_of else None
        loaded = _load_settings(config_path) if config_path else None
        document = read_document(inventory)
        plan = reevaluation_plan(loaded, document)
    else:
        if config_path is None:
            raise UsageError("scan needs -c CONFIG (or --from-inventory results.json)")
        when = parse_as_of(as_of)
        loaded = _load(config_path)
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
        if row.get("requires_capability"):
            click.echo(f"    needs:      vendor capability {row['requires_capability']}")
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


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), required=True)
@click.option("--run-now", is_flag=True, help="Also run every schedule once at start.")
@click.pass_context
@_guard
def schedule(ctx: click.Context, config_path: Path, run_now: bool) -> int:
    """Run the configured cron schedules until SIGTERM or SIGINT (a running scan finishes first).

    Each run writes OUTPUT_DIR/SCHEDULE/<UTC timestamp>/, records the history, moves the
    `latest` link, keeps the last `keep_last` runs and updates SCHEDULE/health.json.
    """
    from auditor.engine import prepare
    from auditor.evidence import load_signing_key
    from auditor.notify import Notifier
    from auditor.scheduler import ScheduledRunner, build_scheduler, check_schedules, serve

    loaded = _load(config_path)
    if not loaded.config.schedules:
        raise UsageError(f"{config_path}: no `schedules` configured; see config.example.yaml")
    check_schedules(loaded)
    prepare(loaded)  # every configuration mistake now, not at 2 a.m.
    evidence = loaded.config.evidence
    if evidence is not None and evidence.signing_key_file is not None:
        load_signing_key(loaded.resolve_path(evidence.signing_key_file))
    try:
        notifier = Notifier.from_config(loaded)
    except ConfigError as exc:
        raise exc.located(str(config_path)) from None
    quiet = bool(ctx.obj["quiet"])
    runner = ScheduledRunner(
        loaded,
        lambda cfg, run_dir, as_of: scheduled_scan(cfg, run_dir, as_of, quiet=quiet),
        notifier=notifier,
    )
    due = [s.name for s in loaded.config.schedules if runner.missed(s.name)]
    for name in due:
        logger.warning("schedule %s: a run was missed while credaudit was down; running it", name)
    scheduler = build_scheduler(loaded, runner, run_now=run_now, due=due)
    serve(scheduler, before_start=runner.started)
    return EXIT_OK


def _history(config_path: Path | None, database: Path | None) -> Any:
    """Open the history named by ``--database`` or by the configuration; never create one."""
    from auditor.errors import HistoryError
    from auditor.history import History

    if database is None:
        if config_path is None:
            raise UsageError("give -c CONFIG or --database PATH")
        loaded = _load_settings(config_path)
        database = loaded.resolve_path(loaded.config.history.database)
    if not database.is_file():
        raise HistoryError(f"no history database at {database}; `credaudit scan` creates it")
    return History(database)


_DB_OPTIONS = [
    click.option("-c", "--config", "config_path", type=click.Path(path_type=Path)),
    click.option(
        "--database",
        type=click.Path(path_type=Path, dir_okay=False),
        help="The history database (default: history.database of -c).",
    ),
    click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text"),
]


def _db_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_DB_OPTIONS):
        func = option(func)
    return func


@cli.command()
@_db_options
@click.option("--limit", type=click.IntRange(min=1), help="Only the last N scans.")
@_guard
def history(config_path: Path | None, database: Path | None, fmt: str, limit: int | None) -> int:
    """List the recorded scans, oldest first."""
    with _history(config_path, database) as db:
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
        tenants = ", ".join(f"{t.tenant}={t.status}" for t in s.tenants)
        click.echo(
            f"{s.id}  as of {format_timestamp(s.as_of)}  {s.status:<10} "
            f"{s.summary.get('findings', 0)} failing, {s.summary.get('new', 0)} new, "
            f"{s.summary.get('resolved', 0)} resolved  [{tenants}]"
        )
    return EXIT_OK


@cli.command()
@click.argument("scan_a", required=False)
@click.argument("scan_b", required=False)
@_db_options
@_guard
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
    with _history(config_path, database) as db:
        result = db.diff(scan_a, scan_b)

    def row(f: Finding) -> dict[str, Any]:
        return {
            "fingerprint": f.fingerprint,
            "tenant": f.tenant,
            "rule_id": f.rule_id,
            "credential_id": f.credential_id,
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
    for label, items in (("new", result.new), ("resolved", result.resolved)):
        for f in items:
            click.echo(f"  {label:<8} {f.severity:<8} {f.rule_id:<24} {f.tenant}/{f.credential_id}")
    for before, after in result.changed:
        click.echo(
            f"  changed  {after.rule_id:<24} {after.tenant}/{after.credential_id}: "
            f"{before.status}/{before.severity} -> {after.status}/{after.severity}"
        )
    for tenant, reason in result.not_compared.items():
        click.echo(f"  note: {tenant} not fully compared ({reason})")
    return EXIT_OK


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--public-key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Require a valid signature by this Ed25519 public key (PEM or ssh-ed25519).",
)
@_guard
def verify(bundle: Path, public_key: Path | None) -> int:
    """Check an evidence bundle: every file's SHA-256 and size, no missing or extra file, and
    the signature when present (or required by --public-key). Nothing is extracted.

    Exit 0: the bundle is intact. Exit 2: it is unreadable, unsafe (path traversal, absolute
    or duplicate names, links) or altered; each altered, missing or extra file is named.
    """
    from auditor.errors import EvidenceError
    from auditor.evidence import load_public_key, verify_bundle

    key = load_public_key(public_key) if public_key is not None else None
    report = verify_bundle(bundle, key)
    if not report.ok:
        for problem in report.problems:
            click.echo(f"  {_printable(problem)}")
        raise EvidenceError(f"{bundle}: verification FAILED ({len(report.problems)} problem(s))")
    scan = report.manifest.get("scan", {})
    click.echo(f"{bundle}: OK, {report.files} files match manifest.json")
    click.echo(f"  scan {_printable(scan.get('id'))} as of {_printable(scan.get('as_of'))}")
    if report.signer is None:
        click.echo("  unsigned: integrity only, not origin (sign with evidence.signing_key_file)")
    elif report.self_asserted:
        click.echo(
            f"  signed by key {report.signer} — self-asserted: checked only against the key "
            "inside the bundle; pass --public-key to check who signed it"
        )
    else:
        click.echo(f"  signed by the given public key {report.signer}")
    return EXIT_OK


def _printable(value: object) -> str:
    """Bundle-supplied text for a terminal: escape sequences could hide the verdict."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in str(value))


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="credaudit")
