"""A vendor name with bidi overrides, zero-width characters, NUL, ESC and BEL: every
human-facing report shows each as ``<U+XXXX>``, none raw."""

from __future__ import annotations

from auditor.kernel.model import ScanResult
from reports import csv, html, markdown, view
from tests.reports.conftest import replace

HOSTILE = "invoice\u202efdp.exe\u200b\x00\x1b]0;owned\x07"
RAW = "\u202e\u200b\x00\x1b\x07"


def hostile(result: ScanResult) -> ScanResult:
    top = view.ordered_findings(result.findings)[0]  # shown in every format, the top finding
    first = next(c for c in result.credentials if c.id == top.credential_id)
    credentials = tuple(replace(c, name=HOSTILE) if c is first else c for c in result.credentials)
    findings = tuple(
        replace(f, credential_name=HOSTILE) if f.credential_id == first.id else f
        for f in result.findings
    )
    evaluation = replace(result.evaluation, findings=findings)
    return replace(result, credentials=credentials, evaluation=evaluation)


def test_hidden_characters_are_marked_in_every_human_format(curated: ScanResult) -> None:
    result = hostile(curated)
    outputs = {**html.render(result), **markdown.render(result), **csv.render(result)}
    assert set(outputs) >= {"report.html", "report.md", "findings.csv", "inventory.csv"}
    for name, text in outputs.items():
        assert not any(c in text for c in RAW), name
    assert (
        "invoice&lt;U+202E&gt;fdp.exe&lt;U+200B&gt;&lt;U+0000&gt;&lt;U+001B&gt;"
        in (outputs["report.html"])
    )
    assert (
        "invoice<U+202E>fdp.exe<U+200B><U+0000><U+001B>]0;owned<U+0007>"
        in (outputs["inventory.csv"])
    )
    assert (
        "invoice\\<U+202E\\>fdp.exe\\<U+200B\\>\\<U+0000\\>\\<U+001B\\>" in (outputs["report.md"])
    )
