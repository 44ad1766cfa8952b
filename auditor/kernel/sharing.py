"""Sharing equal immutable parts between models: the memory of a large population.

A 200,000-credential inventory is mostly repetition: every credential of a tenant carries the
same ``Capabilities``, most owners hold several credentials, most privilege and inherited
restriction objects are one of a handful, and pydantic gives every model instance its own
``__pydantic_fields_set__`` (a set of up to 21 names: about 2 KB, more than the rest of the
credential) and its own field dict with its own copy of the field names' hash table (832 bytes
for a credential's 22 fields). ``Sharing.share`` makes equal parts one object and puts each field
dict in a key-sharing dict (``key_sharing``: one names table per model class, 296 bytes a
credential): the models stay equal, hash, dump and validate exactly as before (they are frozen,
and a key-sharing dict is a ``dict`` holding the same items in the same order, so no one can
tell), and a credential costs about a third of the memory.

A nested model met again as the very object the pool already holds (a ConductorOne owner is one
object for all their credentials) is known by identity, without hashing it again: hashing a
frozen model hashes every field, every time. So is a model the pool shared before (it holds the
pool's own fields set): an adapter shares its credentials as it makes them, and hands its pool to
the engine (``Provider.sharing``), whose pass over the whole inventory then costs next to nothing
(it took 140 ms at 20,000 credentials, after the last response of the tenant).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

_SET = "__pydantic_fields_set__"


def key_sharing(names: Sequence[str]) -> dict[str, Any]:
    """A dict holding ``names`` in this order (every value ``None``) whose copies share one
    table of the names (CPython's key-sharing instance dicts, PEP 412): a copy stores only its
    values, and assigning to one of ``names`` keeps it so. About a third of a plain dict's size
    for 17 to 22 names (measured: 296 instead of 832 bytes for 22), and as fast to read."""

    class _Keys:
        def __init__(self) -> None:
            for name in names:
                setattr(self, name, None)

    return _Keys().__dict__


class Sharing:
    """One pool of shared parts; ``share`` each model of a population through it."""

    def __init__(self) -> None:
        self._sets: dict[frozenset[str], set[str]] = {}
        self._own_sets: set[int] = set()
        """The ``id`` of each of ``_sets``' values (held there, so no id is reused; each made by
        this pool, never taken from a model, which may come from another pool): a model holding
        one of them went through ``share`` here, and is passed over the next time."""
        self._values: dict[Any, Any] = {}
        self._templates: dict[type, tuple[tuple[str, ...], dict[str, Any]] | None] = {}
        self._pooled_models: dict[int, BaseModel] = {}
        """The pool's own models by ``id``: only objects the pool holds, so no id is reused."""

    def share(self, model: BaseModel) -> BaseModel:
        """``model`` with its fields set and its nested frozen models and tuples shared and its
        field dict key-sharing (in place: only equal values are swapped in, the same items put
        in a smaller dict); returns the pool's equal model if it has one."""
        fields = getattr(model, _SET)
        if id(fields) in self._own_sets:
            return model  # shared by this pool already: only ``share`` hands out its sets
        names = frozenset(fields)
        shared_set = self._sets.get(names)
        if shared_set is None:  # the pool's own set, never a model's nor another pool's
            shared_set = self._sets[names] = set(fields)
            self._own_sets.add(id(shared_set))
        if shared_set is not fields:
            object.__setattr__(model, _SET, shared_set)
        values = self._compact(model)
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
                values[name] = shared  # an existing key: the dict stays key-sharing
        return model

    def _compact(self, model: BaseModel) -> dict[str, Any]:
        """Put ``model``'s field dict in a key-sharing dict of its class's field names, when it
        holds exactly those names in that order (pydantic's layout; anything else is left as
        it is) and that is smaller: a key-sharing dict keeps room for about 30 values, so a
        model of a few fields (``Owner``: 7) is smaller as it is. Returns the field dict."""
        values = model.__dict__
        cls = type(model)
        if cls not in self._templates:
            names = tuple(cls.model_fields)
            template = key_sharing(names)
            smaller = sys.getsizeof(template.copy()) < sys.getsizeof(values)
            self._templates[cls] = (names, template) if smaller else None
        known = self._templates[cls]
        if known is None:
            return values
        names, template = known
        if len(values) != len(names) or tuple(values) != names:
            return values
        compact = template.copy()
        compact.update(values)
        object.__setattr__(model, "__dict__", compact)
        return compact

    def _pooled(self, value: Any) -> Any:
        try:
            return self._values.setdefault(value, value)
        except TypeError:  # unhashable (a model holding a dict): kept as it is
            return value

    def share_all(self, models: Iterable[BaseModel]) -> None:
        for model in models:
            self.share(model)
