"""Which vendors credaudit knows: the built-in adapters, plus any a separate package registers.

A vendor is a ``Provider`` subclass (``providers.base``). The built-in ones are listed here
explicitly; another package adds one without editing ours by declaring an entry point in the group
``credaudit.providers`` (its name: the ``provider:`` value in a configuration; its value: the
class, ``package.module:ClassName``)::

    [project.entry-points."credaudit.providers"]
    acme = "acme_credaudit:AcmeProvider"

A plug-in that cannot be loaded (an import error, not a ``Provider``, a name that is taken) is not
fatal: the built-in vendors keep working, and ``load_errors`` says why, so that a configuration
naming that vendor gets a clear error instead of "unknown provider".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points

from auditor.kernel.model import PROVIDER_NAME_PATTERN
from providers.base import Provider
from providers.conductorone import ConductorOneProvider
from providers.sailpoint import SailPointProvider

ENTRY_POINT_GROUP = "credaudit.providers"
NAME = re.compile(PROVIDER_NAME_PATTERN)
"""A provider name: it appears in configurations, outputs and fingerprints."""

BUILTIN: dict[str, type[Provider]] = {
    ConductorOneProvider.name: ConductorOneProvider,
    SailPointProvider.name: SailPointProvider,
}


@dataclass(frozen=True)
class Registry:
    providers: dict[str, type[Provider]]
    load_errors: dict[str, str] = field(default_factory=dict)
    """Entry point name → why it was not loaded."""


@cache
def registry() -> Registry:
    """The built-in vendors plus the ``credaudit.providers`` entry points (loaded once)."""
    found = dict(BUILTIN)
    errors: dict[str, str] = {}
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        problem = _problem(point.name, found)
        if problem is None:
            try:
                loaded = point.load()
            except Exception as exc:  # noqa: BLE001 - a broken plug-in must not stop the others
                problem = f"{point.value} could not be imported ({type(exc).__name__}: {exc})"
            else:
                problem = _not_a_provider(point.name, loaded) or _taken_parameter(loaded, found)
                if problem is None:
                    found[point.name] = loaded
        if problem is not None:
            errors[point.name] = problem
    return Registry(found, errors)


def _problem(name: str, found: dict[str, type[Provider]]) -> str | None:
    if not NAME.match(name):
        return f"{name!r} is not a valid provider name (lowercase letters, digits, - and _)"
    if name in found:
        return f"{name!r} is already a provider ({found[name].__module__})"
    return None


def _not_a_provider(name: str, loaded: object) -> str | None:
    if not (isinstance(loaded, type) and issubclass(loaded, Provider)):
        return f"it names {loaded!r}, not a subclass of providers.base.Provider"
    if getattr(loaded, "name", None) != name:
        return f"its class declares name {getattr(loaded, 'name', None)!r}, not {name!r}"
    return None


def _taken_parameter(loaded: type[Provider], found: dict[str, type[Provider]]) -> str | None:
    """A ``privileged-access`` parameter its privilege judge declares that another vendor's
    already does (the rule's parameters are one namespace)."""
    judge = loaded.privilege_judge
    if judge is None:
        return None
    for name, other in found.items():
        if other.privilege_judge is not None:
            taken = sorted(set(judge.params) & set(other.privilege_judge.params))
            if taken:
                return (
                    f"its privilege judge declares the privileged-access parameter(s) "
                    f"{', '.join(taken)}, already declared by {name}"
                )
    return None
