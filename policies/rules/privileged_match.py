"""The ``privileged-access`` rule's name matching: ``_Matcher`` (exact names plus ``*`` patterns,
compiled once per parameter set) and ``_Matchers`` (one per role, scope and level list of the
rule's parameters), prepared once per scan by ``PrivilegedAccess.prepare``
(``policies.rules.privileged_access``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from fnmatch import translate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policies.rules.privileged_access import PrivilegedParams

__all__ = ["_Matcher", "_Matchers"]


class _Matcher:
    """Exact names plus ``*`` patterns, compiled once per parameter set."""

    def __init__(self, entries: Iterable[str]) -> None:
        entries = list(entries)
        self.exact = frozenset(e for e in entries if "*" not in e)
        patterns = [translate(e) for e in entries if "*" in e]
        self.regex = re.compile("|".join(patterns)) if patterns else None

    def select(self, names: Iterable[str]) -> list[str]:
        exact, regex = self.exact, self.regex
        if regex is None:
            if exact.isdisjoint(names):  # the common case, without building a list
                return []
            return [name for name in names if name in exact]
        return [name for name in names if name in exact or regex.match(name) is not None]

    def any(self, names: Iterable[str]) -> bool:
        """``bool(select(names))`` without building the list in the common, exact-only case."""
        if self.regex is None:
            return not self.exact.isdisjoint(names)
        return bool(self.select(names))

    @property
    def disjoint(self) -> Callable[[Iterable[str]], bool]:
        """``not any(names)`` as one callable: the frozenset's own C method when there are no
        patterns (the screen calls it for each of 200,000 credentials)."""
        if self.regex is None:
            return self.exact.isdisjoint
        return self._none

    def _none(self, names: Iterable[str]) -> bool:
        return not self.select(names)

    def covers(self, names: Iterable[str]) -> bool:
        """Every one of ``names`` matches (``True`` for none)."""
        exact, regex = self.exact, self.regex
        if regex is None:
            return exact.issuperset(names)
        return all(name in exact or regex.match(name) is not None for name in names)


class _Matchers:
    def __init__(self, params: PrivilegedParams) -> None:
        self.conductorone = _Matcher(params.conductorone_roles)
        self.sailpoint_scopes = _Matcher(params.sailpoint_scopes)
        self.sailpoint_levels = _Matcher(params.sailpoint_user_levels)
        self.sailpoint_plain_levels = _Matcher(params.sailpoint_unprivileged_user_levels)
