"""Shared by the commands: exit codes (defined once in ``auditor.kernel.errors``), error mapping
(``guard``), option parsing, config loading."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from auditor.app.config import LoadedConfig, load_config
from auditor.kernel.errors import EXIT_FINDINGS as EXIT_FINDINGS  # re-exported for the commands
from auditor.kernel.errors import EXIT_INCOMPLETE as EXIT_INCOMPLETE
from auditor.kernel.errors import EXIT_OK as EXIT_OK
from auditor.kernel.errors import EXIT_USAGE as EXIT_USAGE
from auditor.kernel.errors import AuditorError, UsageError
from auditor.kernel.timestamps import TimestampError, check_as_of, parse_timestamp

logger = logging.getLogger("credaudit")
EXIT_BROKEN_PIPE = 141
"""The reader of stdout left (``credaudit rules | head -1``): 128 + SIGPIPE."""


def _fail(exc: AuditorError) -> NoReturn:
    click.echo(f"credaudit: error: {exc}", err=True)
    sys.exit(exc.exit_code)


def guard(func: Callable[..., int]) -> Callable[..., None]:
    """Run a command body, mapping our errors to messages and exit codes."""

    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = func(*args, **kwargs)
        except AuditorError as exc:
            _fail(exc)
        except (click.ClickException, click.exceptions.Exit):
            raise
        except BrokenPipeError:
            # `credaudit … | head`: the reader left; say nothing more (Python's documented
            # recipe). Not a usage error (2), and never 0: output was cut, so a CI gate must not
            # read the run as clean. 141 = 128 + SIGPIPE, what a shell reports for such a writer.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)
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
        if parsed is None:
            raise UsageError("--as-of: empty value")
        return check_as_of(parsed)
    except TimestampError as exc:
        raise UsageError(f"--as-of: {exc}") from None


def parse_formats(value: str | None, default: Sequence[str]) -> list[str]:
    from reports import FORMATS

    names = [f.strip() for f in value.split(",") if f.strip()] if value else list(default)
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UsageError(f"-f: unknown format(s) {', '.join(unknown)}; use {', '.join(FORMATS)}")
    return names


def load(config: Path) -> LoadedConfig:
    return load_config(config)


def load_settings(config: Path) -> LoadedConfig:
    """The configuration without resolving secrets, for commands that never contact a vendor
    (history, diff, re-evaluation): an auditor re-performing a scan holds no vendor secret."""
    from pydantic import ValidationError

    from auditor.app.config import AuditConfig
    from auditor.kernel.yamlfile import read_yaml_file

    try:
        parsed = AuditConfig.model_validate(read_yaml_file(config))
    except ValidationError:
        return load_config(config)  # raises the located, explained ConfigError
    return LoadedConfig(path=config, config=parsed, credentials={})


def open_history(config_path: Path | None, database: str | Path | None) -> Any:
    """Open the history named by ``--database`` or by the configuration; never create a SQLite
    file (a PostgreSQL history is created by its first scan, and an empty one lists nothing)."""
    from auditor.app.history import History
    from auditor.app.historytarget import history_target, is_postgres_url, target_from_option
    from auditor.kernel.errors import HistoryError

    needs_config = database is None or is_postgres_url(str(database))
    loaded = load_settings(config_path) if config_path is not None and needs_config else None
    if database is not None:
        target = target_from_option(str(database), loaded)
    elif loaded is not None:
        target = history_target(loaded)
    else:
        raise UsageError("give -c CONFIG or --database PATH")
    if isinstance(target, Path) and not target.is_file():
        raise HistoryError(f"no history database at {target}; `credaudit scan` creates it")
    return History(target)


_DB_OPTIONS = [
    click.option("-c", "--config", "config_path", type=click.Path(path_type=Path)),
    click.option(
        "--database",
        help="The history database: a SQLite file or a postgresql:// URL "
        "(default: history.database of -c).",
    ),
    click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text"),
]


def db_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_DB_OPTIONS):
        func = option(func)
    return func


def printable(value: object) -> str:
    """Bundle-supplied text for a terminal: escape sequences could hide the verdict."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in str(value))
