"""Structured coverage notes: what a provider (or the engine) says about how complete a tenant's
collection is, each with a kind, a severity and a count, so reports can lead with the causes of an
incomplete scan and repeated notes collapse into one line.

Severities (``NOTE_SEVERITIES``, most important first):

- ``cause``: a cause of incompleteness — credentials may be missing from the population (a list
  refused, paging cut, records unreadable). A ``partial`` or ``failed`` tenant has at least one.
- ``caveat``: the population is whole but some facts could not be verified (an owner lookup
  refused, user levels not read): results depending on them are ``manual``, never ``pass``.
- ``info``: how the collection went (API version, a list confirmed whole, clock precision).

A provider builds notes with ``cause``, ``caveat`` and ``info``; ``merge_notes`` aggregates notes
of the same kind and message (e.g. one refused owner-lookup batch each: "owner lookup refused
(…) for 1,304 owners in 13 batches; first request id …") and orders them causes first.
``TenantCoverage.note_details`` holds them; ``TenantCoverage.notes`` keeps each one's ``text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from auditor.kernel.modelbase import _Frozen

__all__ = [
    "NOTE_SEVERITIES",
    "CoverageNote",
    "NoteSeverity",
    "cause",
    "caveat",
    "info",
    "merge_notes",
    "split_request_id",
]

NoteSeverity = Literal["cause", "caveat", "info"]
NOTE_SEVERITIES: tuple[NoteSeverity, ...] = ("cause", "caveat", "info")
"""Most important first."""
_RANK = {name: i for i, name in enumerate(NOTE_SEVERITIES)}

LEGACY_KIND = "note"
"""The kind of a note saved as plain text only (results before schema 2.2)."""

# "(request-id: abc)", "request id abc", "(tracking id abc)": vendors quote their request ids in
# error bodies; each batch has its own, so a note that kept it could never be aggregated.
_REQUEST_ID = re.compile(
    r"\s*[(\[]?\s*\b(?:request|tracking)[ _-]?id\b\s*[:=]?\s*"
    r"([A-Za-z0-9][A-Za-z0-9._:-]{0,99})\s*[)\]]?",
    re.IGNORECASE,
)


class CoverageNote(_Frozen):
    """One thing to know about a tenant's collection (see the module docstring)."""

    kind: str = LEGACY_KIND
    """A stable machine name for what happened (``owner-lookup-refused``, ``paging-stopped``)."""
    severity: NoteSeverity = "info"
    message: str
    """What happened, in words, without the count when ``unit`` is set."""
    count: int = Field(default=1, ge=0)
    """How many things it concerns (owners, records, …): ``unit`` names them."""
    unit: str = ""
    """The singular noun ``count`` counts; empty when ``message`` already says it all."""
    advice: str = ""
    """What to do about it (a right to grant, a setting to change); shown after the count."""
    batches: int = Field(default=1, ge=1)
    """How many reports of this note were aggregated (requests, batches)."""
    first_request_id: str | None = None
    """The vendor's request id of the first report, for a support ticket."""

    @property
    def text(self) -> str:
        """The note as one line (what ``TenantCoverage.notes`` and plain-text outputs show)."""
        text = self.message
        if self.unit:
            unit = self.unit if self.count == 1 else f"{self.unit}s"
            text += f" for {self.count:,} {unit}"
            if self.batches > 1:
                text += f" in {self.batches:,} batches"
        elif self.batches > 1:
            text += f" (reported {self.batches:,} times)"
        if self.advice:
            text += f"; {self.advice}"
        if self.first_request_id:
            first = "first request id" if self.batches > 1 else "request id"
            text += f"; {first} {self.first_request_id}"
        return text


def _note(
    severity: NoteSeverity, kind: str, message: str, count: int, unit: str, advice: str
) -> CoverageNote:
    clean, request_id = split_request_id(message)
    return CoverageNote(
        kind=kind,
        severity=severity,
        message=clean,
        count=count,
        unit=unit,
        advice=advice,
        first_request_id=request_id,
    )


def cause(
    kind: str, message: str, *, count: int = 1, unit: str = "", advice: str = ""
) -> CoverageNote:
    """A cause of incompleteness (the population may be short). A vendor request id quoted in
    ``message`` moves to ``first_request_id`` (so batches of one failure aggregate)."""
    return _note("cause", kind, message, count, unit, advice)


def caveat(
    kind: str, message: str, *, count: int = 1, unit: str = "", advice: str = ""
) -> CoverageNote:
    """A fact that could not be verified for part of a whole population."""
    return _note("caveat", kind, message, count, unit, advice)


def info(
    kind: str, message: str, *, count: int = 1, unit: str = "", advice: str = ""
) -> CoverageNote:
    """How the collection went; nothing is missing."""
    return _note("info", kind, message, count, unit, advice)


def split_request_id(text: str) -> tuple[str, str | None]:
    """``text`` without the first vendor request id it quotes, and that id (or None)."""
    match = _REQUEST_ID.search(text)
    if match is None:
        return text, None
    clean = (text[: match.start()] + text[match.end() :]).replace("()", "").strip()
    return re.sub(r"\s{2,}", " ", clean), match.group(1)


def merge_notes(notes: Iterable[CoverageNote | str]) -> tuple[CoverageNote, ...]:
    """Aggregate notes of the same kind, severity, message and unit (counts and batches add up,
    the first request id is kept) and order them causes first, then caveats, then information,
    each in the order first reported. A plain string becomes an ``info`` note of kind ``note``
    (what a result saved before schema 2.2 holds)."""
    merged: dict[tuple[str, str, str, str, str], CoverageNote] = {}
    for note in notes:
        if isinstance(note, str):
            note = CoverageNote(message=note)
        key = (note.kind, note.severity, note.message, note.unit, note.advice)
        seen = merged.get(key)
        if seen is None:
            merged[key] = note
            continue
        merged[key] = seen.model_copy(
            update={
                "count": seen.count + note.count,
                "batches": seen.batches + note.batches,
                "first_request_id": seen.first_request_id or note.first_request_id,
            }
        )
    return tuple(sorted(merged.values(), key=lambda n: _RANK[n.severity]))
