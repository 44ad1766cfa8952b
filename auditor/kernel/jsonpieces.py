"""Large JSON documents in small steps: ``dumps_pieces`` and ``loads``.

A whole SailPoint tenant's PAT list is one response (6 MB at 20,000 PATs, 30 MB at 100,000).
``json.loads`` and ``json.dumps`` each take such a document in one call into C that holds the GIL
throughout (some 50 ms each at 6 MB), and nothing else in the process runs meanwhile: the event
loop, where the other tenants' request chains wait for their responses, stalls that long each
time such a body is decoded, and again when it is searched for secrets
(``auditor.kernel.withhold.withhold_json``). These two give exactly the results of ``json.dumps``
(``ensure_ascii=False``, default separators) and of ``json.loads``, in steps of at most ``STEP``
items, between which the interpreter may switch threads (``auditor.app.collecttuning``).
``tests/auditor/test_jsonpieces.py`` holds them to the ``json`` module's answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["LARGE_TEXT", "STEP", "dumps_pieces", "loads"]

STEP = 256
"""Items of a list (entries of an object) dumped or decoded in one call."""
LARGE_TEXT = 1 << 18
"""Characters from which a top-level array is decoded item by item."""
_SPACE = " \t\n\r"
_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, as the json module skips it


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


def loads(data: bytes | str) -> Any:
    """``json.loads(data)``; a large top-level array (a whole tenant's list) is decoded item by
    item. An invalid document raises what ``json.loads`` raises."""
    text = (
        data if isinstance(data, str) else data.decode(json.detect_encoding(data), "surrogatepass")
    )
    start = len(text) - len(text.lstrip(_SPACE))
    if len(text) < LARGE_TEXT or text[start : start + 1] != "[":
        return json.loads(text)
    try:
        return _array(text, start + 1)
    except ValueError:
        return json.loads(text)  # the error json.loads gives, with its message and position


def _array(text: str, index: int) -> list[Any]:
    decoder = json.JSONDecoder()  # what json.loads uses, with default arguments
    items: list[Any] = []
    index = _skip(text, index)
    if text[index : index + 1] == "]":
        index += 1
    else:
        while True:
            item, index = decoder.raw_decode(text, index)
            items.append(item)
            index = _skip(text, index)
            separator = text[index : index + 1]
            index = _skip(text, index + 1)
            if separator == "]":
                break
            if separator != ",":
                raise ValueError("expected , or ]")
    if _skip(text, index) != len(text):
        raise ValueError("extra data")
    return items


def _skip(text: str, index: int) -> int:
    return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]  # * always matches
