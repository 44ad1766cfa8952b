"""Structured coverage notes (auditor/kernel/coveragenotes.py, issue 17): aggregation, ordering,
text, request ids, and TenantCoverage's two views (``notes`` / ``note_details``)."""

from __future__ import annotations

import pytest

from auditor.kernel.coveragenotes import (
    CoverageNote,
    cause,
    caveat,
    info,
    merge_notes,
    split_request_id,
)
from auditor.kernel.model import RecordError, TenantCoverage


def refused(rid: str, owners: int = 100) -> CoverageNote:
    return caveat(
        "owner-lookup-refused",
        f"owner lookup refused (Permission denied (request-id: {rid}))",
        count=owners,
        unit="owner",
        advice="their status is unknown",
    )


def test_thirteen_refused_batches_are_one_note() -> None:
    notes = [refused(f"r{i}") for i in range(13)] + [refused("r13", owners=4)]
    (note,) = merge_notes(notes)
    assert (note.count, note.batches, note.first_request_id) == (1304, 14, "r0")
    assert note.text == (
        "owner lookup refused (Permission denied) for 1,304 owners in 14 batches; their status "
        "is unknown; first request id r0"
    )


@pytest.mark.parametrize(
    ("count", "batches", "rid", "text"),
    [
        (1, 1, None, "lookup refused for 1 owner"),
        (2, 1, None, "lookup refused for 2 owners"),
        (2, 1, "x", "lookup refused for 2 owners; request id x"),
        (2, 2, "x", "lookup refused for 2 owners in 2 batches; first request id x"),
    ],
)
def test_text_at_the_boundaries(count: int, batches: int, rid: str | None, text: str) -> None:
    note = CoverageNote(
        kind="k", message="lookup refused", count=count, unit="owner", batches=batches,
        first_request_id=rid,
    )  # fmt: skip
    assert note.text == text


def test_a_note_without_unit_is_its_message() -> None:
    assert info("api-version", "api version v3").text == "api version v3"
    (twice,) = merge_notes([info("k", "same"), info("k", "same")])
    assert twice.text == "same (reported 2 times)"


def test_causes_first_then_caveats_then_information_in_reported_order() -> None:
    notes = [info("a", "1"), caveat("b", "2"), cause("c", "3"), info("d", "4"), cause("e", "5")]
    assert [n.message for n in merge_notes(notes)] == ["3", "5", "2", "1", "4"]


def test_different_messages_or_kinds_do_not_merge() -> None:
    notes = [caveat("k", "a"), caveat("k", "b"), caveat("other", "a"), cause("k", "a")]
    assert len(merge_notes(notes)) == 4


@pytest.mark.parametrize(
    ("text", "clean", "rid"),
    [
        ("denied (request-id: 9) (PERMISSION_DENIED 7)", "denied (PERMISSION_DENIED 7)", "9"),
        ("403 Forbidden. (tracking id b21b)", "403 Forbidden.", "b21b"),
        ("failed requestId=ab-1", "failed", "ab-1"),
        ("the request identity is unknown", "the request identity is unknown", None),
        ("no id at all", "no id at all", None),
    ],
)
def test_split_request_id(text: str, clean: str, rid: str | None) -> None:
    assert split_request_id(text) == (clean, rid)


def test_coverage_notes_mirror_the_details_and_round_trip() -> None:
    cov = TenantCoverage(
        tenant="t",
        provider="sailpoint",
        status="partial",
        note_details=(info("api-version", "api version v3"), cause("list-refused", "refused")),
    )
    assert cov.notes == ("refused", "api version v3")
    assert [n.kind for n in cov.causes] == ["list-refused"]
    again = TenantCoverage.model_validate_json(cov.model_dump_json())
    assert again == cov  # the saved notes are not added a second time


def test_a_result_saved_before_2_2_keeps_its_plain_notes() -> None:
    saved = {"tenant": "t", "provider": "sailpoint", "status": "partial", "notes": ["a", "b"]}
    cov = TenantCoverage.model_validate(saved)
    assert cov.notes == ("a", "b")
    assert [(n.kind, n.severity) for n in cov.note_details] == [("note", "info")] * 2
    # no cause note: a partial tenant still shows a reason, never none
    assert cov.reasons() == ("a", "b")


def test_reasons_lead_with_the_error_and_unreadable_records() -> None:
    cov = TenantCoverage(
        tenant="t",
        provider="conductorone",
        status="partial",
        error=None,
        record_errors=(RecordError(index=1, message="bad"), RecordError(index=2, message="bad")),
        note_details=(
            cause("records-unreadable", "2 personal client record(s) could not be read"),
            cause("paging-stopped", "paging stopped"),
            caveat("owner-lookup-refused", "refused", count=3, unit="owner"),
            info("api-version", "v1"),
        ),
    )
    assert cov.reasons() == (
        "2 record(s) could not be read; the population is incomplete",
        "paging stopped",
    )
    failed = TenantCoverage(tenant="t", provider="sailpoint", status="failed", error="HTTP 401")
    assert failed.reasons() == ("HTTP 401",)


def test_with_notes_adds_and_reorders() -> None:
    cov = TenantCoverage(
        tenant="t", provider="sailpoint", status="complete", note_details=(info("a", "one"),)
    )
    out = cov.with_notes(cause("b", "two"), status="partial")
    assert (out.status, out.notes) == ("partial", ("two", "one"))
