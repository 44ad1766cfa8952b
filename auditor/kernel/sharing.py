"""Sharing equal immutable parts between models: the memory of a large population.

A 200,000-credential inventory is mostly repetition: every credential of a tenant carries the
same ``Capabilities``, most owners hold several credentials, most privilege and inherited
restriction objects are one of a handful, and pydantic gives every model instance its own
``__pydantic_fields_set__`` (a set of up to 21 names: about 2 KB, more than the rest of the
credential). ``Sharing.share`` makes equal parts one object: the models stay equal, hash, dump and
validate exactly as before (they are frozen, so no one can tell), and a credential costs about a
third of the memory.

A nested model met again as the very object the pool already holds (a ConductorOne owner is one
object for all their credentials) is known by identity, without hashing it again: hashing a
frozen model hashes every field, every time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

_SET = "__pydantic_fields_set__"


class Sharing:
    """One pool of shared parts; ``share`` each model of a population through it."""

    def __init__(self) -> None:
        self._sets: dict[frozenset[str], set[str]] = {}
        self._values: dict[Any, Any] = {}
        self._pooled_models: dict[int, BaseModel] = {}
        """The pool's own models by ``id``: only objects the pool holds, so no id is reused."""

    def share(self, model: BaseModel) -> BaseModel:
        """``model`` with its fields set and its nested frozen models and tuples shared (in
        place: only equal values are swapped in); returns the pool's equal model if it has one."""
        fields = getattr(model, _SET)
        shared_set = self._sets.setdefault(frozenset(fields), fields)
        if shared_set is not fields:
            object.__setattr__(model, _SET, shared_set)
        values = model.__dict__
        for name, value in values.items():
            if isinstance(value, BaseModel):
                if self._pooled_models.get(id(value)) is value:
                    continue  # already the pool's, and shared
                shared = self._pooled(self.share(value))
                if shared is value:
                    self._pooled_models[id(value)] = value
            elif isinstance(value, tuple) and value:
                shared = self._pooled(value)
            else:
                continue
            if shared is not value:
                values[name] = shared
        return model

    def _pooled(self, value: Any) -> Any:
        try:
            return self._values.setdefault(value, value)
        except TypeError:  # unhashable (a model holding a dict): kept as it is
            return value

    def share_all(self, models: Iterable[BaseModel]) -> None:
        for model in models:
            self.share(model)
