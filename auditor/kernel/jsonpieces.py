"""A large JSON document written in pieces: ``dumps_pieces``.

A whole SailPoint tenant's PAT list is one response (6 MB at 20,000 PATs, 30 MB at 100,000), and
every response is searched for the scan's secrets as JSON text
(``auditor.kernel.withhold.withhold_json``). ``json.dumps`` makes that text in one call into C
that holds the GIL throughout (some 40 ms at 6 MB; the event loop, where the other tenants'
request chains wait for their responses, stalls meanwhile) and holds it whole, with the copies
the search makes of it. ``dumps_pieces`` gives exactly ``json.dumps(value, ensure_ascii=False)``
in pieces of at most ``STEP`` items, searched as they come (``auditor.kernel.secretstream``):
``tests/auditor/test_jsonpieces.py`` holds it to the ``json`` module's text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

__all__ = ["STEP", "dumps_pieces"]

STEP = 256
"""Items of a list (entries of an object) dumped in one call."""


def _split(value: Any, step: int) -> bool:
    """Whether ``value`` is dumped in pieces: a list or object of more than ``step`` items, or an
    object holding one (an API's list wrapped in an object)."""
    if isinstance(value, list):
        return len(value) > step
    if isinstance(value, dict):
        return len(value) > step or any(
            isinstance(v, (list, dict)) and len(v) > step for v in value.values()
        )
    return False


def dumps_pieces(value: Any, *, step: int = STEP) -> Iterator[str]:
    """``json.dumps(value, ensure_ascii=False)`` in pieces; joined, the very same text."""
    if not _split(value, step):
        yield json.dumps(value, ensure_ascii=False)
        return
    if isinstance(value, list):
        yield "["
        for start in range(0, len(value), step):
            if start:
                yield ", "
            chunk = value[start : start + step]
            if any(_split(item, step) for item in chunk):
                for index, item in enumerate(chunk):
                    if index:
                        yield ", "
                    yield from dumps_pieces(item, step=step)
            else:
                yield json.dumps(chunk, ensure_ascii=False)[1:-1]
        yield "]"
        return
    yield "{"
    for index, (key, item) in enumerate(value.items()):
        if index:
            yield ", "
        if _split(item, step):
            yield (
                json.dumps({key: 0}, ensure_ascii=False)[1:-4] + ": "
            )  # the key as dumps writes it
            yield from dumps_pieces(item, step=step)
        else:
            yield json.dumps({key: item}, ensure_ascii=False)[1:-1]
    yield "}"
