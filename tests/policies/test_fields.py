"""``Credential`` is the one statement of a credential's fields: the custom-rule field table and
the evaluator's column sweep are checked (or derived) against it, so adding a field to the model
without deciding how rules see it fails here."""

from __future__ import annotations

import typing
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from auditor.kernel.model import Credential
from policies import conditions, facts
from policies.fields import DESCENDED, EXPOSED, FIELDS, NOT_EXPOSED, annotation_of, kind_of


def credential_paths() -> set[str]:
    """Every field of ``Credential``, dotted into the nested models custom rules address."""
    paths: set[str] = set()
    for name in Credential.model_fields:
        if name in DESCENDED:
            paths.update(f"{name}.{sub}" for sub in DESCENDED[name].model_fields)
        else:
            paths.add(name)
    return paths


def test_every_credential_field_is_exposed_to_custom_rules_or_excluded_with_a_reason() -> None:
    exposed, hidden = set(EXPOSED), set(NOT_EXPOSED)
    assert len(exposed) == len(EXPOSED)
    assert not exposed & hidden
    missing = credential_paths() - exposed - hidden
    assert not missing, f"decide in policies/fields.py: expose or NOT_EXPOSED: {sorted(missing)}"
    assert (exposed | hidden) - credential_paths() == set(), "names a field the model lacks"
    assert all(reason.strip() for reason in NOT_EXPOSED.values())
    for model in DESCENDED.values():
        assert issubclass(model, BaseModel)


def test_conditions_use_the_derived_table() -> None:
    assert vars(conditions)["FIELDS"] is FIELDS
    assert set(FIELDS.values()) <= set(conditions.OPERATORS)
    # the kinds the model's types give (pinned: a type change must be a deliberate one)
    assert FIELDS["owner.status"] == "str"  # a Literal
    assert FIELDS["owner.roles"] == "strs"
    assert FIELDS["expires_at"] == "time"
    assert FIELDS["allowed_cidrs"] == "nets"
    assert FIELDS["managed"] == "bool"
    assert FIELDS["capabilities.last_used_granularity_seconds"] == "int"


@pytest.mark.parametrize("path", sorted(NOT_EXPOSED))
def test_hidden_fields_still_exist(path: str) -> None:
    annotation_of(path)


def test_a_type_without_a_kind_is_refused() -> None:
    with pytest.raises(TypeError):
        kind_of(dict[str, str])
    with pytest.raises(TypeError):
        kind_of(int | str)


def _plain(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` metadata, at any depth."""
    if get_origin(annotation) is Annotated:
        return _plain(get_args(annotation)[0])
    args = get_args(annotation)
    if get_origin(annotation) is tuple:
        return tuple[tuple(_plain(a) for a in args)]  # type: ignore[misc]
    if args and get_origin(annotation) is not typing.Literal:
        return typing.Union[tuple(_plain(a) for a in args)]  # noqa: UP007
    return annotation


def test_the_column_sweep_matches_the_model() -> None:
    swept = facts._SWEEP_NAMES
    assert len(set(swept)) == len(swept)
    assert not set(swept) & facts.NOT_SWEPT
    assert set(swept) | facts.NOT_SWEPT == set(Credential.model_fields), (
        "decide in policies/facts.py: sweep the new field or add it to NOT_SWEPT"
    )
    hints = typing.get_type_hints(facts.Facts)
    for name in swept:
        field = _plain(Credential.model_fields[name].annotation)
        assert _plain(hints[name]) == tuple[field, ...], name  # type: ignore[valid-type]
