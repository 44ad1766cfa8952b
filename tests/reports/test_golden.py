"""Golden files: Markdown and JSON of the curated demo at a fixed as-of (2026-11-24T00:00:00Z).

The scan id, start and finish and per-tenant durations are fixed by the ``curated`` fixture, so
any byte that changes is a change in what the reports say. Regenerate after an intended change:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_golden.py

and review the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

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


def test_markdown_matches_golden(curated: ScanResult) -> None:
    files = markdown.render(curated)
    assert list(files) == ["report.md"]
    check("report.md", files["report.md"])


def test_json_matches_golden(curated: ScanResult) -> None:
    """``results.json`` is compact (one line); its golden file is the same document indented,
    so that a change reads as a diff. Keys and their order are compared, not only values."""
    files = json_format.render(curated)
    assert list(files) == ["results.json"]
    text = files["results.json"]
    assert text.endswith("}\n") and text.count("\n") == 1, "results.json is not compact"
    document = json.loads(text)
    assert text == json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    check("results.json", json.dumps(document, ensure_ascii=False, indent=1) + "\n")


def test_saved_2_2_document_reads_as_the_3_0_one(curated: ScanResult) -> None:
    """The 2.2 golden file, written by credaudit before 3.0 for the same scan, is still read:
    ``load`` gives exactly what it gives for today's 3.0 document (saved results are audit
    evidence), credentials and findings included, key for key."""
    old = json.loads((GOLDEN / "results-2.2.json").read_text(encoding="utf-8"))
    new = json.loads(json_format.render(curated)["results.json"])
    assert old["schema_version"] == "2.2" and new["schema_version"] == "3.0"
    loaded_old, loaded_new = json_format.load(old), json_format.load(new)
    loaded_old.pop("schema_version"), loaded_new.pop("schema_version")
    assert list(loaded_new) == list(loaded_old)
    assert loaded_new == loaded_old
    for a, b in zip(loaded_new["findings"], loaded_old["findings"], strict=True):
        assert list(a) == list(b)  # field order too


def test_rendering_is_deterministic(curated: ScanResult) -> None:
    assert markdown.render(curated) == markdown.render(curated)
    assert json_format.render(curated) == json_format.render(curated)
