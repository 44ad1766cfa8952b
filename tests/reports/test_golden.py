"""Golden files: Markdown and JSON of the curated demo at a fixed as-of (2026-11-24T00:00:00Z).

The scan id, start and finish and per-tenant durations are fixed by the ``curated`` fixture, so
any byte that changes is a change in what the reports say. Regenerate after an intended change:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_golden.py

and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.kernel.model import ScanResult
from reports import json as json_format
from reports import markdown

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from the golden file; UPDATE_GOLDEN=1 regenerates"


@pytest.mark.parametrize(
    ("renderer", "file_name"),
    [(markdown.render, "report.md"), (json_format.render, "results.json")],
)
def test_matches_golden(curated: ScanResult, renderer: object, file_name: str) -> None:
    assert callable(renderer)
    files = renderer(curated)
    assert list(files) == [file_name]
    check(file_name, files[file_name])


def test_rendering_is_deterministic(curated: ScanResult) -> None:
    assert markdown.render(curated) == markdown.render(curated)
    assert json_format.render(curated) == json_format.render(curated)
