"""ConductorOne's ``privileged-access`` judgement (``auditor.kernel.privilege``): effective roles.

The adapter computes effective *permissions* (``Credential.privilege``, see
``providers.conductorone.privilege``): a full key holds its owner's permissions, a scoped one the
scoped roles' permissions "AND'ed against the owning User's own permissions" (openapi.yaml
``components.schemas.c1.api.iam.v1.PersonalClient.scopedRoles``), and it holds a role when it
holds every permission of that role. The judgement fails when a privileged role is held for
certain, passes when none can be held (``max_roles``), and is ``manual`` in between (an owner that
could not be looked up, a role id missing from the catalogue). Credentials without ``privilege``
(saved inventories from before it was computed) are judged as before, on role names: scoped roles
∩ owner roles, ``manual`` when the owner's roles are unknown and the answer depends on them.

Parameter ``conductorone_roles``, default ``system:owner`` (Super Administrator, the built-in
role ``name``; docs/vendors/conductorone.md §2.5). Entries may use ``*`` wildcards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from auditor.kernel.credential import EffectivePrivilege
from auditor.kernel.model import Credential
from auditor.kernel.privilege import (
    NameMatcher,
    PrivilegeColumns,
    PrivilegeJudge,
    PrivilegeOutcome,
    evidence,
    rows,
)

OWNER_ROLES_UNKNOWN = frozenset({"unknown", "not_found"})
DEFAULT_CONDUCTORONE_ROLES = ("system:owner",)
"""Super Administrator (the built-in role ``name``; ConductorOne's c1 CLI names it so)."""


class ConductorOneJudge(PrivilegeJudge):
    params: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "conductorone_roles": DEFAULT_CONDUCTORONE_ROLES
    }

    def prepare(self, params: Mapping[str, Any]) -> NameMatcher:
        return NameMatcher(params["conductorone_roles"])

    def screen(
        self, columns: PrivilegeColumns, indices: Sequence[int] | None, prepared: Any
    ) -> list[int]:
        """Everything but the certain passes: a scoped key with no privileged scope and no
        unresolved role id, a full one whose known owner holds no privileged role (idem), or one
        with effective permissions whose most possible roles are none privileged."""
        clear = prepared.disjoint
        candidates: list[int] = []
        add = candidates.append
        for index, (mode, scopes, status, roles, unresolved, privilege) in rows(columns, indices):
            if privilege is not None and mode != "unknown":
                # skipped only when it is a certain pass: no privileged role among those it
                # holds or may hold at most (max_roles None: no bound, so judge decides).
                # roles too: the model does not force roles ⊆ max_roles (a saved inventory)
                bound = privilege.max_roles
                if bound is None or not clear(bound) or not clear(privilege.roles):
                    add(index)
            elif mode == "scoped":
                if unresolved or not clear(scopes):
                    add(index)
            elif mode == "full":
                if unresolved or not clear(roles) or status in OWNER_ROLES_UNKNOWN:
                    add(index)
            else:  # "unknown" (and anything else): the rule decides
                add(index)
        return candidates

    def judge(self, credential: Credential, prepared: Any) -> PrivilegeOutcome | None:
        matcher: NameMatcher = prepared
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
                    f"scoped to privileged role(s) {', '.join(candidates)}, but the owner's roles "
                    "are unknown, so the effective access cannot be computed",
                    evidence(credential, privileged_scoped_roles=candidates),
                )
            owner_roles = set(credential.owner.roles)
            effective = [role for role in credential.scopes if role in owner_roles]
            basis = "scoped roles ∩ owner roles"
        else:
            if credential.owner.status in OWNER_ROLES_UNKNOWN:
                return (
                    "manual",
                    "holds every role of its owner, whose roles are unknown; review the owner's "
                    "roles",
                    evidence(credential),
                )
            effective = list(credential.owner.roles)
            basis = "all owner roles (not scoped)"
        privileged = matcher.select(effective)
        if not privileged:
            # scoped to a privileged role: it is effective if the owner holds it under an id we
            # could not resolve, so the owner's unresolved ids count too
            full = credential.scope_mode == "full"
            return _unresolved(credential, effective if full else list(credential.owner.roles))
        return (
            "fail",
            f"effective roles ({basis}) include {len(privileged)} privileged role(s): "
            f"{', '.join(privileged)}",
            evidence(credential, effective_roles=effective, privileged=privileged),
        )


def _effective(
    credential: Credential, privilege: EffectivePrivilege, matcher: NameMatcher
) -> PrivilegeOutcome | None:
    held = matcher.select(privilege.roles)
    found = evidence(
        credential,
        effective_roles=list(privilege.roles),
        effective_permissions=privilege.permissions,
        basis=privilege.basis,
    )
    if credential.owner.kind is not None:
        found["owner_kind"] = credential.owner.kind
    if held:
        found["privileged"] = held
        return (
            "fail",
            f"its {privilege.permissions} effective permissions include every permission of "
            f"{len(held)} privileged role(s): {', '.join(held)} ({privilege.basis})",
            found,
        )
    if privilege.max_roles is not None:
        possible = matcher.select(privilege.max_roles)
        if not possible:
            return None
        found["possibly_privileged"] = possible
        return (
            "manual",
            f"may hold privileged role(s) {', '.join(possible)}: {privilege.basis}",
            found,
        )
    return ("manual", f"privileged roles cannot be ruled out: {privilege.basis}", found)


def _unresolved(credential: Credential, relevant: list[str]) -> PrivilegeOutcome | None:
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
        evidence(credential, unresolved_roles=unresolved),
    )
