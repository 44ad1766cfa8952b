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

The name matching (``_Matcher``, ``_Matchers``) is in ``policies.rules.privileged_match``; the
per-vendor judgements ``evaluate`` delegates to (``_conductorone``, ``_sailpoint`` and their
helpers) are in ``policies.rules.privileged_vendors``. Both are re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from auditor.kernel.model import Credential, Severity
from policies.base import Outcome, Params, Rule, RuleContext
from policies.facts import Facts
from policies.rules.privileged_defaults import (
    DEFAULT_CONDUCTORONE_ROLES,
    DEFAULT_SAILPOINT_LEVELS,
    DEFAULT_SAILPOINT_SCOPES,
)
from policies.rules.privileged_match import _Matcher, _Matchers
from policies.rules.privileged_vendors import (
    OWNER_ROLES_UNKNOWN,
    _conductorone,
    _effective,
    _evidence,
    _sailpoint,
    _unresolved,
)

__all__ = [
    "JUDGED",
    "OWNER_ROLES_UNKNOWN",
    "PrivilegedAccess",
    "PrivilegedParams",
    "_Matcher",
    "_Matchers",
    "_conductorone",
    "_effective",
    "_evidence",
    "_sailpoint",
    "_unresolved",
]

JUDGED = frozenset({"conductorone", "sailpoint"})
"""The vendors this rule can judge; any other (a plug-in) is ``manual``."""


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
