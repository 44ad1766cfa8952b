"""JSON written as it is made: a document whose population-sized arrays are ``Lazy`` (their
items made one at a time when written), encoded in pieces whose join is exactly
``json.dumps(document, indent=2, ensure_ascii=False)`` (``encoded``), or made whole as plain data
(``listed``). Used by ``reports.oscal``, whose document is tens of KB per credential."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["Lazy", "encoded", "listed"]


class Lazy:
    """A JSON array of the document made as it is written (``stream``): its items come from
    ``make()`` one at a time, so the document's population-sized arrays (inventory items,
    observations, findings) are never held whole; ``document`` lists them."""

    def __init__(self, make: Callable[[], Iterable[Any]]) -> None:
        self.make = make


def listed(value: Any) -> Any:
    """``value`` with every ``Lazy`` made into a list (the whole document as data)."""
    if isinstance(value, Lazy):
        return [listed(item) for item in value.make()]
    if isinstance(value, dict):
        return {key: listed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [listed(item) for item in value]
    return value


def _dumps(value: Any, depth: int) -> str:
    """``value`` as ``json.dumps(..., indent=2)`` writes it at nesting ``depth``."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + "  " * depth) if depth else text


def encoded(value: Any, depth: int) -> Iterator[str]:
    """``value`` in pieces whose join is exactly ``json.dumps(value, indent=2,
    ensure_ascii=False)`` at nesting ``depth``, each ``Lazy`` array made as it is written (its
    items are plain data, each dumped whole): JSON strings hold no raw line break, so a nested
    value's text is its own text re-indented."""
    inner = "\n" + "  " * (depth + 1)
    if isinstance(value, dict) and value:
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + inner + json.dumps(key, ensure_ascii=False) + ": "
            yield from encoded(item, depth + 1)
        yield "\n" + "  " * depth + "}"
    elif isinstance(value, Lazy) or (isinstance(value, list) and value):
        items = value.make() if isinstance(value, Lazy) else value
        opened = False
        for item in items:
            yield ("," if opened else "[") + inner
            if isinstance(value, Lazy):
                yield _dumps(item, depth + 1)
            else:
                yield from encoded(item, depth + 1)
            opened = True
        yield ("\n" + "  " * depth + "]") if opened else "[]"
    else:
        yield _dumps(value, depth)
