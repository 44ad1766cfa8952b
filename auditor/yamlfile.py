"""Safe YAML reading for every file credaudit reads: the configuration, waivers, custom rules.

A leaf module (it imports only ``auditor.errors``), so ``policies`` may use it as it uses
``auditor.timestamps``. Two things PyYAML does by default are wrong for a security tool's
configuration: it keeps the last of two duplicate keys silently (two ``expires:`` in a waiver),
and its error messages quote a snippet of the file (which could be a secret written by mistake).
Here duplicates are errors, and errors give only the line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditor.errors import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def read_yaml_file(path: Path, *, key: str | None = None) -> Any:
    """Parse a YAML file safely; errors name the file, line and column but quote nothing.

    ``key``: the configuration key that named this file (``waivers``, ``policy.custom_rules``),
    so that a missing or unreadable file is reported where the user wrote its path.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            "file not found",
            file=str(path),
            key=key,
            fix="check the path (a relative path starts at the config file's folder)",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the file ({type(exc).__name__})",
            file=str(path),
            key=key,
            fix="check the path, its permissions and that it is UTF-8 text",
        ) from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"not valid YAML at {where}: {problem}",
            file=str(path),
            fix="fix the YAML syntax (indentation, quoting, a colon after each key)",
        ) from None
