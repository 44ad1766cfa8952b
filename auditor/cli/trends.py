"""``trend``: per tenant and severity, how the recorded scans changed over time."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from auditor.cli.common import EXIT_OK, guard, open_history, parse_as_of
from auditor.cli.group import cli
from auditor.kernel.errors import UsageError

_RELATIVE = re.compile(r"^(\d{1,4})([dw])$")


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """``--since``: ``30d`` / ``12w`` (before now), a date, or an RFC 3339 timestamp."""
    if value is None:
        return None
    match = _RELATIVE.match(value.strip())
    if match:
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        return (now or datetime.now(UTC)) - timedelta(days=days)
    try:
        return parse_as_of(value)
    except UsageError as exc:
        raise UsageError(
            str(exc).replace("--as-of", "--since") + " (or a span such as 30d or 12w)"
        ) from None


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


@cli.command()
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path))
@click.option(
    "--database",
    help="The history database: a SQLite file or a postgresql:// URL "
    "(default: history.database of -c).",
)
@click.option("--since", help="Only scans as of this date/time or later, or the last 30d / 12w.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table"
)  # fmt: skip
@guard
def trend(config_path: Path | None, database: str | None, since: str | None, fmt: str) -> int:
    """Per tenant and severity over the recorded scans: failing, manual and waived findings, new,
    resolved, mean time to remediate (days) and credentials. A tenant that failed in a scan shows
    "failed", never zeros."""
    from auditor.app.trend import COLUMNS, trend_rows

    start = parse_since(since)
    with open_history(config_path, database) as db:
        rows = [r.as_dict() for r in trend_rows(db, since=start)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    elif not rows:
        click.echo("no scans recorded" + (" since then" if start else ""))
    else:
        widths = {c: max(len(c), *(len(_cell(r[c])) for r in rows)) for c in COLUMNS}
        click.echo("  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip())
        for r in rows:
            failed = r["tenant_status"] == "failed"
            cells = [
                ("failed" if failed and c == "failing" else _cell(r[c])).ljust(widths[c])
                for c in COLUMNS
            ]
            click.echo("  ".join(cells).rstrip())
    return EXIT_OK
