"""``auditor.kernel.jsonpieces``: a large document dumped and decoded in steps gives exactly what
``json.dumps`` and ``json.loads`` give, and what they refuse it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.kernel import jsonpieces
from auditor.kernel.jsonpieces import dumps_pieces, loads

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=9) | st.dictionaries(st.text(max_size=5), inner, max_size=9)
    ),
    max_leaves=60,
)
_KEYS = st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none())


@given(_JSON, st.integers(1, 4))
def test_dumped_in_pieces_is_the_very_text_of_dumps(value: Any, step: int) -> None:
    assert "".join(dumps_pieces(value, step=step)) == json.dumps(value, ensure_ascii=False)


@given(st.dictionaries(_KEYS, st.lists(_SCALARS, max_size=6), max_size=5), st.integers(1, 3))
def test_keys_that_are_not_strings_are_written_as_dumps_writes_them(
    value: dict[Any, Any], step: int
) -> None:
    assert "".join(dumps_pieces(value, step=step)) == json.dumps(value, ensure_ascii=False)


def test_a_whole_tenant_list_is_dumped_in_many_small_pieces() -> None:
    body = [{"id": f"{i:05d}", "name": "é\u200b", "scopes": ["a", "b"]} for i in range(2000)]
    pieces = list(dumps_pieces(body))
    assert "".join(pieces) == json.dumps(body, ensure_ascii=False)
    assert len(pieces) > 2000 // jsonpieces.STEP
    wrapped = {"items": body, "next": None}
    assert "".join(dumps_pieces(wrapped)) == json.dumps(wrapped, ensure_ascii=False)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonpieces, "LARGE_TEXT", 0)  # every array item by item


@pytest.mark.usefixtures("small")
@given(st.lists(_JSON, max_size=8), st.sampled_from(["", " ", "\n  ", "\t\r\n"]))
def test_an_array_decoded_item_by_item_is_what_loads_gives(items: list[Any], space: str) -> None:
    text = json.dumps(items, indent=2 if space else None).replace("\n", "\n" + space)
    text = f"{space}{text}{space}"
    assert loads(text) == json.loads(text)
    assert loads(text.encode("utf-16")) == json.loads(text.encode("utf-16"))


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(
    "text",
    ["[1,]", "[,1]", "[1 2]", "[1] 2", "[1", "[", "\ufeff[1]", '["\\ud800", {"a": 1,}]', "[NaN]x"],
)
def test_what_loads_refuses_is_refused_with_its_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        loads(text)
    assert str(got.value) == str(expected.value)


def test_large_arrays_go_item_by_item_and_the_rest_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = json.JSONDecoder.raw_decode

    def counting(self: json.JSONDecoder, s: str, idx: int = 0) -> Any:
        calls.append(idx)
        return real(self, s, idx)

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", counting)
    body = json.dumps([{"n": i} for i in range(30_000)]).encode()
    assert len(body) > jsonpieces.LARGE_TEXT
    assert loads(body) == json.loads(body)
    assert len(calls) >= 30_000 + 1  # item by item (json.loads itself: one more)
    calls.clear()
    assert loads(b'{"list": [1, 2]}') == {"list": [1, 2]}
    assert len(calls) == 1
