"""``auditor.kernel.secretstream``: a streamed text is checked exactly as ``contains`` checks it
joined, wherever the chunks and the checked pieces are cut."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.kernel.secretmatch import FRAGMENT, SecretSet
from auditor.kernel.secretstream import LooseScanner, SecretScanner
from tests.auditor.test_secretmatch import CARRIERS, PAD, SECRET


def scan(secrets: SecretSet, chunks: list[str], piece: int) -> bool:
    scanner = SecretScanner(secrets, piece=piece)
    for chunk in chunks:
        scanner.feed(chunk)
    return scanner.close()


def cut(text: str, sizes: list[int]) -> list[str]:
    chunks, at = [], 0
    for size in sizes:
        chunks.append(text[at : at + size])
        at += size
    return [*chunks, text[at:]]


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("piece", [1, 7, 40, 1 << 20])
def test_every_form_is_found_in_any_chunking(carrier: str, piece: int) -> None:
    secrets = SecretSet([SECRET])
    text = f"{PAD}{CARRIERS[carrier](SECRET)} {PAD}"
    for size in (1, 3, 11, 50):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        assert scan(secrets, chunks, piece), (size, piece)


def test_a_fragment_cut_at_every_position_is_found() -> None:
    """The fragment, raw or behind escaped invisible characters, across every cut point."""
    secrets = SecretSet([SECRET])
    for body in (
        SECRET[:FRAGMENT],
        "\\u200b".join(SECRET[:FRAGMENT]),
        "&#8203;".join(SECRET[:FRAGMENT]),
    ):
        text = "-" * 90 + body + "-" * 90
        for at in range(len(text)):
            assert scan(secrets, [text[:at], text[at:]], piece=50), (body, at)


def test_clean_text_and_no_secrets_are_clean() -> None:
    assert not scan(SecretSet([SECRET]), ["-" * 5000, SECRET[: FRAGMENT - 1], "-" * 5000], 100)
    assert not scan(SecretSet(), [SECRET], 100)


_CUT_TEXT = {
    "before": st.text(max_size=120),
    "after": st.text(max_size=120),
    "present": st.booleans(),
    "sizes": st.lists(st.integers(min_value=0, max_value=60), max_size=12),
    "piece": st.integers(min_value=1, max_value=200),
}
"""A text around a carried secret (or not), cut into chunks, checked in pieces."""


@settings(max_examples=200, deadline=None)
@given(carrier=st.sampled_from(sorted(CARRIERS)), **_CUT_TEXT)
def test_same_answer_as_contains_on_the_joined_text(
    before: str, after: str, carrier: str, present: bool, sizes: list[int], piece: int
) -> None:
    secrets = SecretSet([SECRET])
    text = before + (CARRIERS[carrier](SECRET) if present else "") + after
    assert scan(secrets, cut(text, sizes), piece) == secrets.contains(text)


_LOOSE_CARRIERS: dict[str, Callable[[str], str]] = {
    "spaced": " ".join,
    "dashed every 3": lambda s: "-".join(s[i : i + 3] for i in range(0, len(s), 3)),
    "line breaks": "\n".join,
    "combining marks": "\u0301".join,
    "whole": lambda s: s,
}


@settings(max_examples=200, deadline=None)
@given(carrier=st.sampled_from(sorted(_LOOSE_CARRIERS)), **_CUT_TEXT)
def test_the_loose_scanner_gives_contains_loose_on_the_joined_text(
    before: str, after: str, carrier: str, present: bool, sizes: list[int], piece: int
) -> None:
    secrets = SecretSet([SECRET])
    text = before + (_LOOSE_CARRIERS[carrier](SECRET[3:30]) if present else "") + after
    scanner = LooseScanner(secrets, piece=piece)
    for chunk in cut(text, sizes):
        scanner.feed(chunk)
    assert scanner.close() == secrets.contains_loose(text)
    if present:
        assert scanner.found
