"""``credaudit validate --connect``: what the scanning credential could and could not do, per
permission its provider declares (``providers.permissions.Permission``), read from the coverage
notes of a real collection. A lookup that was refused is never reported as fine: the tenant's
verdict is "complete" only when every permission the scan needs worked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from auditor.kernel.model import TenantCoverage
from auditor.kernel.visible import visible
from providers.base import Provider
from providers.permissions import Permission

__all__ = ["PermissionCheck", "check_permissions", "permission_lines"]

Outcome = Literal["ok", "refused", "failed", "unconfirmed", "not checked"]
WORDS: dict[Outcome, str] = {
    "ok": "yes",
    "refused": "REFUSED",
    "failed": "FAILED",
    "unconfirmed": "not confirmed",
    "not checked": "not checked",
}
MISSING: frozenset[Outcome] = frozenset({"refused", "failed"})


@dataclass(frozen=True)
class PermissionCheck:
    permission: Permission
    outcome: Outcome
    detail: str = ""


def _outcome(permission: Permission, cov: TenantCoverage) -> PermissionCheck:
    by_kind = {n.kind: n for n in cov.note_details}
    for outcome, kinds in (
        ("refused", permission.refused),
        ("failed", permission.failed),
        ("not checked", permission.skipped),
        ("unconfirmed", permission.unconfirmed),
    ):
        hits = [by_kind[k] for k in sorted(kinds) if k in by_kind]
        if hits:
            return PermissionCheck(permission, outcome, hits[0].text)  # type: ignore[arg-type]
    if cov.status == "failed":
        return PermissionCheck(permission, "not checked", "the collection failed first")
    if permission.needs_credentials and cov.credential_count == 0:
        return PermissionCheck(permission, "not checked", "no credential to look up")
    if permission.proven_by and not permission.proven_by.intersection(by_kind):
        return PermissionCheck(permission, "not checked", "the scan did not need it")
    return PermissionCheck(permission, "ok")


def check_permissions(
    coverage: TenantCoverage, registry: Mapping[str, type[Provider]]
) -> list[PermissionCheck]:
    """Each permission ``coverage``'s provider declares, with what the collection showed."""
    cls = registry.get(coverage.provider)
    return [_outcome(p, coverage) for p in (cls.permissions if cls else ())]


def permission_lines(coverage: TenantCoverage, checks: list[PermissionCheck]) -> list[str]:
    """The tenant's verdict and its table, for the terminal."""
    missing = [c for c in checks if c.outcome in MISSING]
    if coverage.status == "failed":
        verdict = "FAILED: the collection did not finish"
    elif missing:
        names = ", ".join(c.permission.key for c in missing)
        verdict = f"INCOMPLETE permissions: {names}"
    elif coverage.status != "complete":
        verdict = f"{coverage.status.upper()}: see the causes below"
    else:
        verdict = "every permission the scan needs worked"
    lines = [f"  {visible(coverage.tenant)} ({coverage.provider}): {verdict}"]
    if not checks:
        return [*lines, "    (the provider declares no permissions to check)"]
    width = max(len(c.permission.label) for c in checks)
    lines.append(f"    {'what the scan needs':<{width}}  {'result':<13}  operation")
    for c in checks:
        lines.append(
            f"    {c.permission.label:<{width}}  {WORDS[c.outcome]:<13}  {c.permission.operation}"
        )
        if c.detail and c.outcome != "ok":
            lines.append(f"    {'':<{width}}  └ {visible(c.detail)}")
    return lines
