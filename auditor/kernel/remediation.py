"""Vendor words in a rule's remediation, declared by the vendor.

A rule's remediation is vendor-neutral ("Replace the credential with one that has an expiry
date"); where the fix is done differently per vendor, each provider declares a short hint for
that rule id (``providers.base.Provider.remediation_hints``: "ConductorOne: 30 or 90 days"), and
the rule's text carries the hints of every installed vendor in brackets, in registry order. A
vendor that declares none adds nothing: the neutral text stands. The application installs the
hints from the provider registry (``auditor.app.vendorhooks``), like the privilege judges.
"""

from __future__ import annotations

from collections.abc import Mapping

_HINTS: dict[str, dict[str, str]] = {}
"""rule id → provider name → hint."""


def install_hints(by_provider: Mapping[str, Mapping[str, str]]) -> None:
    """Make ``by_provider`` (provider name → rule id → hint, in registry order) the hints."""
    _HINTS.clear()
    for provider, hints in by_provider.items():
        for rule_id, hint in hints.items():
            _HINTS.setdefault(rule_id, {})[provider] = hint


def hints(rule_id: str) -> Mapping[str, str]:
    """Provider name → its hint for ``rule_id``."""
    return _HINTS.get(rule_id, {})


def with_hints(rule_id: str, head: str, tail: str = ".") -> str:
    """``head (hint; hint)tail``, or ``head tail`` when no vendor gives a hint."""
    found = hints(rule_id)
    if not found:
        return head + tail
    return f"{head} ({'; '.join(found.values())}){tail}"
