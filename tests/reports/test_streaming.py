"""The streaming format interface (``reports.base``): every format's ``stream`` is lazy, yields
chunks that join to exactly its ``render``, and is written chunk by chunk."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.app.runs import write_outputs
from auditor.kernel.model import ScanResult
from reports import FORMATS, csv, html, json, jsoncodec, markdown, ocsf, oscal
from reports.base import buffered, joined

MODULES = {
    "html": html,
    "markdown": markdown,
    "json": json,
    "csv": csv,
    "ocsf": ocsf,
    "oscal": oscal,
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_stream_joins_to_render(rich: ScanResult, name: str) -> None:
    streams = FORMATS[name](rich)
    for chunks in streams.values():
        assert inspect.isgenerator(chunks)  # lazy: made as it is read
    assert joined(streams) == dict(MODULES[name].render(rich))


@pytest.mark.parametrize("name", ["json", "csv", "ocsf"])
def test_large_outputs_come_in_many_chunks(curated: ScanResult, name: str) -> None:
    """Not one string in disguise: a file of the curated demo (tens of KB) comes in several
    chunks, each bounded."""
    from reports import csv as csv_format

    small = 1 << 10
    if name == "csv":
        pieces = list(csv_format._table(["a"], ([i] for i in range(3 * csv_format.ROWS_PER_CHUNK))))
        assert len(pieces) == 4
        return
    module = MODULES[name]
    text = module.render(curated)[next(iter(module.render(curated)))]
    unbuffered = {"json": json._chunks, "ocsf": ocsf._events}[name](curated)
    pieces = list(buffered(unbuffered, small))
    assert "".join(pieces) == text
    assert len(pieces) > 3
    assert all(len(p) < small + 64 * 1024 for p in pieces)


def test_nothing_is_rendered_before_it_is_read(
    curated: ScanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = jsoncodec.encode_credential

    def counted(*args: Any) -> Any:
        calls.append("c")
        return real(*args)

    monkeypatch.setattr(json, "encode_credential", counted)
    streams = FORMATS["json"](curated)
    assert calls == []
    chunks = streams["results.json"]
    assert isinstance(chunks, Iterator)
    next(iter(chunks))
    assert 0 < len(calls) < len(curated.credentials) + 1


def test_a_failing_stream_leaves_the_previous_set(
    curated: ScanResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_outputs(curated, tmp_path, ["json", "csv"])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(result: ScanResult) -> dict[str, Iterator[str]]:
        def chunks() -> Iterator[str]:
            yield "half of it"
            raise RuntimeError("renderer bug")

        return {"findings.csv": chunks(), "inventory.csv": iter(["x"])}

    monkeypatch.setitem(FORMATS, "csv", broken)
    with pytest.raises(RuntimeError, match="renderer bug"):
        write_outputs(curated, tmp_path, ["json", "csv"])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
