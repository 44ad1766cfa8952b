"""``privileged-access``: the credential's effective access includes a privileged role or scope.

ConductorOne: the adapter computes effective *permissions* (``Credential.privilege``, see
``providers.conductorone.privilege``): a full key holds its owner's permissions, a scoped one the
scoped roles' permissions "AND'ed against the owning User's own permissions" (openapi.yaml
``components.schemas.c1.api.iam.v1.PersonalClient.scopedRoles``), and it holds a role when it
holds every permission of that role. The rule fails when a privileged role is held for certain,
passes when none can be held (``max_roles``), and is ``manual`` in between (an owner that could
not be looked up, a role id missing from the catalogue). Credentials without ``privilege`` (saved
inventories from before it was computed) are judged as before, on role names: scoped roles ∩
owner roles, ``manual`` when the owner's roles are unknown and the answer depends on them.
Default privileged role: ``system:owner`` (Super Administrator, docs/vendors/conductorone.md §2.5).

SailPoint (https://developer.sailpoint.com/docs/api/authorization): effective rights = PAT
scopes ∩ the owner's user level. Listed scopes are an upper bound, so a privileged scope on the PAT
fails (it grants the right whenever the owner's level holds it), unless the adapter established
that the owner's level cannot exercise it (``Credential.unusable_scopes``, from the v3 spec's user
levels per operation). A PAT whose privileged scopes are all unusable is ``manual``, not a
critical ``fail`` for a right the token cannot carry, and never ``pass``: the scope takes effect
the day the owner's level is raised. The finding says so.

A full-scope PAT (``sp:scopes:all`` or null) holds everything the owner's user level allows. The
level is not part of the PAT record: the adapter reads it per owner (``providers.sailpoint.levels``,
``GET /v3/auth-users/{id}``) into ``Owner.roles``. When it did not (``user_levels`` off, the
default; no ``sp:auth-user:read``; a failed lookup) the result is ``manual`` (never ``pass``: an
ORG_ADMIN owner makes it all-powerful, and never ``fail``: most owners are plain users);
``full-owner-access`` already fails such PATs. A full-scope PAT fails when its owner holds a
privileged level, passes only when every level the owner holds is in
``sailpoint_unprivileged_user_levels`` (default ``USER``, the base level), and is ``manual``
otherwise: CERT_ADMIN, REPORT_ADMIN, a custom user level or one added later, whose reach is not
known here, is never a pass.

Default privileged scopes and levels: ``privileged_defaults`` (every ``:manage`` scope of the v3
spec that changes credentials, identities, access, sources, tenant configuration or workflows,
each with the operation it rests on). Entries may use ``*`` wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from fnmatch import translate
from typing import Any

from pydantic import Field

from auditor.kernel.model import Credential, EffectivePrivilege, Severity
from policies.base import Outcome, Params, Rule, RuleContext
from policies.facts import Facts
from policies.rules.privileged_defaults import (
    DEFAULT_CONDUCTORONE_ROLES,
    DEFAULT_SAILPOINT_LEVELS,
    DEFAULT_SAILPOINT_SCOPES,
)

JUDGED = frozenset({"conductorone", "sailpoint"})
"""The vendors this rule can judge; any other (a plug-in) is ``manual``."""
OWNER_ROLES_UNKNOWN = frozenset({"unknown", "not_found"})


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


class PrivilegedParams(Params):
    conductorone_roles: list[str] = Field(default_factory=lambda: list(DEFAULT_CONDUCTORONE_ROLES))
    sailpoint_scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_SAILPOINT_SCOPES))
    sailpoint_user_levels: list[str] = Field(default_factory=lambda: list(DEFAULT_SAILPOINT_LEVELS))
    sailpoint_unprivileged_user_levels: list[str] = Field(default_factory=lambda: ["USER"])


class PrivilegedAccess(Rule[PrivilegedParams]):
    id = "privileged-access"
    title = "Credential carries privileged access"
    description = (
        "Fails when the effective access includes a privileged role (ConductorOne: a role all "
        "of whose permissions the key holds; owner permissions when full, scoped roles' "
        "permissions ∩ owner permissions otherwise) or a privileged scope (SailPoint)."
    )
    remediation = (
        "Replace the credential with one scoped to non-administrative roles or scopes; keep "
        "administrative automation on dedicated, reviewed service credentials."
    )
    default_severity: Severity = "critical"
    params_model = PrivilegedParams

    def prepare(self, as_of: datetime, params: PrivilegedParams) -> _Matchers:
        """Compile the role and scope lists once per scan."""
        return _Matchers(params)

    def screen(self, facts: Facts, ctx: RuleContext[PrivilegedParams]) -> list[int]:
        """Everything but the certain passes: a scoped credential with no privileged scope (and,
        on ConductorOne, no unresolved role id), or a full one whose known owner holds no
        privileged role or level (idem)."""
        matchers: _Matchers = ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        c1_clear, sp_scopes_clear, sp_plain = (
            matchers.conductorone.disjoint,
            matchers.sailpoint_scopes.disjoint,
            matchers.sailpoint_plain_levels.covers,
        )
        rows = zip(
            facts.provider, facts.scope_mode, facts.scopes, facts.owner_status, facts.owner_roles,
            facts.unresolved_roles, facts.privilege, strict=True,
        )  # fmt: skip
        candidates: list[int] = []
        add = candidates.append
        for index, (provider, mode, scopes, status, roles, unresolved, privilege) in enumerate(
            rows
        ):
            if provider not in JUDGED:  # no judgement for this vendor: evaluate says manual
                add(index)
            elif privilege is not None and provider == "conductorone" and mode != "unknown":
                # skipped only when it is a certain pass: no privileged role among those it
                # holds or may hold at most (max_roles None: no bound, so evaluate decides).
                # roles too: the model does not force roles ⊆ max_roles (a saved inventory)
                bound = privilege.max_roles
                if bound is None or not c1_clear(bound) or not c1_clear(privilege.roles):
                    add(index)
            elif mode == "scoped":
                if provider == "conductorone":
                    if unresolved or not c1_clear(scopes):
                        add(index)
                elif not sp_scopes_clear(scopes):
                    add(index)
            elif mode == "full":
                if provider == "conductorone":
                    if unresolved or not c1_clear(roles) or status in OWNER_ROLES_UNKNOWN:
                        add(index)
                elif not roles or not sp_plain(roles):  # a pass needs every level unprivileged
                    add(index)
            else:  # "unknown" (and anything else): evaluate decides
                add(index)
        return candidates

    def evaluate(
        self, credential: Credential, ctx: RuleContext[PrivilegedParams]
    ) -> Outcome | None:
        mode = credential.scope_mode
        if mode == "unknown":
            return (
                "manual",
                "the credential's scope could not be determined, so its privileges are unknown",
                {"scope_mode": mode, "scopes": list(credential.scopes)},
            )
        matchers: _Matchers = ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        if credential.provider == "conductorone":
            return _conductorone(credential, matchers.conductorone)
        if credential.provider == "sailpoint":
            return _sailpoint(credential, matchers)
        return (
            "manual",
            f"credaudit has no privilege judgement for {credential.provider} credentials (a "
            "plug-in vendor): review what this credential may do",
            {"scope_mode": mode, "scopes": list(credential.scopes)},
        )


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
