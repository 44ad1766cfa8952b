"""What a provider declares about the permissions its collection needs, for
``credaudit validate --connect`` (``auditor.app.permissions`` turns a tenant's coverage into a table
of what the credential could and could not do).

Each ``Permission`` names the operation it needs (a spec operation, cited) and the coverage note
kinds (``auditor.kernel.coveragenotes``) its provider emits when it was refused, failed, could not
be confirmed, or was not exercised; no such note means the operation succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Permission"]


@dataclass(frozen=True)
class Permission:
    key: str
    """A stable short name (``list``, ``owner-lookup``, ``roles``, …)."""
    label: str
    """What the scan does with it, in words."""
    operation: str
    """The vendor operation: method, path and the spec's ``operationId``."""
    refused: frozenset[str] = frozenset()
    """Note kinds meaning the vendor refused it (HTTP 403)."""
    failed: frozenset[str] = frozenset()
    """Note kinds meaning it was tried and failed otherwise (errors, unreadable answers)."""
    unconfirmed: frozenset[str] = frozenset()
    """Note kinds meaning it ran but whether the right is held cannot be told from the answer."""
    skipped: frozenset[str] = frozenset()
    """Note kinds meaning the scan did not try it (an option turned off)."""
    proven_by: frozenset[str] = frozenset()
    """When set, only a note of one of these kinds shows it ran (an optional lookup the scan
    makes only when needed); without one it was not checked."""
    needs_credentials: bool = False
    """Exercised only when the tenant has credentials (owner lookups): none, not checked."""
