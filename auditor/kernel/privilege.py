"""The privilege judgement a vendor declares, and the registry the ``privileged-access`` rule
reads it from.

Whether a credential carries privileged access is vendor knowledge (which roles, scopes or user
levels are administrative, how a key's access combines with its owner's), so it lives with the
vendor: a provider declares a ``PrivilegeJudge`` (``providers.base.Provider.privilege_judge``).
The rule (``policies.rules.privileged_access``) only dispatches: it hands each credential to its
vendor's judge with the rule's parameters, and a credential whose vendor has no judge is
``manual``. Neither side imports the other: the judge is plain data in, an outcome out, and the
application fills this registry from the provider registry (``auditor.app.vendorhooks``) before it
loads a policy or evaluates, live or on saved results.

A judge declares the rule parameters it reads (``params``: name → default list of names). They are
part of the ``privileged-access`` parameters (a public contract: configurations name them), each a
list of names where ``*`` is a wildcard (``NameMatcher``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fnmatch import translate
from typing import Any, ClassVar, Literal, Protocol

from auditor.kernel.credential import EffectivePrivilege
from auditor.kernel.model import Credential, OwnerStatus, ScopeMode

PrivilegeOutcome = tuple[Literal["fail", "manual"], str, dict[str, Any]]
"""A non-pass judgement: (status, one-sentence message, evidence). ``None`` is a pass."""


class NameMatcher:
    """Exact names plus ``*`` patterns, compiled once per parameter list."""

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
        patterns (a screen calls it for each of 200,000 credentials)."""
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


class PrivilegeColumns(Protocol):
    """The columns of one tenant's credentials a judge's ``screen`` may read (``policies.facts``
    provides them), each indexed like the credentials."""

    @property
    def scope_mode(self) -> Sequence[ScopeMode]: ...
    @property
    def scopes(self) -> Sequence[tuple[str, ...]]: ...
    @property
    def owner_status(self) -> Sequence[OwnerStatus]: ...
    @property
    def owner_roles(self) -> Sequence[tuple[str, ...]]: ...
    @property
    def unresolved_roles(self) -> Sequence[tuple[str, ...]]: ...
    @property
    def privilege(self) -> Sequence[EffectivePrivilege | None]: ...


class PrivilegeJudge(ABC):
    """One vendor's privilege judgement (see the module docstring).

    ``judge`` is called only for a credential whose ``scope_mode`` is known (``full`` or
    ``scoped``): an unknown scope is ``manual`` for every vendor, decided by the rule.
    """

    params: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """The ``privileged-access`` parameters this judge reads, with their defaults, in the order
    the policy lists them. A name must not be another judge's."""

    def prepare(self, params: Mapping[str, Sequence[str]]) -> Any:
        """Compile the parameters once per scan; the result is handed to ``judge`` and ``screen``.
        Default: one ``NameMatcher`` per declared parameter."""
        return {name: NameMatcher(params[name]) for name in self.params}

    @abstractmethod
    def judge(self, credential: Credential, prepared: Any) -> PrivilegeOutcome | None:
        """``None``: no privileged access; otherwise ``fail`` or ``manual`` with the message
        and the evidence the decision rests on."""

    def screen(
        self, columns: PrivilegeColumns, indices: Sequence[int] | None, prepared: Any
    ) -> Iterable[int]:
        """Those of ``indices`` (``None``: every credential) that might not pass: a superset,
        never a guess (a credential left out is a pass without ``judge`` being called; the
        evaluator's equivalence tests hold the built-in judges to it). Default: all of them."""
        return range(len(columns.scope_mode)) if indices is None else indices


Row = tuple[
    ScopeMode,
    tuple[str, ...],
    OwnerStatus,
    tuple[str, ...],
    tuple[str, ...],
    EffectivePrivilege | None,
]
"""One credential's (scope_mode, scopes, owner_status, owner_roles, unresolved_roles, privilege)."""


def rows(columns: PrivilegeColumns, indices: Sequence[int] | None) -> Iterator[tuple[int, Row]]:
    """(index, row) for ``indices`` (``None``: all, in one C-level ``zip``), for a ``screen``."""
    table = (
        columns.scope_mode, columns.scopes, columns.owner_status, columns.owner_roles,
        columns.unresolved_roles, columns.privilege,
    )  # fmt: skip
    if indices is None:
        return enumerate(zip(*table, strict=True))
    return ((i, (table[0][i], table[1][i], table[2][i], table[3][i], table[4][i], table[5][i]))
            for i in indices)  # fmt: skip


_JUDGES: dict[str, PrivilegeJudge] = {}
_VERSION = [0]


def install_judges(judges: Mapping[str, PrivilegeJudge]) -> None:
    """Make ``judges`` (provider name → judge, in the order the policy lists their parameters)
    the registry; raise ``ValueError`` when two declare the same parameter."""
    owners: dict[str, str] = {}
    for provider, judge in judges.items():
        for name in judge.params:
            if name in owners:
                raise ValueError(
                    f"privileged-access parameter {name!r} is declared by the {owners[name]} "
                    f"and {provider} privilege judges"
                )
            owners[name] = provider
    if dict(judges) == _JUDGES:
        return
    _JUDGES.clear()
    _JUDGES.update(judges)
    _VERSION[0] += 1


def judges() -> Mapping[str, PrivilegeJudge]:
    """Provider name → its judge (a vendor missing here is ``manual``)."""
    return _JUDGES


def judges_version() -> int:
    """Changes whenever the registry does (for caches derived from it)."""
    return _VERSION[0]


def evidence(credential: Credential, **extra: Any) -> dict[str, Any]:
    """The facts every privilege judgement rests on, plus the judge's own (``extra``)."""
    owner = credential.owner
    found = {
        "scope_mode": credential.scope_mode,
        "scopes": list(credential.scopes),
        "owner_status": owner.status,
        "owner_roles": list(owner.roles),
    }
    if extra:
        found.update(extra)
    return found
