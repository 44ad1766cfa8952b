"""``schedule``: cron schedules until stopped."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.app.runs import (
    scheduled_scan,
)
from auditor.cli.common import (
    EXIT_OK,
    guard,
    load,
    logger,
)
from auditor.cli.group import cli
from auditor.kernel.errors import ConfigError, UsageError


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), required=True)
@click.option("--run-now", is_flag=True, help="Also run every schedule once at start.")
@click.pass_context
@guard
def schedule(ctx: click.Context, config_path: Path, run_now: bool) -> int:
    """Run the configured cron schedules until SIGTERM or SIGINT (a running scan finishes first).

    Each run writes OUTPUT_DIR/SCHEDULE/<UTC timestamp>/, records the history, moves the
    `latest` link, keeps the last `keep_last` runs and updates SCHEDULE/health.json.
    """
    from auditor.app.engine import prepare
    from auditor.app.notify import Notifier
    from auditor.app.scheduler import ScheduledRunner, build_scheduler, check_schedules, serve
    from auditor.app.signing import load_signing_key

    loaded = load(config_path)
    if not loaded.config.schedules:
        raise UsageError(f"{config_path}: no `schedules` configured; see config.example.yaml")
    check_schedules(loaded)
    prepare(loaded)  # every configuration mistake now, not at 2 a.m.
    from auditor.app.historytarget import history_target

    history_target(loaded)  # the history database's password too (the schedule lease lives there)
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
    if run_now:
        runner.forced.update(s.name for s in loaded.config.schedules)
    due = [s.name for s in loaded.config.schedules if runner.missed(s.name)]
    for name in due:
        logger.warning("schedule %s: a run was missed while credaudit was down; running it", name)
    scheduler = build_scheduler(loaded, runner, run_now=run_now, due=due)
    serve(scheduler, before_start=runner.started)
    return EXIT_OK
