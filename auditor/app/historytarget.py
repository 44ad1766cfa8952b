"""Which history database a configuration names: a SQLite path beside the configuration, or a
PostgreSQL URL with its password read from ``history.password_env`` / ``history.password_file``
(held as ``SecretStr``; never in the URL, never in a message)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from auditor.app.config import LoadedConfig, _resolve
from auditor.app.configerrors import _combine
from auditor.app.configmodel import POSTGRES_SCHEMES, HistoryConfig
from auditor.app.historydb import PostgresTarget, Target
from auditor.kernel.errors import ConfigError, UsageError


def is_postgres_url(value: str) -> bool:
    return value.startswith(POSTGRES_SCHEMES)


def history_target(loaded: LoadedConfig, env: Mapping[str, str] | None = None) -> Target:
    """The configuration's ``history.database`` as something ``History`` opens."""
    history = loaded.config.history
    if not history.is_postgres:
        return loaded.resolve_path(Path(history.database))
    problems: list[ConfigError] = []
    password = _resolve(
        history, "password", os.environ if env is None else env, loaded, "history", problems,
        secret=True,
    )  # fmt: skip
    if problems:
        raise _combine(problems, str(loaded.path))
    return PostgresTarget(history.database, SecretStr(password) if password else None)


def target_from_option(value: str, loaded: LoadedConfig | None) -> Target:
    """``--database``: a path, or a PostgreSQL URL (password from the configuration's
    ``history.password_*`` when -c is given, else libpq's ``PGPASSWORD`` / ``~/.pgpass``)."""
    if not is_postgres_url(value):
        return Path(value)
    try:
        HistoryConfig(database=value)
    except ValueError as exc:
        raise UsageError(f"--database: {exc}".split("\n")[0]) from None
    if loaded is not None and loaded.config.history.database == value:
        return history_target(loaded)
    return PostgresTarget(value)
