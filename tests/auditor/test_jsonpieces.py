"""``auditor.kernel.jsonpieces``: a large document dumped in pieces is exactly what ``json.dumps``
writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from auditor.kernel import jsonpieces
from auditor.kernel.jsonpieces import dumps_pieces

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
