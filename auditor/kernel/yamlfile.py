"""Safe YAML reading for every file credaudit reads: the configuration, waivers, custom rules.

A leaf module (it imports only ``auditor.kernel.errors`` and ``auditor.kernel.inputfile``), so
``policies`` may use it as it uses ``auditor.kernel.timestamps``. Two things PyYAML does by default
are wrong for a security tool's configuration: it keeps the last of two duplicate keys silently
(two ``expires:`` in a waiver), and its error messages quote a snippet of the file (which could be
a secret written by mistake). Here duplicates are errors, and errors give only the line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditor.kernel.errors import ConfigError
from auditor.kernel.inputfile import YAML_LIMIT, read_text


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


MAX_DEPTH = 32
"""Nesting deeper than any credaudit file needs (a configuration is about 6 levels deep)."""


def read_yaml_file(path: Path, *, key: str | None = None) -> Any:
    """Parse a YAML file safely; errors name the file, line and column but quote nothing.

    ``key``: the configuration key that named this file (``waivers``, ``policy.custom_rules``),
    so that a missing or unreadable file is reported where the user wrote its path. The file must
    be a regular file of at most ``YAML_LIMIT`` bytes (``auditor.kernel.inputfile``) and nest at
    most ``MAX_DEPTH`` levels.
    """
    text = read_text(path, limit=YAML_LIMIT, what="file", key=key)
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise _too_deep(path, key) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"not valid YAML at {where}: {problem}",
            file=str(path),
            fix="fix the YAML syntax (indentation, quoting, a colon after each key)",
        ) from None
    if too_many(data):
        raise ConfigError(
            f"more than {MAX_VALUES:,} values once YAML aliases are expanded",
            file=str(path),
            key=key,
            fix="write the values out, or use fewer aliases (`*name`); no credaudit file needs "
            "this many",
        )
    deep = too_deep(data)
    if deep is not None:
        raise _too_deep(path, _outer(deep) or key)
    return data


MAX_VALUES = 200_000
"""Values (scalars, lists, mappings) a file may hold with its aliases expanded: PyYAML builds
an alias once and shares it, so a few lines of nested aliases (a "billion laughs") stay small in
memory but expand exponentially for whatever walks them (validation, this check)."""


def too_many(data: Any, limit: int = MAX_VALUES) -> bool:
    """More than ``limit`` values, counting each alias use; stops counting at the limit."""
    stack: list[Any] = [data]
    seen = 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _outer(where: str) -> str:
    """The first levels of a key path: enough to find the place, without quoting the file."""
    parts = where.replace("[", ".[").split(".")
    return ".".join(p for p in parts[:4] if p).replace(".[", "[")[:120]


def too_deep(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """The key path of the first value nested deeper than ``limit`` ("" for the top), or None.
    Iterative, so no input can exhaust the stack here."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > limit:
            return where
        if isinstance(value, dict):
            for k, v in value.items():
                stack.append((v, f"{where}.{k}" if where else str(k), depth + 1))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                stack.append((v, f"{where}[{i}]", depth + 1))
    return None


def _too_deep(path: Path, key: str | None) -> ConfigError:
    return ConfigError(
        f"nested more than {MAX_DEPTH} levels deep",
        file=str(path),
        key=key or None,
        fix="flatten the structure; no credaudit setting nests this deep",
    )
