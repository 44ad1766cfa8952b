"""The ``FORMATS`` registry and the file names docs/architecture.md fixes."""

from __future__ import annotations

from pathlib import Path

from auditor.app.runs import write_outputs
from auditor.kernel.model import ScanResult
from reports import FORMATS


def test_registry_names_and_files(curated: ScanResult) -> None:
    assert list(FORMATS) == ["html", "markdown", "json", "csv", "ocsf", "oscal"]
    files = {name: list(render(curated)) for name, render in FORMATS.items()}
    assert files == {
        "html": ["report.html"],
        "markdown": ["report.md"],
        "json": ["results.json"],
        "csv": ["findings.csv", "inventory.csv"],
        "ocsf": ["findings.ocsf.jsonl"],
        "oscal": ["assessment-results.oscal.json"],
    }


def test_cli_writes_every_format(curated: ScanResult, tmp_path: Path) -> None:
    written = write_outputs(curated, tmp_path, list(FORMATS))
    assert sorted(p.name for p in written) == sorted(
        [
            "report.html",
            "report.md",
            "results.json",
            "findings.csv",
            "inventory.csv",
            "findings.ocsf.jsonl",
            "assessment-results.oscal.json",
        ]
    )
    assert all(p.stat().st_size > 0 for p in written)
