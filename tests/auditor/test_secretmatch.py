"""``auditor.kernel.secretmatch``: fragments of any form, case-insensitive, across invisible
characters."""

from __future__ import annotations

import base64
import html
import json
import sys
import unicodedata
from collections.abc import Callable
from unittest import mock
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from auditor.kernel.secretmatch import (
    _INVISIBLE_CHARS,
    FRAGMENT,
    INVISIBLE,
    PREFILTER_MIN,
    WITHHELD,
    SecretSet,
    fold,
)

SECRET = "Zq8vR2mXw4Lp9TnB6yKc3HdJ7sFg5AeU1oVi0tQ"  # 39 characters, mixed case
PAD = "lorem ipsum dolor sit amet " * 4


def _b64_inside(prefix: str) -> str:
    return base64.b64encode(f"{prefix}{SECRET}&more".encode()).decode()


# how a vendor (or a renderer) might carry SECRET: each must be withheld whole
CARRIERS: dict[str, Callable[[str], str]] = {
    "whole": lambda s: s,
    "upper": str.upper,
    "lower": str.lower,
    "swapcase": str.swapcase,
    "zero-width": "\u200b".join,
    "zero-width, JSON-escaped": "\\u200b".join,
    "zero-width, escaped twice": "\\\\u200B".join,
    "zero-width, HTML entities": lambda s: "&#8203;&#x200d;&zwj;&ZeroWidthSpace;".join(s),
    "zero-width, URL-encoded": "%E2%80%8B".join,
    "bidi and joiners": lambda s: "\u202e\u2060".join(s),
    "soft hyphens": "\u00ad".join,
    "prefix cut": lambda s: s[:FRAGMENT] + "…",
    "suffix": lambda s: s[-FRAGMENT:],
    "middle": lambda s: s[10 : 10 + FRAGMENT],
    "json": lambda s: json.dumps({"secret": s}),
    "url": lambda s: quote("x=" + s, safe=""),
    "form": lambda s: quote_plus(f"a=1&client_secret={s}&b=2"),
    "html": lambda s: html.escape(f"<{s}>"),
    "base64 aligned": lambda s: _b64_inside(""),
    "base64 offset 1": lambda s: _b64_inside("a"),
    "base64 offset 2": lambda s: _b64_inside("ab"),
    "base64url": lambda s: base64.urlsafe_b64encode(f"id:{s}".encode()).decode(),
}


@pytest.mark.parametrize("carrier", CARRIERS)
def test_every_form_is_found_and_withheld(carrier: str) -> None:
    secrets = SecretSet([SECRET])
    text = f"{PAD}{CARRIERS[carrier](SECRET)} {PAD}"
    assert secrets.contains(text)
    redacted = secrets.redact(text)
    assert WITHHELD in redacted
    assert not secrets.contains(redacted)
    assert redacted.startswith(PAD) and redacted.endswith(f" {PAD}")  # the rest is kept


def test_only_escapes_of_invisible_characters_are_hidden() -> None:
    from auditor.kernel.secretmatch import hidden

    text = "a\\u0041 b\\u200b c&#65; d&#8203; e%41%42 f%E2%80%8B g&amp; h\u200b"
    assert [text[a:b] for a, b in hidden(text)] == ["\\u200b", "&#8203;", "%E2%80%8B", "\u200b"]


def test_fragments_shorter_than_twelve_characters_are_not_matches() -> None:
    secrets = SecretSet([SECRET])
    assert not secrets.contains(f"{PAD}{SECRET[: FRAGMENT - 1]}…")
    assert not secrets.contains(SECRET[:6] + " " + SECRET[6:12])


def test_spans_map_back_over_removed_invisible_characters() -> None:
    secrets = SecretSet([SECRET])
    hidden = "\u200b".join(SECRET)
    text = f"a\u200bb {hidden} c\ufeffd"
    (span,) = secrets.spans(text)
    assert text[span[0] : span[1]] == hidden
    assert secrets.redact(text) == f"a\u200bb {WITHHELD} c\ufeffd"


def test_a_public_prefix_is_not_secret_but_goes_with_the_secret() -> None:
    prefix = "secret-token:conductorone.com:v1:"
    secrets = SecretSet()
    secrets.add(prefix + SECRET, public_prefix=prefix)
    assert not secrets.contains(f"{prefix} and conductorone.com are public")
    assert secrets.redact(f"x {prefix}{SECRET} y") == f"x {WITHHELD} y"
    assert secrets.redact(f"x {prefix.upper()}{SECRET.upper()} y") == f"x {WITHHELD} y"


def test_short_values_match_whole_and_tiny_ones_are_ignored() -> None:
    secrets = SecretSet(["s3cr3t-val", "short"])
    assert secrets.redact("a S3CR3T-VAL b") == f"a {WITHHELD} b"
    assert not secrets.contains("s3cr3t-va short")
    assert SecretSet(["short"]).redact("short") == "short"
    assert not SecretSet([]) and not SecretSet(["", "   "])


def test_values_never_show_in_a_repr() -> None:
    secrets = SecretSet([SecretStr(SECRET)])
    assert SECRET not in repr(secrets) and SECRET[:FRAGMENT] not in str(secrets)


def test_a_fragment_across_a_chunk_boundary_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.kernel.secretmatch

    monkeypatch.setattr(auditor.kernel.secretmatch, "CHUNK", 100)
    secrets = SecretSet([SECRET])
    hidden = "\u200b".join(SECRET[:FRAGMENT])
    escaped = "\\u200b".join(SECRET[:FRAGMENT])
    for at in range(70, 101):
        assert secrets.contains("-" * at + escaped + "-" * 150), at
        text = "-" * at + hidden + "-" * 150
        assert secrets.contains(text), at
    assert not secrets.contains("-" * 500)


def test_matches_in_every_block_of_a_long_text() -> None:
    secrets = SecretSet([SECRET])
    filler = "0123456789abcdef-" * 20_000  # 360,000 characters: several blocks
    text = SECRET[:FRAGMENT] + filler + SECRET[5:25] + filler + SECRET[-FRAGMENT:]
    spans = secrets.spans(text)
    assert len(spans) == 3
    assert not secrets.contains(secrets.redact(text))


@given(
    st.text(max_size=200),
    st.integers(0, len(SECRET) - FRAGMENT),
    st.integers(FRAGMENT, len(SECRET)),
    st.text(max_size=200),
)
def test_any_fragment_anywhere_is_withheld(
    before: str, start: int, length: int, after: str
) -> None:
    fragment = SECRET[start : start + length]
    secrets = SecretSet([SECRET])
    redacted = secrets.redact(before + fragment + after)
    assert not secrets.contains(redacted)
    assert fold(fragment[:FRAGMENT]) not in fold(INVISIBLE.sub("", redacted))


def test_invisible_covers_every_format_character() -> None:
    cf = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert all(INVISIBLE.fullmatch(chr(c)) for c in cf)
    matched = {chr(c) for c in range(sys.maxunicode + 1) if INVISIBLE.fullmatch(chr(c))}
    assert matched == _INVISIBLE_CHARS  # the fast pre-check and the regex agree
    assert not any(INVISIBLE.match(c) for c in "aZ09 -_:/+=%\n\t")


def test_fold_keeps_one_character_for_one() -> None:
    assert all(
        len(fold(chr(c))) == 1 for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000
    )
    assert fold("İSTANBUL ß") == "istanbul ß"


# -- the RE2 prefilter (performance boundary) against the reference anchor lookups ------------


def _reference(secrets: SecretSet) -> SecretSet:
    """The same set with the prefilter off: every text goes the reference way."""
    secrets._prefilter._pattern = False
    secrets._loose_prefilter._pattern = False
    return secrets


_NEAR = st.sampled_from([SECRET, SECRET.lower(), json.dumps(SECRET), quote(SECRET), "é\u0130ß"])


@given(st.lists(st.one_of(st.text(max_size=40), _NEAR.map(lambda s: s[3:20])), max_size=12))
def test_the_prefilter_gives_the_reference_answers(parts: list[str]) -> None:
    text = "".join(parts)
    fast = SecretSet([SECRET, "ünïcödé-sécret-välue"])
    reference = _reference(SecretSet([SECRET, "ünïcödé-sécret-välue"]))
    view = fold(text)
    with mock.patch("auditor.kernel.secretmatch.PREFILTER_MIN", 0):  # every view through it
        assert fast._view_spans(view) == reference._view_spans(view)
        assert fast.contains(text) == reference.contains(text)
        assert fast.spans(text) == reference.spans(text)
        assert fast.contains_loose(text) == reference.contains_loose(text)


@pytest.mark.parametrize(
    ("length", "searched"), [(PREFILTER_MIN - 1, False), (PREFILTER_MIN, True)]
)
@pytest.mark.parametrize("loose", [False, True])
def test_only_views_of_prefilter_min_or_more_go_through_the_prefilter(
    length: int, searched: bool, loose: bool
) -> None:
    """Both prefilters: the fragments' and the loose one's (``contains_loose``)."""
    secrets = SecretSet([SECRET])
    prefilter = secrets._loose_prefilter if loose else secrets._prefilter
    search = secrets.contains_loose if loose else secrets.contains
    calls: list[int] = []
    real = prefilter.may_hold

    def counted(view: str) -> bool:
        calls.append(len(view))
        return real(view)

    prefilter.may_hold = counted  # type: ignore[method-assign]
    clean = ("0123456789abcdef" * 100)[:length]  # letters and digits: its own projection
    assert not search(clean)
    assert search(clean[: length - 14] + SECRET[3:17])  # found either way
    assert bool(calls) is searched


def test_clean_text_is_passed_by_the_prefilter_without_the_anchor_lookups() -> None:
    secrets = SecretSet([SECRET])
    clean = "0123456789abcdef-" * 1000
    anchors, secrets._anchors = secrets._anchors, None  # type: ignore[assignment]
    assert not secrets.contains(clean)  # the anchors were never looked at
    assert secrets._prefilter._pattern not in (None, False)  # the prefilter was made and used
    secrets._anchors = anchors
    assert secrets.contains(clean + SECRET[7:19])


def test_a_value_added_later_is_in_the_prefilter() -> None:
    secrets = SecretSet([SECRET])
    pad = "x" * PREFILTER_MIN
    assert not secrets.contains(pad)  # the prefilter is made with SECRET alone
    assert secrets._prefilter._pattern not in (None, False)
    later = "Later-added-bearer-token-0123456789"
    secrets.add(later)
    assert secrets.contains(f"{pad}..{later[4:20]}..")


def test_text_re2_cannot_take_goes_the_reference_way() -> None:
    secrets = SecretSet([SECRET])
    text = "\ud800" + "x" * PREFILTER_MIN + SECRET[2:16]  # a lone surrogate: not UTF-8
    assert secrets.contains(text)
    assert secrets.redact(text) == "\ud800" + "x" * PREFILTER_MIN + WITHHELD


def test_a_pattern_re2_refuses_leaves_the_reference_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("auditor.kernel.secretmatch.PREFILTER_MEMORY", 1 << 10)
    secrets = SecretSet([SECRET])
    assert secrets.contains("a" * PREFILTER_MIN + SECRET[9:22])
    assert secrets._prefilter._pattern is False
    assert not secrets.contains("nothing secret here at all")


@given(st.text(max_size=300) | st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_project_keeps_exactly_ascii_letters_and_digits(text: str) -> None:
    from auditor.kernel.secretforms import _NOT_ALNUM, project

    assert project(text) == _NOT_ALNUM.sub("", text)
