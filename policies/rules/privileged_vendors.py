"""The ``privileged-access`` rule's per-vendor judgements (``policies.rules.privileged_access``
has the rule, its parameters and the screen): ``_conductorone`` (effective permissions, or role
names for saved inventories without them, with ``_effective`` and ``_unresolved``),
``_sailpoint`` (PAT scopes and the owner's user level) and the ``_evidence`` they share."""

from __future__ import annotations

from typing import Any

from auditor.kernel.model import Credential, EffectivePrivilege
from policies.base import Outcome
from policies.rules.privileged_match import _Matcher, _Matchers

__all__ = [
    "OWNER_ROLES_UNKNOWN",
    "_conductorone",
    "_effective",
    "_evidence",
    "_sailpoint",
    "_unresolved",
]

OWNER_ROLES_UNKNOWN = frozenset({"unknown", "not_found"})


def _evidence(credential: Credential, **extra: Any) -> dict[str, Any]:
    owner = credential.owner
    evidence = {
        "scope_mode": credential.scope_mode,
        "scopes": list(credential.scopes),
        "owner_status": owner.status,
        "owner_roles": list(owner.roles),
    }
    if extra:
        evidence.update(extra)
    return evidence


def _conductorone(credential: Credential, matcher: _Matcher) -> Outcome | None:
    privilege = credential.privilege
    if privilege is not None:
        return _effective(credential, privilege, matcher)
    if credential.scope_mode == "scoped":
        candidates = matcher.select(credential.scopes)
        if not candidates:
            return _unresolved(credential, list(credential.scopes))
        if credential.owner.status in OWNER_ROLES_UNKNOWN:
            return (
                "manual",
                f"scoped to privileged role(s) {', '.join(candidates)}, but the owner's roles are "
                "unknown, so the effective access cannot be computed",
                _evidence(credential, privileged_scoped_roles=candidates),
            )
        owner_roles = set(credential.owner.roles)
        effective = [role for role in credential.scopes if role in owner_roles]
        basis = "scoped roles ∩ owner roles"
    else:
        if credential.owner.status in OWNER_ROLES_UNKNOWN:
            return (
                "manual",
                "holds every role of its owner, whose roles are unknown; review the owner's roles",
                _evidence(credential),
            )
        effective = list(credential.owner.roles)
        basis = "all owner roles (not scoped)"
    privileged = matcher.select(effective)
    if not privileged:
        # scoped to a privileged role: it is effective if the owner holds it under an id we
        # could not resolve, so the owner's unresolved ids count too
        relevant = effective if credential.scope_mode == "full" else list(credential.owner.roles)
        return _unresolved(credential, relevant)
    return (
        "fail",
        f"effective roles ({basis}) include {len(privileged)} privileged role(s): "
        f"{', '.join(privileged)}",
        _evidence(credential, effective_roles=effective, privileged=privileged),
    )


def _effective(
    credential: Credential, privilege: EffectivePrivilege, matcher: _Matcher
) -> Outcome | None:
    held = matcher.select(privilege.roles)
    evidence = _evidence(
        credential,
        effective_roles=list(privilege.roles),
        effective_permissions=privilege.permissions,
        basis=privilege.basis,
    )
    if credential.owner.kind is not None:
        evidence["owner_kind"] = credential.owner.kind
    if held:
        evidence["privileged"] = held
        return (
            "fail",
            f"its {privilege.permissions} effective permissions include every permission of "
            f"{len(held)} privileged role(s): {', '.join(held)} ({privilege.basis})",
            evidence,
        )
    if privilege.max_roles is not None:
        possible = matcher.select(privilege.max_roles)
        if not possible:
            return None
        evidence["possibly_privileged"] = possible
        return (
            "manual",
            f"may hold privileged role(s) {', '.join(possible)}: {privilege.basis}",
            evidence,
        )
    return (
        "manual",
        f"privileged roles cannot be ruled out: {privilege.basis}",
        evidence,
    )


def _unresolved(credential: Credential, relevant: list[str]) -> Outcome | None:
    """A pass, unless a role id that could be part of the access has no name.

    An unresolved role id never matches a privileged role *name*, so a pass would be a guess
    (the role catalogue was unreadable, or lacks the id; docs/vendors/conductorone.md §2.5).
    """
    unresolved = [r for r in credential.unresolved_roles if r in relevant]
    if not unresolved:
        return None
    return (
        "manual",
        f"role id(s) {', '.join(unresolved)} could not be resolved to role names, so privileged "
        "roles cannot be ruled out",
        _evidence(credential, unresolved_roles=unresolved),
    )


def _sailpoint(credential: Credential, matchers: _Matchers) -> Outcome | None:
    if credential.scope_mode == "scoped":
        privileged = matchers.sailpoint_scopes.select(credential.scopes)
        if not privileged:
            return None
        inert = [s for s in privileged if s in credential.unusable_scopes]
        effective = [s for s in privileged if s not in credential.unusable_scopes]
        owner_levels = ", ".join(credential.owner.roles)
        if not effective:
            return (
                "manual",
                f"{len(inert)} privileged scope(s) granted that the owner's user level(s) "
                f"{owner_levels} cannot exercise (the vendor's documented levels), so they grant "
                f"nothing today: {', '.join(inert)}; they take effect if the owner's level is "
                "raised: narrow the scope",
                _evidence(credential, privileged=[], latent=inert),
            )
        latent = f"; {len(inert)} more the owner's level cannot exercise" if inert else ""
        return (
            "fail",
            f"{len(effective)} privileged scope(s) granted (effective where the owner's user "
            f"level holds them): {', '.join(effective)}{latent}",
            _evidence(credential, privileged=effective, **({"latent": inert} if inert else {})),
        )
    # The level is read on its own (GET /v3/auth-users/{id}), not with the owner's status: an
    # owner whose status lookup failed can still have a known level. Empty: not read.
    levels = list(credential.owner.roles)
    if not levels:
        return (
            "manual",
            "full scope (sp:scopes:all) grants every right of the owner's user level, which is "
            "unknown; review the owner's level",
            _evidence(credential),
        )
    privileged = matchers.sailpoint_levels.select(levels)
    if privileged:
        return (
            "fail",
            f"full scope (sp:scopes:all) with an owner at privileged user level(s) "
            f"{', '.join(privileged)}",
            _evidence(credential, privileged=privileged),
        )
    if matchers.sailpoint_plain_levels.covers(levels):
        return None
    # A level in neither list (an administrative level whose rights this rule does not know, or
    # one SailPoint added later): its reach is unknown, so it is not a pass.
    unclassified = [level for level in levels if not matchers.sailpoint_plain_levels.any([level])]
    return (
        "manual",
        f"full scope (sp:scopes:all) grants every right of the owner's user level(s) "
        f"{', '.join(unclassified)}, which are neither privileged nor unprivileged in the "
        "policy; review them (sailpoint_user_levels, sailpoint_unprivileged_user_levels)",
        _evidence(credential, unclassified_levels=unclassified),
    )
