"""The terminal summary never passes a vendor's control or bidi characters to the terminal."""

from __future__ import annotations

from auditor.app.runs import summarize
from auditor.kernel.model import ScanResult


def test_vendor_errors_and_notes_are_made_visible(rich: ScanResult) -> None:
    hostile = "\x1b]0;owned\x07 \u202eevil\x9b2J"
    coverage = tuple(
        c.model_copy(update={"error": c.error and hostile, "notes": (*c.notes, hostile)})
        for c in rich.coverage
    )
    lines = summarize(rich.model_copy(update={"coverage": coverage}), every_note=True)
    text = "\n".join(lines)
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in text
    assert "<U+202E>evil" in text
